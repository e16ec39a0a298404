"""Settings → Connections console pages: the hub (shops and webhooks), an endpoint's page with its delivery
log, and one delivery with every attempt. Admins only: an endpoint receives every change of the workspace.

Every form posts to its own route and comes back with a 303 (and a notice), or shows the page again with the
refusal beside the field (422). The delivery log refreshes itself with HTMX; without JavaScript it is a
plain paginated table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.connections.pages import KIND_NAMES
from frontdesk.connections.service import list_connections
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, InvalidInput
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.webhooks import events, service
from frontdesk.webhooks.models import DeliveryStatus, WebhookEndpoint
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)
HUB = "/settings/connections"
LOG_PAGE_SIZE = 25


def _admin(user: ConsoleUser) -> None:
    user.principal.require(Role.admin)


def event_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The event types grouped by what they are about ("contact", "conversation", ...), in catalogue order."""
    return [
        (group, list(items))
        for group, items in groupby(events.EVENT_TYPES.items(), key=lambda item: item[0].split(".")[0])
    ]


def _endpoint_url(endpoint_id: int) -> str:
    return f"{HUB}/webhooks/{endpoint_id}"


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if key != "event_types"}
    return values, [str(value) for value in form.getlist("event_types")]


def _field_of(exc: DomainError, default: str) -> str:
    return exc.errors[0]["field"] if exc.errors else default


# The hub --------------------------------------------------------------------------------------------------------
@router.get(HUB)
async def connections_page(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    _admin(user)
    workspace_id = user.principal.workspace_id
    shops = await list_connections(session=session, workspace_id=workspace_id)
    endpoints = await service.list_endpoints(session=session, workspace_id=workspace_id)
    allowed = await service.private_targets_allowed(session=session, workspace_id=workspace_id)
    return render(
        request,
        "pages/connections.html",
        user=user,
        shops=shops,
        shop_kinds=KIND_NAMES,
        endpoints=endpoints,
        state_of=service.endpoint_state,
        allow_private=allowed,
    )


@router.post(f"{HUB}/private-targets")
async def set_private_targets(request: Request, session: DbSession, user: FormAgent) -> Response:
    _admin(user)
    form, _ = await _form(request)
    allowed = form.get("allow_private_targets") == "on"
    await service.set_private_targets(
        session=session, workspace_id=user.principal.workspace_id, allowed=allowed, actor=user.principal.label
    )
    await session.commit()
    notice = "Private network targets are allowed." if allowed else "Private network targets are refused again."
    return redirect_with_notice(f"{HUB}#webhooks", notice)


# Adding an endpoint ---------------------------------------------------------------------------------------------
async def _new_page(
    request: Request, user: ConsoleUser, *, typed: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "pages/webhook_new.html",
        status_code=status_code,
        user=user,
        typed=typed,
        errors=errors,
        groups=event_groups(),
    )


@router.get(f"{HUB}/webhooks/new")
async def new_endpoint_page(request: Request, user: ConsoleAgent) -> Response:
    _admin(user)
    return await _new_page(request, user, typed={"url": "", "description": "", "event_types": []}, errors={})


@router.post(f"{HUB}/webhooks")
async def create_endpoint(request: Request, session: DbSession, user: FormAgent) -> Response:
    _admin(user)
    form, chosen = await _form(request)
    url, description = form.get("url", ""), form.get("description", "")
    typed: dict[str, Any] = {"url": url, "description": description, "event_types": chosen}
    try:
        endpoint = await service.create_endpoint(
            session=session,
            workspace_id=user.principal.workspace_id,
            url=url.strip(),
            event_types=chosen,
            description=description,
            actor=user.principal.label,
        )
    except DomainError as exc:
        await session.rollback()
        errors = {_field_of(exc, "url"): exc.detail}
        return await _new_page(request, user, typed=typed, errors=errors, status_code=422)
    await session.commit()
    return redirect_with_notice(
        _endpoint_url(endpoint.id) + "#secret",
        "Endpoint added. Copy its signing secret into the receiving system (Reveal secret).",
    )


# An endpoint's page -------------------------------------------------------------------------------------------
async def _endpoint_page(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    endpoint_id: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    secret: WebhookEndpoint | None = None,
    status_code: int = 200,
) -> Response:
    workspace_id = user.principal.workspace_id
    endpoint = await service.get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    cursor = request.query_params.get("cursor") or None
    rows, next_cursor = await service.list_deliveries(
        session=session, workspace_id=workspace_id, endpoint_id=endpoint_id, limit=LOG_PAGE_SIZE, cursor=cursor
    )
    shown = typed or {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types or []),
    }
    return render(
        request,
        "pages/webhook_endpoint.html",
        status_code=422 if errors else status_code,
        user=user,
        endpoint=endpoint,
        state=service.endpoint_state(endpoint),
        typed=shown,
        errors=errors or {},
        groups=event_groups(),
        rows=rows,
        cursor=cursor,
        next_cursor=next_cursor,
        revealed=secret,
        max_overlap=service.MAX_OVERLAP_HOURS,
    )


@router.get(f"{HUB}/webhooks/{{endpoint_id}}")
async def endpoint_page(request: Request, endpoint_id: PathId, session: DbSession, user: ConsoleAgent) -> Response:
    _admin(user)
    return await _endpoint_page(request, session, user, endpoint_id)


@router.get(f"{HUB}/webhooks/{{endpoint_id}}/log")
async def delivery_log(request: Request, endpoint_id: PathId, session: DbSession, user: ConsoleAgent) -> Response:
    """The log's newest page alone: what the endpoint's page asks for every few seconds."""
    _admin(user)
    workspace_id = user.principal.workspace_id
    endpoint = await service.get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    rows, next_cursor = await service.list_deliveries(
        session=session, workspace_id=workspace_id, endpoint_id=endpoint_id, limit=LOG_PAGE_SIZE
    )
    return render(
        request,
        "pages/webhook_log.html",
        user=user,
        endpoint=endpoint,
        rows=rows,
        cursor=None,
        next_cursor=next_cursor,
    )


@router.post(f"{HUB}/webhooks/{{endpoint_id}}")
async def edit_endpoint(request: Request, endpoint_id: PathId, session: DbSession, user: FormAgent) -> Response:
    _admin(user)
    form, chosen = await _form(request)
    url, description = form.get("url", ""), form.get("description", "")
    typed: dict[str, Any] = {"url": url, "description": description, "event_types": chosen}
    try:
        await service.update_endpoint(
            session=session,
            workspace_id=user.principal.workspace_id,
            endpoint_id=endpoint_id,
            actor=user.principal.label,
            url=url.strip(),
            description=description,
            event_types=chosen,
        )
    except InvalidInput as exc:
        await session.rollback()
        errors = {_field_of(exc, "url"): exc.detail}
        return await _endpoint_page(request, session, user, endpoint_id, errors=errors, typed=typed)
    await session.commit()
    return redirect_with_notice(_endpoint_url(endpoint_id), "Endpoint saved.")


async def _act(
    session: AsyncSession,
    user: ConsoleUser,
    endpoint_id: int,
    action: Callable[[], Awaitable[object]],
    notice: str,
    anchor: str = "",
) -> Response:
    _admin(user)
    await action()
    await session.commit()
    return redirect_with_notice(_endpoint_url(endpoint_id) + anchor, notice)


async def _switch(session: AsyncSession, user: ConsoleUser, endpoint_id: int, *, enabled: bool) -> Response:
    """Pause or resume: the admin's own switch (Frontdesk's automatic disabling is undone by /enable)."""

    def switch() -> Awaitable[object]:
        return service.update_endpoint(
            session=session,
            workspace_id=user.principal.workspace_id,
            endpoint_id=endpoint_id,
            actor=user.principal.label,
            enabled=enabled,
        )

    notice = "Endpoint resumed." if enabled else "Endpoint paused: nothing is queued for it until resumed."
    return await _act(session, user, endpoint_id, switch, notice)


@router.post(f"{HUB}/webhooks/{{endpoint_id}}/pause")
async def pause_endpoint(endpoint_id: PathId, session: DbSession, user: FormAgent) -> Response:
    return await _switch(session, user, endpoint_id, enabled=False)


@router.post(f"{HUB}/webhooks/{{endpoint_id}}/resume")
async def resume_endpoint(endpoint_id: PathId, session: DbSession, user: FormAgent) -> Response:
    return await _switch(session, user, endpoint_id, enabled=True)


@router.post(f"{HUB}/webhooks/{{endpoint_id}}/enable")
async def enable_endpoint(endpoint_id: PathId, session: DbSession, user: FormAgent) -> Response:
    def enable() -> Awaitable[object]:
        return service.reenable_endpoint(
            session=session,
            workspace_id=user.principal.workspace_id,
            endpoint_id=endpoint_id,
            actor=user.principal.label,
        )

    return await _act(session, user, endpoint_id, enable, "Endpoint enabled again; its failure count starts afresh.")


@router.post(f"{HUB}/webhooks/{{endpoint_id}}/delete")
async def delete_endpoint(endpoint_id: PathId, session: DbSession, user: FormAgent) -> Response:
    _admin(user)
    await service.delete_endpoint(
        session=session, workspace_id=user.principal.workspace_id, endpoint_id=endpoint_id, actor=user.principal.label
    )
    await session.commit()
    return redirect_with_notice(f"{HUB}#webhooks", "Endpoint deleted with its delivery log.")


@router.post(f"{HUB}/webhooks/{{endpoint_id}}/secret")
async def reveal_secret(request: Request, endpoint_id: PathId, session: DbSession, user: FormAgent) -> Response:
    """The page again with the secret shown: a POST, so the secret never sits in a URL or the history."""
    _admin(user)
    endpoint = await service.get_secret(
        session=session, workspace_id=user.principal.workspace_id, endpoint_id=endpoint_id
    )
    return await _endpoint_page(request, session, user, endpoint_id, secret=endpoint)


@router.post(f"{HUB}/webhooks/{{endpoint_id}}/rotate")
async def rotate_secret(request: Request, endpoint_id: PathId, session: DbSession, user: FormAgent) -> Response:
    _admin(user)
    form, _ = await _form(request)
    typed = form.get("overlap_hours", "").strip() or "0"
    try:
        if not (typed.isascii() and typed.isdigit()):
            raise InvalidInput(f"a whole number of hours from 0 to {service.MAX_OVERLAP_HOURS}", field="overlap_hours")
        await service.rotate_secret(
            session=session,
            workspace_id=user.principal.workspace_id,
            endpoint_id=endpoint_id,
            actor=user.principal.label,
            overlap_hours=int(typed),
        )
    except InvalidInput as exc:
        await session.rollback()
        return await _endpoint_page(request, session, user, endpoint_id, errors={"overlap_hours": exc.detail})
    await session.commit()
    endpoint = await service.get_secret(
        session=session, workspace_id=user.principal.workspace_id, endpoint_id=endpoint_id
    )
    # Shown at once: the admin came to copy the new secret.
    return await _endpoint_page(request, session, user, endpoint_id, secret=endpoint)


# Deliveries -----------------------------------------------------------------------------------------------------
@router.get(f"{HUB}/webhooks/{{endpoint_id}}/deliveries/{{delivery_id}}")
async def delivery_page(
    request: Request, endpoint_id: PathId, delivery_id: PathId, session: DbSession, user: ConsoleAgent
) -> Response:
    _admin(user)
    workspace_id = user.principal.workspace_id
    endpoint = await service.get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    detail = await service.get_delivery(session=session, workspace_id=workspace_id, delivery_id=delivery_id)
    if detail.delivery.endpoint_id != endpoint.id:
        raise InvalidInput(f"delivery {delivery_id} is not one of this endpoint's", field="delivery_id")
    return render(
        request,
        "pages/webhook_delivery.html",
        user=user,
        endpoint=endpoint,
        detail=detail,
        pending=detail.delivery.status == DeliveryStatus.pending.value,
    )


@router.post(f"{HUB}/webhooks/{{endpoint_id}}/deliveries/{{delivery_id}}/resend")
async def resend_delivery(
    request: Request, endpoint_id: PathId, delivery_id: PathId, session: DbSession, user: FormAgent
) -> Response:
    _admin(user)
    workspace_id = user.principal.workspace_id
    endpoint = await service.get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    delivery = await service.resend_delivery(
        session=session, workspace_id=workspace_id, delivery_id=delivery_id, actor=user.principal.label
    )
    if delivery.endpoint_id != endpoint.id:
        await session.rollback()
        raise InvalidInput(f"delivery {delivery_id} is not one of this endpoint's", field="delivery_id")
    await session.commit()
    form, _ = await _form(request)
    # Back where the button was: the delivery's own page, or the endpoint's log.
    if form.get("back") == "delivery":
        return redirect_with_notice(
            f"{_endpoint_url(endpoint_id)}/deliveries/{delivery_id}", "Queued to be sent again now."
        )
    return redirect_with_notice(f"{_endpoint_url(endpoint_id)}#log", "Queued to be sent again now.")
