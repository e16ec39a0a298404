"""A shop's webhook, from its raw bytes to orders, products and contacts, in the request's one transaction.

The delivery row is written first, under the unique (connection, delivery id): a redelivery, even one racing
the first, finds it and changes nothing. What the payload says is then applied inside a savepoint, so a
payload that cannot be used leaves only the delivery, ``failed`` with the reason, for the admin to fix and
retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.models import Order, OrderStatus, Product
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, ProductCreate, minor_units
from frontdesk.commerce.service import do_change_order_status, do_upsert_product
from frontdesk.connections import mapping, shopify, woocommerce
from frontdesk.connections.models import InboundDelivery, InboundStatus, ShopConnection, ShopKind
from frontdesk.connections.records import PayloadProblem, ShopCustomer, ShopOrder, ShopRefund, parse_json, to_cents
from frontdesk.connections.signatures import is_signed
from frontdesk.contacts.models import ContactEmail
from frontdesk.contacts.schemas import ContactCreate, ContactUpdate
from frontdesk.contacts.service import do_create_contact, do_update_contact, get_contact
from frontdesk.contacts.validation import email_key, normalize_email, normalize_phone
from frontdesk.db import utcnow
from frontdesk.errors import DomainError, NotFound, errors_from_pydantic

MAX_BODY_BYTES = 1024 * 1024  # shops send big orders, not huge ones
GENERIC_TOPIC = "order"


class BadSignature(DomainError):
    status_code = 401
    title = "Unauthorized"


@dataclass
class Receipt:
    status: str
    delivery: int | None


@dataclass
class Outcome:
    status: InboundStatus
    message: str | None = None
    contact_id: int | None = None
    order_external_id: str | None = None


def external_id(connection: ShopConnection, shop_order_id: str) -> str:
    """Frontdesk's order number for a shop's order: unique per connection, so two shops never collide."""
    return f"{connection.kind}-{connection.id}:{shop_order_id}"[:100]


def sku_prefix(connection: ShopConnection) -> str:
    """For lines without a SKU: the shop's product id under this connection (two WooCommerce sites share ids)."""
    return f"{connection.kind}-{connection.id}-product-"


def _topic_and_id(kind: ShopKind, headers: Mapping[str, str], body: bytes) -> tuple[str, str]:
    names = {
        ShopKind.shopify: ("x-shopify-topic", "x-shopify-webhook-id"),
        ShopKind.woocommerce: ("x-wc-webhook-topic", "x-wc-webhook-delivery-id"),
        ShopKind.generic: ("", "webhook-id"),
    }[kind]
    topic = headers.get(names[0], "").strip()[:100] if names[0] else GENERIC_TOPIC
    # Without the shop's delivery id, the body itself tells a resend of the same bytes.
    delivery_id = headers.get(names[1], "").strip()[:200] or "sha256:" + hashlib.sha256(body).hexdigest()
    return topic or "unknown", delivery_id


async def do_receive(*, session: AsyncSession, token: str, headers: Mapping[str, str], body: bytes) -> Receipt:
    """Verify, store and apply one webhook. ``headers`` in lower case. The caller commits."""
    # One delivery of a connection at a time (the row is locked on PostgreSQL; SQLite has one writer anyway): a
    # refund and its order, or a shop's "create" and "paid" of one new order, arriving together then see each
    # other instead of both missing the other or both inserting the order.
    connection = await session.scalar(
        select(ShopConnection).where(ShopConnection.public_token == token[:64]).with_for_update()
    )
    if connection is None or not connection.enabled:
        raise NotFound("no shop connection has this address")
    kind = ShopKind(connection.kind)
    if kind is ShopKind.woocommerce and "x-wc-webhook-topic" not in headers and woocommerce.PING.match(body.strip()):
        return Receipt("ping", None)
    if not is_signed(kind, connection.secret, headers, body):
        raise BadSignature("the signature is missing or does not match this connection's secret")
    topic, delivery_key = _topic_and_id(kind, headers, body)
    now = utcnow()
    delivery = InboundDelivery(
        workspace_id=connection.workspace_id,
        connection_id=connection.id,
        delivery_id=delivery_key,
        topic=topic,
        received_at=now,
        status=InboundStatus.applied.value,
        payload=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
    )
    try:
        async with session.begin_nested():
            session.add(delivery)
            await session.flush()
    except IntegrityError:
        first = await session.scalar(
            select(InboundDelivery.id).where(
                InboundDelivery.connection_id == connection.id, InboundDelivery.delivery_id == delivery_key
            )
        )
        return Receipt(InboundStatus.duplicate.value, first)
    connection.last_received_at = now
    await session.flush()
    await apply_delivery(session=session, connection=connection, delivery=delivery)
    return Receipt(delivery.status, delivery.id)


async def apply_delivery(*, session: AsyncSession, connection: ShopConnection, delivery: InboundDelivery) -> None:
    """Apply the stored payload of ``delivery`` (again, on a retry); a payload that cannot be used changes
    nothing but the delivery's status and message."""
    body = (delivery.payload or "").encode()
    try:
        async with session.begin_nested():
            outcome = await _apply(session, connection, delivery.topic, body)
    except PayloadProblem as problem:
        outcome = Outcome(InboundStatus.failed, f"{problem.field}: {problem.message}"[:500])
    except DomainError as error:
        where = f"{error.errors[0]['field']}: " if error.errors else ""
        outcome = Outcome(InboundStatus.failed, f"{where}{error.detail}"[:500])
    delivery.status = outcome.status.value
    delivery.message = outcome.message
    delivery.contact_id = outcome.contact_id
    delivery.order_external_id = outcome.order_external_id
    await session.flush()


async def _apply(session: AsyncSession, connection: ShopConnection, topic: str, body: bytes) -> Outcome:
    kind = ShopKind(connection.kind)
    if kind is ShopKind.generic:
        if connection.mapping is None:
            raise PayloadProblem("mapping", "set the field mapping of this connection in Settings, then retry")
        workspace_currency = (
            await get_commerce_settings(session=session, workspace_id=connection.workspace_id)
        ).currency
        document = parse_json(body)
        order = mapping.mapped_order(connection.mapping, document, default_currency=workspace_currency)
        return await _apply_order(session, connection, order)
    module = shopify if kind is ShopKind.shopify else woocommerce
    if topic not in module.TOPICS:
        return Outcome(InboundStatus.ignored, f"Frontdesk does not use {topic!r} webhooks")
    document = parse_json(body)
    if not isinstance(document, dict):
        raise PayloadProblem("body", "is not a JSON object")
    if topic in shopify.CUSTOMER_TOPICS | woocommerce.CUSTOMER_TOPICS:
        return await _apply_customer(session, connection, module.customer(document))
    if topic in shopify.REFUND_TOPICS:
        return await _apply_refund(session, connection, shopify.refund(document), waiting_allowed=True)
    if topic in woocommerce.DELETED_TOPICS:
        return await _apply_deletion(session, connection, document)
    return await _apply_order(session, connection, module.order(document, sku_prefix=sku_prefix(connection)))


async def _stored_order(session: AsyncSession, workspace_id: int, external: str) -> Order | None:
    return await session.scalar(select(Order).where(Order.workspace_id == workspace_id, Order.external_id == external))


async def _ensure_products(session: AsyncSession, connection: ShopConnection, order: ShopOrder) -> None:
    """Products the shop sells that Frontdesk does not know yet join the connection's product range."""
    skus = {line.sku: line.name for line in order.lines}
    known = set(
        (
            await session.scalars(
                select(Product.sku).where(Product.workspace_id == connection.workspace_id, Product.sku.in_(skus))
            )
        ).all()
    )
    for sku, name in skus.items():
        if sku not in known:
            data = ProductCreate(sku=sku, name=name[:300] or sku, range=connection.product_range)
            await do_upsert_product(session=session, workspace_id=connection.workspace_id, data=data)


async def _apply_order(session: AsyncSession, connection: ShopConnection, order: ShopOrder) -> Outcome:
    external = external_id(connection, order.shop_order_id)
    if order.buyer_email is None:
        raise PayloadProblem("email", "the order names no customer e-mail address")
    if not order.lines:
        raise PayloadProblem("line_items", "the order has no lines")
    workspace_id = connection.workspace_id
    currency = (await get_commerce_settings(session=session, workspace_id=workspace_id)).currency
    if order.currency.strip().upper() != currency:
        raise PayloadProblem(
            "currency",
            f"the shop sells in {order.currency}, this workspace's orders are in {currency}: "
            "change the currency in Settings → Commerce (or the shop's), then retry",
        )
    status = order.status
    known = await _stored_order(session, workspace_id, external)
    if known is not None and known.status != OrderStatus.completed.value and status is OrderStatus.completed:
        # Shops do not promise their webhooks' order, and a signed body can be sent again: a late "paid" after
        # the refund or cancellation must not bring the order back.
        status = OrderStatus(known.status)
    try:
        data = OrderCreate.model_validate(
            {
                "external_id": external,
                "buyer_email": order.buyer_email,
                "buyer_name": order.buyer_name[:300] if order.buyer_name else None,
                "currency": currency,
                "ordered_at": order.ordered_at,
                "status": status.value,
                "lines": [
                    {"sku": line.sku, "quantity": line.quantity, "unit_price": str(to_cents(line.unit_price, currency))}
                    for line in order.lines
                ],
            }
        )
    except ValidationError as exc:
        first = errors_from_pydantic(list(exc.errors()))[0]
        raise PayloadProblem(first["field"] or "order", first["message"]) from None
    await _ensure_products(session, connection, order)
    outcome = await write_orders(
        session=session, workspace_id=workspace_id, orders=[data], actor=f"shop-connection:{connection.id}"
    )
    if outcome.errors:
        error = outcome.errors[0]
        raise PayloadProblem(error["field"], error["message"])
    stored = await _stored_order(session, workspace_id, external)
    assert stored is not None
    await _apply_waiting_refunds(session, connection, external)
    return Outcome(InboundStatus.applied, None, stored.buyer_id, external)


async def _apply_waiting_refunds(session: AsyncSession, connection: ShopConnection, external: str) -> None:
    waiting = (
        await session.scalars(
            select(InboundDelivery)
            .where(
                InboundDelivery.connection_id == connection.id,
                InboundDelivery.status == InboundStatus.waiting.value,
                InboundDelivery.order_external_id == external,
            )
            .order_by(InboundDelivery.id)
        )
    ).all()
    for delivery in waiting:
        if not delivery.payload:  # emptied by an erasure of the person before the order came
            delivery.status = InboundStatus.failed.value
            delivery.message = "its payload was erased before its order arrived: not applied"
            continue
        refund = shopify.refund(parse_json(delivery.payload.encode()))
        outcome = await _apply_refund(session, connection, refund, waiting_allowed=False)
        delivery.status = outcome.status.value
        delivery.message = f"applied when its order arrived: {outcome.message}"[:500]
        delivery.contact_id = outcome.contact_id
    await session.flush()


async def _apply_refund(
    session: AsyncSession, connection: ShopConnection, refund: ShopRefund, *, waiting_allowed: bool
) -> Outcome:
    external = external_id(connection, refund.shop_order_id)
    stored = await _stored_order(session, connection.workspace_id, external)
    if stored is None:
        if not waiting_allowed:
            raise PayloadProblem("order_id", "the refund's order is not stored")
        return Outcome(InboundStatus.waiting, "the order has not arrived yet: applied when it does", None, external)
    paid_back = int(to_cents(refund.amount, stored.currency) * minor_units(stored.currency))
    if paid_back >= stored.total_minor:
        await do_change_order_status(
            session=session, workspace_id=connection.workspace_id, order_id=stored.id, status=OrderStatus.refunded
        )
        message = "refunded in full: the order is refunded"
    else:
        message = (
            f"partial refund of {to_cents(refund.amount, stored.currency)} {stored.currency}: the order stays completed"
        )
    return Outcome(InboundStatus.applied, message, stored.buyer_id, external)


async def _apply_deletion(session: AsyncSession, connection: ShopConnection, document: dict[str, Any]) -> Outcome:
    external = external_id(connection, str(document.get("id", "")))
    stored = await _stored_order(session, connection.workspace_id, external)
    if stored is None:
        return Outcome(InboundStatus.ignored, "deleted in the shop; Frontdesk never stored it", None, external)
    await do_change_order_status(
        session=session, workspace_id=connection.workspace_id, order_id=stored.id, status=OrderStatus.cancelled
    )
    return Outcome(InboundStatus.applied, "deleted in the shop: the order is cancelled", stored.buyer_id, external)


async def _apply_customer(session: AsyncSession, connection: ShopConnection, customer: ShopCustomer) -> Outcome:
    workspace_id = connection.workspace_id
    try:
        address = normalize_email(customer.email)
    except ValueError as exc:
        raise PayloadProblem("email", str(exc)) from None
    phone = None
    if customer.phone:
        try:
            phone = normalize_phone(customer.phone, None)
        except ValueError:
            phone = None  # a local number without its country: the e-mail and name still count
    contact_id = await session.scalar(
        select(ContactEmail.contact_id).where(
            ContactEmail.workspace_id == workspace_id, ContactEmail.email_normalized == email_key(address)
        )
    )
    actor = f"shop-connection:{connection.id}"
    if contact_id is None:
        created = await do_create_contact(
            session=session,
            workspace_id=workspace_id,
            data=ContactCreate(
                first_name=customer.first_name,
                last_name=customer.last_name,
                name=None if customer.first_name or customer.last_name else address.split("@")[0],
                emails=[address],
                phones=[phone] if phone else [],
                roles=["customer"],
            ),
            actor=actor,
        )
        return Outcome(InboundStatus.applied, "contact created", created.id)
    contact = await get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    changes: dict[str, Any] = {}
    if customer.first_name:
        changes["first_name"] = customer.first_name
    if customer.last_name:
        changes["last_name"] = customer.last_name
    if phone and phone not in contact.phone_numbers:
        changes["phones"] = [*contact.phone_numbers, phone]
    if changes:
        await do_update_contact(
            session=session,
            workspace_id=workspace_id,
            contact_id=contact_id,
            patch=ContactUpdate.model_validate(changes),
            actor=actor,
        )
    return Outcome(InboundStatus.applied, "contact updated" if changes else "contact unchanged", contact_id)
