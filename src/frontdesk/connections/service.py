"""Shop connections: adding, changing and listing them, and what they delivered."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.schemas import OrderCreate
from frontdesk.connections.mapping import mapped_order, validate_mapping
from frontdesk.connections.models import InboundDelivery, InboundStatus, ShopConnection, ShopKind
from frontdesk.connections.receiving import apply_delivery, external_id
from frontdesk.connections.records import PayloadProblem, to_cents
from frontdesk.connections.schemas import (
    InboundDeliveryRead,
    MappingPreview,
    MappingProblem,
    ShopConnectionCreate,
    ShopConnectionRead,
    ShopConnectionUpdate,
    ShopConnectionWithSecret,
)
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.db import utcnow
from frontdesk.errors import Conflict, DomainError, InvalidInput, NotFound, errors_from_pydantic
from frontdesk.webhooks.signing import new_signing_secret

MAX_PAGE_SIZE = 200
HOOK_PATH = "/hooks/shops/"


def new_secret(kind: ShopKind) -> str:
    """Standard Webhooks secrets are ``whsec_`` + base64 of random bytes; WooCommerce takes any text."""
    if kind is ShopKind.generic:
        return new_signing_secret()
    return secrets.token_urlsafe(32)


def webhook_url(public_url: str, connection: ShopConnection) -> str:
    return public_url.rstrip("/") + HOOK_PATH + connection.public_token


def to_read(connection: ShopConnection, public_url: str) -> ShopConnectionRead:
    return ShopConnectionRead(
        id=connection.id,
        kind=ShopKind(connection.kind),
        name=connection.name,
        shop_domain=connection.shop_domain,
        webhook_url=webhook_url(public_url, connection),
        product_range=connection.product_range,
        payload_retention_days=connection.payload_retention_days,
        mapping=connection.mapping,
        enabled=connection.enabled,
        last_received_at=connection.last_received_at,
        created_at=connection.created_at,
    )


def with_secret(connection: ShopConnection, public_url: str) -> ShopConnectionWithSecret:
    return ShopConnectionWithSecret(**to_read(connection, public_url).model_dump(), secret=connection.secret)


def _secret_problem(kind: ShopKind, secret: str) -> str | None:
    if kind is not ShopKind.generic:
        return None
    try:
        raw = base64.b64decode(secret.removeprefix("whsec_") + "==", validate=True)
    except ValueError:
        raw = b""
    return None if len(raw) >= 16 else "a Standard Webhooks secret: whsec_ and at least 16 bytes in base64"


async def list_connections(*, session: AsyncSession, workspace_id: int) -> list[ShopConnection]:
    statement = select(ShopConnection).where(ShopConnection.workspace_id == workspace_id).order_by(ShopConnection.id)
    return list((await session.scalars(statement)).all())


async def get_connection(*, session: AsyncSession, workspace_id: int, connection_id: int) -> ShopConnection:
    connection = await session.scalar(
        select(ShopConnection).where(ShopConnection.workspace_id == workspace_id, ShopConnection.id == connection_id)
    )
    if connection is None:
        raise NotFound(f"no shop connection {connection_id}")
    return connection


async def do_create_connection(
    *, session: AsyncSession, workspace_id: int, data: ShopConnectionCreate
) -> ShopConnection:
    mapping = validate_mapping(data.mapping) if data.mapping is not None else None
    if mapping is not None and data.kind is not ShopKind.generic:
        raise InvalidInput("only generic shops take a field mapping", field="mapping")
    now = utcnow()
    connection = ShopConnection(
        workspace_id=workspace_id,
        kind=data.kind.value,
        name=data.name.strip(),
        public_token=secrets.token_urlsafe(32),
        secret=new_secret(data.kind),
        shop_domain=(data.shop_domain or "").strip() or None,
        mapping=mapping,
        product_range=data.product_range.strip(),
        payload_retention_days=data.payload_retention_days,
        enabled=True,
        created_at=now,
        updated_at=now,
    )
    session.add(connection)
    await session.flush()
    return connection


async def do_update_connection(
    *, session: AsyncSession, workspace_id: int, connection_id: int, data: ShopConnectionUpdate
) -> ShopConnection:
    connection = await get_connection(session=session, workspace_id=workspace_id, connection_id=connection_id)
    changes = data.model_dump(exclude_unset=True)
    kind = ShopKind(connection.kind)
    for required in ("name", "product_range", "payload_retention_days", "enabled", "secret"):
        if required in changes and changes[required] is None:
            raise InvalidInput("cannot be empty", field=required)
    if "mapping" in changes and changes["mapping"] is not None:
        if kind is not ShopKind.generic:
            raise InvalidInput("only generic shops take a field mapping", field="mapping")
        changes["mapping"] = validate_mapping(changes["mapping"])
    if "secret" in changes:
        changes["secret"] = changes["secret"].strip()
        if (problem := _secret_problem(kind, changes["secret"])) is not None:
            raise InvalidInput(f"must be {problem}", field="secret")
    for field in ("name", "product_range", "shop_domain"):
        if isinstance(changes.get(field), str):
            changes[field] = changes[field].strip() or (None if field == "shop_domain" else changes[field])
    for field, value in changes.items():
        setattr(connection, field, value)
    connection.updated_at = utcnow()
    await session.flush()
    return connection


async def do_rotate_secret(*, session: AsyncSession, workspace_id: int, connection_id: int) -> ShopConnection:
    """A new secret: the shop must be given it, as deliveries signed with the old one are refused from now."""
    connection = await get_connection(session=session, workspace_id=workspace_id, connection_id=connection_id)
    connection.secret = new_secret(ShopKind(connection.kind))
    connection.updated_at = utcnow()
    await session.flush()
    return connection


async def do_delete_connection(*, session: AsyncSession, workspace_id: int, connection_id: int) -> None:
    """The connection and its delivery log go; the orders and contacts it brought stay."""
    connection = await get_connection(session=session, workspace_id=workspace_id, connection_id=connection_id)
    await session.delete(connection)
    await session.flush()


async def list_deliveries(
    *,
    session: AsyncSession,
    workspace_id: int,
    connection_id: int,
    status: InboundStatus | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[InboundDeliveryRead], str | None]:
    """Newest first."""
    await get_connection(session=session, workspace_id=workspace_id, connection_id=connection_id)
    statement = select(InboundDelivery).where(
        InboundDelivery.workspace_id == workspace_id, InboundDelivery.connection_id == connection_id
    )
    if status is not None:
        statement = statement.where(InboundDelivery.status == status.value)
    if cursor:
        statement = statement.where(InboundDelivery.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(InboundDelivery.id.desc()).limit(limit + 1))).all())
    items = [InboundDeliveryRead.model_validate(row) for row in rows[:limit]]
    return items, encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


async def get_delivery(*, session: AsyncSession, workspace_id: int, delivery_id: int) -> InboundDelivery:
    delivery = await session.scalar(
        select(InboundDelivery).where(InboundDelivery.workspace_id == workspace_id, InboundDelivery.id == delivery_id)
    )
    if delivery is None:
        raise NotFound(f"no shop delivery {delivery_id}")
    return delivery


async def do_retry_delivery(*, session: AsyncSession, workspace_id: int, delivery_id: int) -> InboundDelivery:
    """Apply a failed delivery's stored payload again, after the admin fixed what its message said."""
    delivery = await get_delivery(session=session, workspace_id=workspace_id, delivery_id=delivery_id)
    if delivery.status != InboundStatus.failed.value:
        raise Conflict(f"only failed deliveries are retried; this one is {delivery.status}")
    if delivery.payload is None:
        raise Conflict("the payload of this delivery was emptied (retention period or erasure): ask the shop to resend")
    connection = await get_connection(session=session, workspace_id=workspace_id, connection_id=delivery.connection_id)
    await apply_delivery(session=session, connection=connection, delivery=delivery)
    return delivery


async def preview_mapping(
    *, session: AsyncSession, workspace_id: int, mapping: dict[str, Any], sample: Any, connection_id: int = 0
) -> MappingPreview:
    """The order ``sample`` would become under ``mapping``, or what is wrong, by field; nothing is stored."""
    try:
        checked = validate_mapping(mapping)
        currency = (await get_commerce_settings(session=session, workspace_id=workspace_id)).currency
        order = mapped_order(checked, sample, default_currency=currency)
        if order.currency.strip().upper() != currency:
            raise PayloadProblem(
                "currency", f"the sample is in {order.currency}, this workspace's orders in {currency}"
            )
        if not order.lines:
            raise PayloadProblem("lines", "the sample has no lines")
        placeholder = ShopConnection(id=connection_id, kind=ShopKind.generic.value)
        created = OrderCreate.model_validate(
            {
                "external_id": external_id(placeholder, order.shop_order_id),
                "buyer_email": order.buyer_email,
                "buyer_name": order.buyer_name,
                "currency": currency,
                "ordered_at": order.ordered_at,
                "status": order.status.value,
                "lines": [
                    {"sku": line.sku, "quantity": line.quantity, "unit_price": str(to_cents(line.unit_price, currency))}
                    for line in order.lines
                ],
            }
        )
    except DomainError as error:
        return MappingPreview(order=None, errors=[MappingProblem(**item) for item in error.errors])
    except PayloadProblem as problem:
        return MappingPreview(order=None, errors=[MappingProblem(field=problem.field, message=problem.message)])
    except ValidationError as exc:
        errors = errors_from_pydantic(list(exc.errors()))
        return MappingPreview(order=None, errors=[MappingProblem(**item) for item in errors])
    return MappingPreview(order=created, errors=[])
