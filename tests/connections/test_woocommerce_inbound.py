"""WooCommerce webhooks: the REST API docs' own order and customer, signed as WooCommerce signs them."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.connections.shops import connect, count_rows, fixture, hook_path, use_currency, woocommerce_headers
from tests.factories import WorkspaceHandle

ORDER = fixture("woocommerce_order.json")
CUSTOMER = fixture("woocommerce_customer.json")
CUSTOMER_UPDATED = fixture("woocommerce_customer_updated.json")


async def test_ping_when_the_webhook_is_saved_is_answered_and_not_stored(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    shop = await connect(client, workspace, "woocommerce")
    response = await client.post(
        hook_path(shop),
        content=b"webhook_id=12",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-WC-Webhook-Source": "https://example.com/"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ping"
    assert await count_rows(engine, workspace.id) == (0, 0)


async def test_documented_order_is_stored_with_skus_or_product_ids(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await use_currency(client, workspace, "USD")
    shop = await connect(client, workspace, "woocommerce", product_range="Woo shop")
    headers = woocommerce_headers(str(shop["secret"]), ORDER, "order.created", "d-1")
    response = await client.post(hook_path(shop), content=ORDER, headers=headers)
    assert response.json()["status"] == "applied", response.text
    order = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"][0]
    assert order["external_id"] == f"woocommerce-{shop['id']}:727"
    assert order["status"] == "completed"  # "processing": paid
    # The first line has no SKU: the shop's product id names it.
    assert sorted((line["sku"], line["quantity"], line["unit_price"]) for line in order["lines"]) == [
        ("Bar3", 1, "12.00"),
        (f"woocommerce-{shop['id']}-product-93", 2, "3.00"),
    ]
    figures = (await client.get(f"/api/v1/contacts/{order['buyer_id']}/figures", headers=workspace.headers)).json()
    assert (figures["orders"], Decimal(figures["total_spent"])) == (1, Decimal("18.00"))
    buyer = (await client.get(f"/api/v1/contacts/{order['buyer_id']}", headers=workspace.headers)).json()
    assert buyer["emails"] == ["john.doe@example.com"]


async def test_refund_arrives_as_order_updated_and_an_update_before_the_create_creates_the_order(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await use_currency(client, workspace, "USD")
    shop = await connect(client, workspace, "woocommerce")
    secret = str(shop["secret"])
    document = json.loads(ORDER)
    document["status"] = "refunded"
    refunded = json.dumps(document).encode()  # derived from the documented order: refunded in the shop
    updated = await client.post(
        hook_path(shop), content=refunded, headers=woocommerce_headers(secret, refunded, "order.updated", "d-2")
    )
    assert updated.json()["status"] == "applied"
    created = await client.post(
        hook_path(shop), content=ORDER, headers=woocommerce_headers(secret, ORDER, "order.created", "d-1")
    )
    assert created.json()["status"] == "applied"
    orders = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"]
    assert len(orders) == 1
    # The late create states the order as it was then (processing): it does not undo the refund.
    assert orders[0]["status"] == "refunded"
    again = await client.post(
        hook_path(shop), content=refunded, headers=woocommerce_headers(secret, refunded, "order.updated", "d-3")
    )
    assert again.json()["status"] == "applied"
    assert (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"][0]["status"] == "refunded"
    assert await count_rows(engine, workspace.id) == (3, 1)


async def test_bad_signature_is_refused(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    shop = await connect(client, workspace, "woocommerce")
    headers = woocommerce_headers("someone-elses-secret", ORDER, "order.created", "d-1")
    assert (await client.post(hook_path(shop), content=ORDER, headers=headers)).status_code == 401
    assert await count_rows(engine, workspace.id) == (0, 0)


async def test_shops_own_secret_can_be_set(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    shop = await connect(client, workspace, "woocommerce")
    patched = await client.patch(
        f"/api/v1/shop-connections/{shop['id']}", json={"secret": "the-shops-own-secret"}, headers=workspace.headers
    )
    assert patched.status_code == 200
    headers = woocommerce_headers("the-shops-own-secret", CUSTOMER, "customer.created", "c-1")
    assert (await client.post(hook_path(shop), content=CUSTOMER, headers=headers)).status_code == 200
    old = woocommerce_headers(str(shop["secret"]), CUSTOMER, "customer.created", "c-2")
    assert (await client.post(hook_path(shop), content=CUSTOMER, headers=old)).status_code == 401


async def test_customer_created_then_updated(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    shop = await connect(client, workspace, "woocommerce")
    secret = str(shop["secret"])
    created = await client.post(
        hook_path(shop), content=CUSTOMER, headers=woocommerce_headers(secret, CUSTOMER, "customer.created", "c-1")
    )
    assert created.json()["status"] == "applied"
    updated = await client.post(
        hook_path(shop),
        content=CUSTOMER_UPDATED,
        headers=woocommerce_headers(secret, CUSTOMER_UPDATED, "customer.updated", "c-2"),
    )
    assert updated.json()["status"] == "applied"
    contacts = (await client.get("/api/v1/contacts", headers=workspace.headers)).json()["items"]
    assert [(c["first_name"], c["last_name"], c["emails"]) for c in contacts] == [
        ("James", "Doe", ["john.doe@example.com"])
    ]
