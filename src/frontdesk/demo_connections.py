"""The demo's connections: a Shopify store and a generic JSON shop that posted the recent orders, a paused
outbound webhook endpoint with weeks of delivery history, and a scoped API key for the shop integration.

Written straight into the tables, as the connectors and the dispatcher would have left them: the demo must
not send anything anywhere (the endpoint's host does not exist, and it is paused), and its history must look
like weeks of real traffic. Deterministic through the demo's ``rng``.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import security
from frontdesk.commerce.models import Order, OrderLine, Product
from frontdesk.connections.models import InboundDelivery, InboundStatus, ShopConnection, ShopKind
from frontdesk.contacts.models import Contact, ContactEmail
from frontdesk.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from frontdesk.workspaces.models import ApiKey, Role

SHOP_DOMAIN = "demo-shop.myshopify.com"
ENDPOINT_URL = "https://hooks.demo-shop.example/frontdesk"
ENDPOINT_EVENTS = ["order.created", "contact.created", "conversation.resolved"]
INTEGRATION_KEY = "Shop integration"
INTEGRATION_SCOPES = ["contacts:read", "orders:write"]
# A generic shop's JSON, mapped field by field (plain dotted paths into its payload).
GENERIC_MAPPING = {
    "external_id": "order.number",
    "buyer_email": "order.customer.email",
    "buyer_name": "order.customer.name",
    "currency": "order.currency",
    "ordered_at": "order.placed_at",
    "status": "order.state",
    "lines": "order.items",
    "line_sku": "sku",
    "line_quantity": "qty",
    "line_unit_price": "price",
}


@dataclass(frozen=True)
class DemoConnections:
    inbound_deliveries: int
    webhook_deliveries: int
    api_key_id: int


@dataclass(frozen=True)
class _Sold:
    order: Order
    email: str | None
    name: str
    lines: list[tuple[str, str, int, int]]  # sku, product name, quantity, unit price (minor)


def _money(minor: int) -> str:
    return f"{minor / 100:.2f}"


def _token(rng: random.Random, size: int = 24) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(size)).decode().rstrip("=")


async def _recent_orders(session: AsyncSession, workspace_id: int, count: int) -> list[_Sold]:
    orders = list(
        await session.scalars(
            select(Order)
            .where(Order.workspace_id == workspace_id, Order.buyer_id.is_not(None))
            .order_by(Order.ordered_at.desc(), Order.id.desc())
            .limit(count)
        )
    )
    sold: list[_Sold] = []
    for order in reversed(orders):  # oldest first: deliveries arrive in order
        contact = await session.get(Contact, order.buyer_id)
        email = await session.scalar(
            select(ContactEmail.email).where(ContactEmail.contact_id == order.buyer_id).order_by(ContactEmail.position)
        )
        rows = await session.execute(
            select(Product.sku, Product.name, OrderLine.quantity, OrderLine.unit_price_minor)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == order.id)
            .order_by(OrderLine.id)
        )
        lines = [(sku, name, quantity, price) for sku, name, quantity, price in rows.all()]
        sold.append(_Sold(order=order, email=email, name=contact.name if contact else "", lines=lines))
    return sold


def _shopify_order(sold: _Sold, number: int, financial_status: str) -> dict[str, Any]:
    """A small order in Shopify's webhook shape (the fields Frontdesk reads, and a few around them)."""
    first, _, last = sold.name.partition(" ")
    return {
        "id": 5_600_000_000_000 + number,
        "name": f"#{sold.order.external_id}",
        "order_number": number,
        "email": sold.email,
        "created_at": sold.order.ordered_at.isoformat(),
        "currency": sold.order.currency,
        "financial_status": financial_status,
        "total_price": _money(sold.order.total_minor),
        "customer": {"id": 7_100_000_000 + number, "email": sold.email, "first_name": first, "last_name": last},
        "line_items": [
            {"sku": sku, "title": name, "quantity": quantity, "price": _money(price)}
            for sku, name, quantity, price in sold.lines
        ],
    }


def _inbound(
    rng: random.Random,
    *,
    connection: ShopConnection,
    sold: _Sold,
    topic: str,
    at: datetime,
    payload: dict[str, Any],
    status: InboundStatus = InboundStatus.applied,
    message: str | None = None,
) -> InboundDelivery:
    return InboundDelivery(
        workspace_id=connection.workspace_id,
        connection_id=connection.id,
        delivery_id=f"{rng.getrandbits(128):032x}",
        topic=topic,
        received_at=at,
        status=status.value,
        message=message,
        order_external_id=sold.order.external_id if topic.startswith(("orders/", "refunds/", "order.")) else None,
        contact_id=sold.order.buyer_id,
        payload=json.dumps(payload, separators=(",", ":")),
    )


async def _shops(session: AsyncSession, workspace_id: int, rng: random.Random, now: datetime) -> int:
    sold = await _recent_orders(session, workspace_id, 12)
    shopify = ShopConnection(
        workspace_id=workspace_id,
        kind=ShopKind.shopify.value,
        name="Demo Shop on Shopify",
        shop_domain=SHOP_DOMAIN,
        public_token=_token(rng),
        secret=f"shpss_{rng.getrandbits(128):032x}",
        created_at=now - timedelta(days=45),
        updated_at=now - timedelta(days=45),
    )
    generic = ShopConnection(
        workspace_id=workspace_id,
        kind=ShopKind.generic.value,
        name="Other shop (JSON)",
        public_token=_token(rng),
        secret="whsec_" + base64.b64encode(rng.randbytes(24)).decode(),
        mapping=GENERIC_MAPPING,
        product_range="Marketplace",
        created_at=now - timedelta(days=20),
        updated_at=now - timedelta(days=20),
    )
    session.add_all([shopify, generic])
    await session.flush()
    deliveries: list[InboundDelivery] = []
    shop_orders, generic_orders = sold[:-3], sold[-3:]
    for number, item in enumerate(shop_orders, start=1001):
        # Webhooks arrive seconds after the order; a demo order's own time may be older, so the arrivals are
        # spread over the last weeks instead.
        at = now - timedelta(days=28 * (len(shop_orders) - (number - 1001)) / max(1, len(shop_orders)), minutes=7)
        if number % 4 == 1:
            customer = _shopify_order(item, number, "pending")["customer"]
            deliveries.append(
                _inbound(rng, connection=shopify, sold=item, topic="customers/create", at=at, payload=customer)
            )
        created = _shopify_order(item, number, "pending")
        deliveries.append(_inbound(rng, connection=shopify, sold=item, topic="orders/create", at=at, payload=created))
        paid = _shopify_order(item, number, "paid")
        later = at + timedelta(minutes=rng.randrange(2, 40))
        deliveries.append(_inbound(rng, connection=shopify, sold=item, topic="orders/paid", at=later, payload=paid))
        if number == 1003:  # Shopify retried a webhook it had no answer to in time
            deliveries.append(
                _inbound(
                    rng,
                    connection=shopify,
                    sold=item,
                    topic="orders/paid",
                    at=later + timedelta(seconds=5),
                    payload=paid,
                    status=InboundStatus.duplicate,
                    message=f"order {item.order.external_id} is already up to date (the shop sent the same "
                    "webhook again under a new delivery id); nothing changed",
                )
            )
        if number == 1005 and item.lines:
            sku, _, _, price = item.lines[0]
            refund = {
                "id": 880_000_000 + number,
                "order_id": created["id"],
                "created_at": (later + timedelta(days=3)).isoformat(),
                "note": "Arrived damaged",
                "refund_line_items": [{"quantity": 1, "line_item": {"sku": sku}, "subtotal": _money(price)}],
            }
            deliveries.append(
                _inbound(
                    rng,
                    connection=shopify,
                    sold=item,
                    topic="refunds/create",
                    at=later + timedelta(days=3),
                    payload=refund,
                )
            )
    if shop_orders:
        item = shop_orders[-1]
        wrong = _shopify_order(item, 1999, "paid") | {"currency": "JPY" if item.order.currency != "JPY" else "EUR"}
        deliveries.append(
            _inbound(
                rng,
                connection=shopify,
                sold=item,
                topic="orders/updated",
                at=now - timedelta(hours=5),
                payload=wrong,
                status=InboundStatus.failed,
                message=f"currency {wrong['currency']} differs from the order's {item.order.currency}: "
                "an order keeps the currency it was placed in; nothing stored",
            )
        )
    for index, item in enumerate(generic_orders):
        at = now - timedelta(days=12 - 4 * index, hours=3)
        body = {
            "order": {
                "number": item.order.external_id,
                "placed_at": item.order.ordered_at.isoformat(),
                "state": "completed",
                "currency": item.order.currency,
                "customer": {"email": item.email, "name": item.name},
                "items": [
                    {"sku": sku, "qty": quantity, "price": _money(price)} for sku, _, quantity, price in item.lines
                ],
            }
        }
        deliveries.append(_inbound(rng, connection=generic, sold=item, topic="order", at=at, payload=body))
    session.add_all(deliveries)
    for connection in (shopify, generic):
        connection.last_received_at = max(
            (d.received_at for d in deliveries if d.connection_id == connection.id), default=None
        )
    return len(deliveries)


async def _webhooks(session: AsyncSession, workspace_id: int, rng: random.Random, now: datetime) -> int:
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url=ENDPOINT_URL,
        description="Demo Shop's fulfilment system (paused: the demo sends nothing)",
        event_types=ENDPOINT_EVENTS,
        secret="whsec_" + base64.b64encode(rng.randbytes(24)).decode(),
        enabled=False,
        created_at=now - timedelta(days=30),
        updated_at=now - timedelta(hours=2),
    )
    session.add(endpoint)
    await session.flush()
    contacts = list(
        await session.scalars(
            select(Contact.id).where(Contact.workspace_id == workspace_id).order_by(Contact.id.desc()).limit(20)
        )
    )
    count = 20
    last_success: datetime | None = None
    for index in range(count):
        at = now - timedelta(days=29 * (count - index) / count, minutes=rng.randrange(0, 600))
        event_type = ENDPOINT_EVENTS[index % len(ENDPOINT_EVENTS)]
        contact_id = contacts[index % len(contacts)] if contacts else None
        data: dict[str, Any] = {"contact_id": contact_id}
        if event_type == "order.created":
            data |= {"order_id": 1000 + index, "currency": "EUR", "total": _money(rng.randrange(1500, 25000))}
        elif event_type == "conversation.resolved":
            data |= {"conversation_id": 500 + index}
        message_id = "msg_" + _token(rng, 18)
        event = WebhookEvent(
            workspace_id=workspace_id,
            message_id=message_id,
            event_type=event_type,
            payload={"type": event_type, "timestamp": at.isoformat(), "data": data},
            contact_id=contact_id,
            created_at=at,
        )
        session.add(event)
        await session.flush()
        # The story: mostly quick 200s; one 503 twice then a 200; one that timed out until it gave up.
        if index == 7:
            outcomes: list[tuple[int | None, int, str | None]] = [(503, 120, None), (503, 95, None), (200, 140, None)]
        elif index == 13:
            outcomes = [(None, 10000, "timed out after 10 s")] * 3
        else:
            outcomes = [(200, rng.randrange(80, 300), None)]
        succeeded = outcomes[-1][0] == 200
        delivery = WebhookDelivery(
            workspace_id=workspace_id,
            endpoint_id=endpoint.id,
            event_id=event.id,
            status=(DeliveryStatus.succeeded if succeeded else DeliveryStatus.failed).value,
            attempts=len(outcomes),
            next_attempt_at=None,
            last_status_code=outcomes[-1][0],
            last_latency_ms=outcomes[-1][1],
            last_error=outcomes[-1][2],
            created_at=at,
        )
        session.add(delivery)
        await session.flush()
        attempt_at = at
        for number, (status_code, latency, error) in enumerate(outcomes):
            attempt_at += timedelta(seconds=1) if number == 0 else timedelta(seconds=30 * 4**number)
            session.add(
                WebhookAttempt(
                    workspace_id=workspace_id,
                    delivery_id=delivery.id,
                    attempted_at=attempt_at,
                    request_headers={
                        "webhook-id": message_id,
                        "webhook-timestamp": str(int(attempt_at.timestamp())),
                        "webhook-signature": "v1," + base64.b64encode(rng.randbytes(32)).decode(),
                        "content-type": "application/json",
                    },
                    status_code=status_code,
                    latency_ms=latency,
                    error=error,
                    response_body={200: '{"ok":true}', 503: "Service Unavailable"}.get(status_code or 0),
                )
            )
        delivery.finished_at = attempt_at + timedelta(milliseconds=outcomes[-1][1])
        if succeeded:
            last_success = delivery.finished_at
    endpoint.last_success_at = last_success
    return count


async def create_demo_connections(
    *, session: AsyncSession, workspace_id: int, rng: random.Random, now: datetime
) -> DemoConnections:
    inbound = await _shops(session, workspace_id, rng, now)
    outbound = await _webhooks(session, workspace_id, rng, now)
    key = security.new_api_key()  # its secret is never shown: the demo's integration is a story, not a login
    api_key = ApiKey(
        workspace_id=workspace_id,
        name=INTEGRATION_KEY,
        prefix=key[:10],
        key_hash=security.token_digest(key),
        role=Role.agent.value,
        scopes=INTEGRATION_SCOPES,
        created_at=now - timedelta(days=45),
        last_used_at=now - timedelta(minutes=rng.randrange(3, 50)),
    )
    session.add(api_key)
    await session.flush()
    return DemoConnections(inbound_deliveries=inbound, webhook_deliveries=outbound, api_key_id=api_key.id)
