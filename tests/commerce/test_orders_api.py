"""Orders through the API: stored once however often they are sent; refunds and cancellations count."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.factories import WorkspaceHandle


def order_body(external_id: str, buyer: dict[str, Any], *lines: tuple[str, int, str], **fields: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        **buyer,
        "currency": "EUR",
        "ordered_at": "2026-11-01T10:00:00Z",
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": price} for sku, quantity, price in lines],
        **fields,
    }


async def test_an_order_sent_twice_is_stored_and_counted_once(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1", "Tea")
    buyer = await workspace.contact(name="Ada")
    body = order_body("A-1001", {"buyer_id": buyer}, ("TEA-1", 3, "4.50"))
    first = await client.post("/api/v1/orders", json=body, headers=workspace.headers)
    again = await client.post("/api/v1/orders", json=body, headers=workspace.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["total"] == "13.50"
    figures = (await client.get(f"/api/v1/contacts/{buyer}/figures", headers=workspace.headers)).json()
    assert (figures["orders"], figures["total_spent"], figures["lifecycle"]) == (1, "13.50", "new")
    assert figures["ranges"] == ["Tea"]
    listed = (await client.get("/api/v1/orders", params={"contact_id": buyer}, headers=workspace.headers)).json()
    assert [order["external_id"] for order in listed["items"]] == ["A-1001"]


async def test_a_refund_takes_the_order_out_of_the_figures_and_the_stage_follows(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Ada")
    h = workspace.headers
    kept = await client.post(
        "/api/v1/orders", json=order_body("A-1", {"buyer_id": buyer}, ("TEA-1", 1, "10")), headers=h
    )
    refunded = await client.post(
        "/api/v1/orders", json=order_body("A-2", {"buyer_id": buyer}, ("TEA-1", 2, "10")), headers=h
    )
    assert kept.status_code == refunded.status_code == 201
    figures = (await client.get(f"/api/v1/contacts/{buyer}/figures", headers=h)).json()
    assert (figures["orders"], figures["total_spent"], figures["lifecycle"]) == (2, "30.00", "returning")
    changed = await client.patch(f"/api/v1/orders/{refunded.json()['id']}", json={"status": "refunded"}, headers=h)
    assert changed.json()["status"] == "refunded"
    figures = (await client.get(f"/api/v1/contacts/{buyer}/figures", headers=h)).json()
    assert (figures["orders"], figures["total_spent"], figures["lifecycle"]) == (1, "10.00", "new")
    # Sending the order again with its new status is the same as the PATCH: idempotent.
    cancelled = order_body("A-1", {"buyer_id": buyer}, ("TEA-1", 1, "10"), status="cancelled")
    assert (await client.post("/api/v1/orders", json=cancelled, headers=h)).status_code == 200
    figures = (await client.get(f"/api/v1/contacts/{buyer}/figures", headers=h)).json()
    assert (figures["orders"], figures["total_spent"], figures["lifecycle"]) == (0, "0.00", "prospect")
    history = (await client.get(f"/api/v1/contacts/{buyer}/lifecycle", headers=h)).json()
    assert [(c["from_stage"], c["to_stage"]) for c in history] == [
        ("new", "prospect"),
        ("returning", "new"),
        ("new", "returning"),
        ("prospect", "new"),
    ]


async def test_an_unknown_buyer_email_creates_the_contact(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    body = order_body("W-9", {"buyer_email": "New.Buyer@Example.com", "buyer_name": "Nia"}, ("TEA-1", 1, "5"))
    created = await client.post("/api/v1/orders", json=body, headers=workspace.headers)
    assert created.status_code == 201, created.text
    buyer_id = created.json()["buyer_id"]
    contact = (await client.get(f"/api/v1/contacts/{buyer_id}", headers=workspace.headers)).json()
    assert (contact["name"], contact["emails"]) == ("Nia", ["New.Buyer@example.com"])
    again = await client.post(
        "/api/v1/orders",
        json=order_body("W-10", {"buyer_email": "new.buyer@example.com"}, ("TEA-1", 1, "5")),
        headers=workspace.headers,
    )
    assert again.json()["buyer_id"] == buyer_id


async def test_bad_orders_get_422_naming_the_field(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Ada")
    h = workspace.headers
    cases = [
        (order_body("X", {"buyer_id": buyer}, ("NOPE", 1, "1")), "lines.0.sku"),
        (order_body("X", {"buyer_id": buyer}, ("TEA-1", 1, "1"), currency="USD"), "currency"),
        (order_body("X", {"buyer_id": buyer}, ("TEA-1", 1, "1"), currency="XYZ"), "currency"),
        (order_body("X", {"buyer_id": buyer}, ("TEA-1", 0, "1")), "lines.0.quantity"),
        (order_body("X", {"buyer_id": buyer}, ("TEA-1", 1, "1.005")), None),
        (order_body("X", {"buyer_id": 10**12}, ("TEA-1", 1, "1")), "buyer_id"),
        (order_body("X", {}, ("TEA-1", 1, "1")), None),
        (order_body("X", {"buyer_id": buyer}, ("TEA-1", 1, "1"), ordered_at="2026-11-01T10:00:00"), "ordered_at"),
        (order_body("X", {"buyer_id": buyer}, ("TEA-1", 1, "1"), status="shipped"), "status"),
    ]
    for body, field in cases:
        response = await client.post("/api/v1/orders", json=body, headers=h)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if field is not None:
            assert response.json()["errors"][0]["field"] == field, response.text
    assert (await client.get("/api/v1/orders", headers=h)).json()["items"] == []


async def test_the_same_new_order_sent_twice_at_once_is_stored_once(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    body = order_body("RACE-1", {"buyer_email": "racer@example.com"}, ("TEA-1", 1, "5"))
    responses = await asyncio.gather(
        *(client.post("/api/v1/orders", json=body, headers=workspace.headers) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["buyer_id"] for r in responses}) == 1
    racers = await client.get("/api/v1/contacts", params={"q": "racer"}, headers=workspace.headers)
    assert len(racers.json()["items"]) == 1
