"""Any shop: a field mapping set in Settings, deliveries signed as Standard Webhooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.connections.shops import connect, count_rows, generic_headers, hook_path
from tests.factories import WorkspaceHandle

MAPPING = {
    "external_id": "id",
    "buyer_email": "customer.email",
    "buyer_name": "customer.name",
    "currency": "currency",
    "ordered_at": "created_at",
    "status": "status",
    "status_values": {"paid": "completed", "refunded": "refunded", "void": "cancelled"},
    "lines": "items[]",
    "line_sku": "sku",
    "line_quantity": "qty",
    "line_unit_price": "price",
    "line_name": "title",
}
SAMPLE: dict[str, Any] = {
    "id": "A-1001",
    "customer": {"email": "ada@shop.example", "name": "Ada Buyer"},
    "currency": "EUR",
    "created_at": "2026-03-01T10:00:00Z",
    "status": "paid",
    "items": [{"sku": "MUG-1", "qty": 2, "price": "7.50", "title": "Mug"}],
}


async def test_mapping_is_validated_on_save_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    broken = {**MAPPING, "line_sku": "", "status_values": {"paid": "shipped"}, "colour": "x"}
    response = await client.post(
        "/api/v1/shop-connections",
        json={"kind": "generic", "name": "Shop", "mapping": broken},
        headers=workspace.headers,
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"mapping.line_sku", "mapping.status_values.paid", "mapping.colour"}
    shop = await connect(client, workspace, "generic")
    patched = await client.patch(
        f"/api/v1/shop-connections/{shop['id']}", json={"mapping": {"external_id": "a..b"}}, headers=workspace.headers
    )
    assert patched.status_code == 422
    assert "mapping.external_id" in {error["field"] for error in patched.json()["errors"]}


async def test_preview_shows_the_order_or_the_errors(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    preview = await client.post(
        "/api/v1/shop-connections/mapping-preview",
        json={"mapping": MAPPING, "sample": SAMPLE},
        headers=workspace.headers,
    )
    assert preview.status_code == 200, preview.text
    order = preview.json()["order"]
    assert (order["buyer_email"], order["buyer_name"], order["status"]) == (
        "ada@shop.example",
        "Ada Buyer",
        "completed",
    )
    assert order["lines"] == [{"sku": "MUG-1", "quantity": 2, "unit_price": "7.50"}]
    missing = {**SAMPLE, "customer": {}}
    failed = await client.post(
        "/api/v1/shop-connections/mapping-preview",
        json={"mapping": MAPPING, "sample": missing},
        headers=workspace.headers,
    )
    assert failed.json()["order"] is None
    assert failed.json()["errors"][0]["field"] == "buyer_email"


async def test_signed_delivery_is_stored_and_an_old_timestamp_is_refused(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    shop = await connect(client, workspace, "generic", mapping=MAPPING)
    secret = str(shop["secret"])
    assert secret.startswith("whsec_")
    body = json.dumps(SAMPLE).encode()
    stale = generic_headers(secret, body, "msg_old", at=datetime.now(UTC) - timedelta(hours=1))
    assert (await client.post(hook_path(shop), content=body, headers=stale)).status_code == 401
    changed = generic_headers(secret, body, "msg_1")
    assert (
        await client.post(hook_path(shop), content=body.replace(b"7.50", b"7.51"), headers=changed)
    ).status_code == 401
    assert await count_rows(engine, workspace.id) == (0, 0)

    response = await client.post(hook_path(shop), content=body, headers=changed)
    assert response.json()["status"] == "applied", response.text
    replay = await client.post(hook_path(shop), content=body, headers=changed)
    assert replay.json()["status"] == "duplicate"
    order = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"][0]
    assert order["external_id"] == f"generic-{shop['id']}:A-1001"
    products = (await client.get("/api/v1/products", headers=workspace.headers)).json()["items"]
    assert [(p["sku"], p["name"], p["range"]) for p in products] == [("MUG-1", "Mug", "Online shop")]


async def test_delivery_without_a_mapping_fails_until_one_is_set(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await connect(client, workspace, "generic")
    body = json.dumps(SAMPLE).encode()
    response = await client.post(
        hook_path(shop), content=body, headers=generic_headers(str(shop["secret"]), body, "m1")
    )
    assert response.json()["status"] == "failed"
    await client.patch(f"/api/v1/shop-connections/{shop['id']}", json={"mapping": MAPPING}, headers=workspace.headers)
    retried = await client.post(
        f"/api/v1/shop-deliveries/{response.json()['delivery']}/retry", headers=workspace.headers
    )
    assert retried.json()["status"] == "applied"


async def test_preview_of_absurd_numbers_names_the_field(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    for price, quantity in (("1e400", 1), ("7.50", "1e30"), ("-1", 1), ("abc", 1)):
        sample = {**SAMPLE, "items": [{"sku": "MUG-1", "qty": quantity, "price": price}]}
        response = await client.post(
            "/api/v1/shop-connections/mapping-preview",
            json={"mapping": MAPPING, "sample": sample},
            headers=workspace.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["order"] is None
        assert response.json()["errors"][0]["field"].startswith("lines.0")
