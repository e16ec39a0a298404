"""Raw payloads: emptied after the connection's retention period, and with the person they name."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.connections.housekeeping import purge_expired_payloads
from frontdesk.connections.models import InboundDelivery
from frontdesk.db import create_session_factory, utcnow
from tests.connections.shops import connect, hook_path, shopify_headers
from tests.factories import WorkspaceHandle


def _order(email: str, currency: str, number: int) -> bytes:
    return json.dumps(
        {
            "id": number,
            "email": email,
            "created_at": "2026-03-01T10:00:00Z",
            "currency": currency,
            "customer": {"first_name": "Petra", "last_name": "Privat", "email": email},
            "line_items": [{"id": 1, "sku": "TEA", "title": "Tea", "quantity": 1, "price": "4.50"}],
        }
    ).encode()


async def _payloads(engine: AsyncEngine) -> dict[str, str | None]:
    async with create_session_factory(engine)() as session:
        rows = (await session.execute(select(InboundDelivery.delivery_id, InboundDelivery.payload))).all()
    return {delivery_id: payload for delivery_id, payload in rows}


async def test_payloads_older_than_the_retention_are_emptied(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    short = await connect(client, workspace, "shopify", payload_retention_days=1)
    long = await connect(client, workspace, "shopify", payload_retention_days=30)
    for shop, name in ((short, "short"), (long, "long")):
        body = _order("petra@privat.example", "EUR", 1)
        await client.post(
            hook_path(shop), content=body, headers=shopify_headers(shop["secret"], body, "orders/create", name)
        )
    async with create_session_factory(engine)() as session:
        await session.execute(update(InboundDelivery).values(received_at=utcnow() - timedelta(days=3)))
        await session.commit()
        assert await purge_expired_payloads(session, utcnow()) == 1
        assert await purge_expired_payloads(session, utcnow()) == 0
    payloads = await _payloads(engine)
    assert payloads["short"] is None and payloads["long"] is not None
    statuses = (
        await client.get(f"/api/v1/shop-connections/{short['id']}/deliveries", headers=workspace.headers)
    ).json()
    assert [item["status"] for item in statuses["items"]] == ["applied"]  # the row stays


async def test_erasing_a_contact_empties_every_payload_that_names_them(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    shop = await connect(client, workspace, "shopify")
    secret = shop["secret"]
    applied = _order("petra@privat.example", "EUR", 1)
    failed = _order("PETRA@privat.example", "USD", 2)  # another currency: failed, the delivery knows no contact
    other = _order("someone@else.example", "EUR", 3)
    for body, name in ((applied, "applied"), (failed, "failed"), (other, "other")):
        await client.post(hook_path(shop), content=body, headers=shopify_headers(secret, body, "orders/create", name))
    deliveries = (
        await client.get(f"/api/v1/shop-connections/{shop['id']}/deliveries", headers=workspace.headers)
    ).json()
    by_name = {item["delivery_id"]: item for item in deliveries["items"]}
    assert by_name["failed"]["contact_id"] is None and by_name["failed"]["status"] == "failed"
    contact_id = by_name["applied"]["contact_id"]

    response = await client.delete(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)
    assert response.status_code == 204
    payloads = await _payloads(engine)
    assert payloads["applied"] is None and payloads["failed"] is None
    assert payloads["other"] is not None
