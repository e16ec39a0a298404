"""Settings → Connections → a shop: add one, see its address and secret, set it up, read what it delivered.

Admins only (the secret opens the door to the workspace's orders). Every form posts to its own route and
comes back to the page (303 with a notice), or shows the page again with the refusal next to the field (422).
The hub page /settings/connections lists the connections (webhooks/pages.py) and links here.
"""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.connections import service
from frontdesk.connections.mapping import OPTIONAL_PATHS, REQUIRED_PATHS
from frontdesk.connections.models import ShopConnection
from frontdesk.connections.schemas import MappingPreview, MappingProblem, ShopConnectionCreate, ShopConnectionUpdate
from frontdesk.deps import AppSettings, DbSession, PathId
from frontdesk.errors import DomainError, NotFound, errors_from_pydantic
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)
BASE = "/settings/connections/shops"
KIND_NAMES = {"shopify": "Shopify", "woocommerce": "WooCommerce", "generic": "Other shop (JSON)"}
MAPPING_LABELS = {
    "external_id": "Order number",
    "buyer_email": "Buyer's e-mail",
    "buyer_name": "Buyer's name",
    "currency": "Currency",
    "ordered_at": "Order date",
    "status": "Status",
    "lines": "Order lines (the array)",
    "line_sku": "Line: SKU",
    "line_quantity": "Line: quantity",
    "line_unit_price": "Line: unit price",
    "line_name": "Line: product name",
}


async def _form(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


def _errors_of(exc: Exception) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return {error["field"]: error["message"] for error in errors_from_pydantic(list(exc.errors()))}
    if isinstance(exc, DomainError):
        return {error["field"]: error["message"] for error in exc.errors} or {"form": exc.detail}
    raise exc


@router.get(f"{BASE}/new")
async def new_shop_page(request: Request, user: ConsoleAgent) -> Response:
    user.principal.require(Role.admin)
    return render(request, "pages/shop_new.html", user=user, kinds=KIND_NAMES, errors={}, typed={})


@router.post(BASE)
async def create_shop(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await _form(request)
    try:
        data = ShopConnectionCreate.model_validate(
            {"kind": form.get("kind", ""), "name": form.get("name", ""), "shop_domain": form.get("shop_domain") or None}
        )
        connection = await service.do_create_connection(
            session=session, workspace_id=user.principal.workspace_id, data=data
        )
    except (ValidationError, DomainError) as exc:
        await session.rollback()
        errors = _errors_of(exc)
        return render(
            request, "pages/shop_new.html", status_code=422, user=user, kinds=KIND_NAMES, errors=errors, typed=form
        )
    await session.commit()
    return redirect_with_notice(
        f"{BASE}/{connection.id}", "Shop added: now paste its address and secret into the shop."
    )


def _mapping_rows(connection: ShopConnection, typed: dict[str, str] | None) -> list[dict[str, str]]:
    current = connection.mapping or {}
    return [
        {
            "name": name,
            "label": MAPPING_LABELS[name],
            "required": "1" if name in REQUIRED_PATHS else "",
            "value": typed.get(f"map_{name}", "") if typed is not None else str(current.get(name, "")),
        }
        for name in (*REQUIRED_PATHS[:3], *OPTIONAL_PATHS[:3], *REQUIRED_PATHS[3:], OPTIONAL_PATHS[3])
    ]


def _status_lines(connection: ShopConnection) -> str:
    statuses = (connection.mapping or {}).get("status_values") or {}
    return "\n".join(f"{word} = {ours}" for word, ours in statuses.items())


async def _shop_page(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    connection_id: int,
    public_url: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    workspace_id = user.principal.workspace_id
    connection = await service.get_connection(session=session, workspace_id=workspace_id, connection_id=connection_id)
    deliveries, next_cursor = await service.list_deliveries(
        session=session,
        workspace_id=workspace_id,
        connection_id=connection_id,
        limit=50,
        cursor=request.query_params.get("cursor") or None,
    )
    mapping_typed = context.pop("mapping_typed", None)
    return render(
        request,
        "pages/shop_connection.html",
        status_code=status_code,
        user=user,
        shop=connection,
        kind_name=KIND_NAMES[connection.kind],
        webhook_url=service.webhook_url(public_url, connection),
        deliveries=deliveries,
        next_cursor=next_cursor,
        mapping_rows=_mapping_rows(connection, mapping_typed),
        status_lines=mapping_typed.get("status_values", "") if mapping_typed is not None else _status_lines(connection),
        sample=(mapping_typed or {}).get("sample", ""),
        errors=context.pop("errors", {}),
        typed=context.pop("typed", {}),
        mapping_errors=context.pop("mapping_errors", {}),
        preview=context.pop("preview", None),
        **context,
    )


@router.get(f"{BASE}/{{connection_id}}")
async def shop_page(
    request: Request, connection_id: PathId, session: DbSession, user: ConsoleAgent, settings: AppSettings
) -> Response:
    user.principal.require(Role.admin)
    return await _shop_page(request, session, user, connection_id, settings.public_url)


@router.post(f"{BASE}/{{connection_id}}")
async def update_shop(
    request: Request, connection_id: PathId, session: DbSession, user: FormAgent, settings: AppSettings
) -> Response:
    user.principal.require(Role.admin)
    form = await _form(request)
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        "shop_domain": form.get("shop_domain", ""),
        "product_range": form.get("product_range", ""),
        "payload_retention_days": form.get("payload_retention_days", ""),
        "enabled": form.get("enabled") == "on",
    }
    if form.get("secret", "").strip():
        values["secret"] = form["secret"].strip()
    try:
        data = ShopConnectionUpdate.model_validate(values)
        await service.do_update_connection(
            session=session, workspace_id=user.principal.workspace_id, connection_id=connection_id, data=data
        )
    except (ValidationError, DomainError) as exc:
        await session.rollback()
        return await _shop_page(
            request,
            session,
            user,
            connection_id,
            settings.public_url,
            status_code=422,
            errors=_errors_of(exc),
            typed=form,
        )
    await session.commit()
    return redirect_with_notice(f"{BASE}/{connection_id}#settings", "Saved.")


@router.post(f"{BASE}/{{connection_id}}/rotate-secret")
async def rotate_secret(connection_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    await service.do_rotate_secret(
        session=session, workspace_id=user.principal.workspace_id, connection_id=connection_id
    )
    await session.commit()
    return redirect_with_notice(f"{BASE}/{connection_id}#address", "New secret made: paste it into the shop now.")


@router.post(f"{BASE}/{{connection_id}}/delete")
async def delete_shop(connection_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    await service.do_delete_connection(
        session=session, workspace_id=user.principal.workspace_id, connection_id=connection_id
    )
    await session.commit()
    return redirect_with_notice("/settings/connections", "Shop removed; the orders it brought stay.")


def _mapping_from_form(form: dict[str, str]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for name in (*REQUIRED_PATHS, *OPTIONAL_PATHS):
        if value := form.get(f"map_{name}", "").strip():
            mapping[name] = value
    statuses: dict[str, str] = {}
    for line in form.get("status_values", "").splitlines():
        word, _, ours = line.partition("=")
        if word.strip():
            statuses[word.strip()] = ours.strip()
    if statuses:
        mapping["status_values"] = statuses
    return mapping


@router.post(f"{BASE}/{{connection_id}}/mapping")
async def save_or_test_mapping(
    request: Request, connection_id: PathId, session: DbSession, user: FormAgent, settings: AppSettings
) -> Response:
    """ "Test with the sample" shows the order the sample would become (nothing saved); "Save" stores the mapping."""
    user.principal.require(Role.admin)
    form = await _form(request)
    mapping = _mapping_from_form(form)
    workspace_id = user.principal.workspace_id
    if form.get("action") == "test":
        try:
            sample = json.loads(form.get("sample", ""), parse_float=Decimal)
        except (ValueError, RecursionError):
            preview = MappingPreview(order=None, errors=[MappingProblem(field="sample", message="is not JSON")])
        else:
            preview = await service.preview_mapping(
                session=session, workspace_id=workspace_id, mapping=mapping, sample=sample, connection_id=connection_id
            )
        return await _shop_page(
            request, session, user, connection_id, settings.public_url, preview=preview, mapping_typed=form
        )
    try:
        await service.do_update_connection(
            session=session,
            workspace_id=workspace_id,
            connection_id=connection_id,
            data=ShopConnectionUpdate(mapping=mapping),
        )
    except DomainError as exc:
        await session.rollback()
        errors = {error["field"].removeprefix("mapping."): error["message"] for error in exc.errors}
        return await _shop_page(
            request, session, user, connection_id, settings.public_url,
            status_code=422, mapping_errors=errors or {"form": exc.detail}, mapping_typed=form,
        )  # fmt: skip
    await session.commit()
    return redirect_with_notice(f"{BASE}/{connection_id}#mapping", "Mapping saved.")


@router.get(f"{BASE}/{{connection_id}}/deliveries/{{delivery_id}}")
async def delivery_page(
    request: Request, connection_id: PathId, delivery_id: PathId, session: DbSession, user: ConsoleAgent
) -> Response:
    user.principal.require(Role.admin)
    workspace_id = user.principal.workspace_id
    connection = await service.get_connection(session=session, workspace_id=workspace_id, connection_id=connection_id)
    delivery = await service.get_delivery(session=session, workspace_id=workspace_id, delivery_id=delivery_id)
    if delivery.connection_id != connection.id:
        raise NotFound(f"no delivery {delivery_id} of this shop")
    payload = delivery.payload
    if payload is not None:
        with contextlib.suppress(ValueError):  # not JSON: shown as received
            payload = json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    return render(request, "pages/shop_delivery.html", user=user, shop=connection, delivery=delivery, payload=payload)


@router.post(f"{BASE}/{{connection_id}}/deliveries/{{delivery_id}}/retry")
async def retry_delivery(connection_id: PathId, delivery_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    try:
        delivery = await service.do_retry_delivery(
            session=session, workspace_id=user.principal.workspace_id, delivery_id=delivery_id
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        await session.rollback()
        return redirect_with_notice(f"{BASE}/{connection_id}#deliveries", exc.detail)
    await session.commit()
    outcome = "applied" if delivery.status != "failed" else f"failed again: {delivery.message}"
    return redirect_with_notice(f"{BASE}/{connection_id}#deliveries", f"Retried: {outcome}")
