"""Shopify webhooks, posted exactly as Shopify's documentation shows them and signed as it describes."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.connections.shops import (
    connect,
    count_rows,
    counting_order,
    fixture,
    hook_path,
    shopify_headers,
    use_currency,
)
from tests.factories import WorkspaceHandle

ORDER = fixture("shopify_orders_create.json")
REFUND = fixture("shopify_refunds_create.json")
CUSTOMER = fixture("shopify_customers_create.json")


async def _shop(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> dict[str, object]:
    await use_currency(client, workspace, "USD")
    return await connect(client, workspace, "shopify", shop_domain="jsmith.myshopify.com")


async def test_documented_order_is_stored_with_its_products_and_buyer(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await _shop(client, workspace)
    headers = shopify_headers(str(shop["secret"]), ORDER, "orders/create", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    response = await client.post(hook_path(shop), content=ORDER, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "applied"

    orders = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"]
    assert len(orders) == 1
    order = orders[0]
    assert order["external_id"] == f"shopify-{shop['id']}:820982911946154508"
    # The documented order was cancelled (cancelled_at set, voided): it is stored, and does not count.
    assert order["status"] == "cancelled"
    assert sorted(line["sku"] for line in order["lines"]) == [
        "CASE-LEATHER-PREM", "LENS-PROTECT-2YR", "SKU2006-001", "SKU2006-020", "SKU2006-035"
    ]  # fmt: skip
    products = (await client.get("/api/v1/products", headers=workspace.headers)).json()["items"]
    assert {product["range"] for product in products} == {"Online shop"}
    assert {product["name"] for product in products} >= {"Aviator sunglasses", "Coffee table"}

    delivery = (
        await client.get(f"/api/v1/shop-deliveries/{response.json()['delivery']}", headers=workspace.headers)
    ).json()
    assert delivery["payload"].encode() == ORDER
    assert delivery["topic"] == "orders/create"
    assert delivery["contact_id"] == order["buyer_id"]
    buyer = (await client.get(f"/api/v1/contacts/{order['buyer_id']}", headers=workspace.headers)).json()
    assert "jon@example.com" in buyer["emails"]


async def test_counting_order_updates_the_buyers_figures(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    shop = await _shop(client, workspace)
    body = counting_order(ORDER)
    response = await client.post(
        hook_path(shop), content=body, headers=shopify_headers(str(shop["secret"]), body, "orders/paid", "w-1")
    )
    assert response.json()["status"] == "applied"
    order = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"][0]
    figures = (await client.get(f"/api/v1/contacts/{order['buyer_id']}/figures", headers=workspace.headers)).json()
    assert figures["orders"] == 1
    assert Decimal(figures["total_spent"]) == Decimal("414.95")  # the lines' prices: 89.99+19.99+24.99+159.99+119.99
    assert figures["currency"] == "USD"


async def test_bad_missing_or_changed_signature_is_401_and_stores_nothing(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    shop = await _shop(client, workspace)
    good = shopify_headers(str(shop["secret"]), ORDER, "orders/create", "w-1")
    wrong_key = shopify_headers("not-the-secret", ORDER, "orders/create", "w-1")
    missing = {key: value for key, value in good.items() if key != "X-Shopify-Hmac-Sha256"}
    changed = ORDER.replace(b'"89.99"', b'"89.98"', 1)  # one byte differs
    for body, headers in ((ORDER, wrong_key), (ORDER, missing), (changed, good)):
        response = await client.post(hook_path(shop), content=body, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await count_rows(engine, workspace.id) == (0, 0)


async def test_unknown_address_or_disabled_connection_is_404(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await _shop(client, workspace)
    headers = shopify_headers(str(shop["secret"]), ORDER, "orders/create", "w-1")
    assert (await client.post("/hooks/shops/not-a-token", content=ORDER, headers=headers)).status_code == 404
    await client.patch(f"/api/v1/shop-connections/{shop['id']}", json={"enabled": False}, headers=workspace.headers)
    assert (await client.post(hook_path(shop), content=ORDER, headers=headers)).status_code == 404


async def test_redelivery_is_a_duplicate_and_another_delivery_of_the_order_changes_nothing(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    shop = await _shop(client, workspace)
    headers = shopify_headers(str(shop["secret"]), ORDER, "orders/create", "same-id")
    first = await client.post(hook_path(shop), content=ORDER, headers=headers)
    again = await client.post(hook_path(shop), content=ORDER, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "delivery": first.json()["delivery"]}
    assert await count_rows(engine, workspace.id) == (1, 1)
    other = shopify_headers(str(shop["secret"]), ORDER, "orders/updated", "another-id")
    assert (await client.post(hook_path(shop), content=ORDER, headers=other)).json()["status"] == "applied"
    assert await count_rows(engine, workspace.id) == (2, 1)  # the order's external id: still one order


async def test_refund_before_its_order_waits_and_is_applied_when_the_order_arrives(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await _shop(client, workspace)
    secret = str(shop["secret"])
    refund = await client.post(
        hook_path(shop), content=REFUND, headers=shopify_headers(secret, REFUND, "refunds/create", "r-1")
    )
    assert refund.json()["status"] == "waiting"
    assert (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"] == []

    body = counting_order(ORDER)
    await client.post(hook_path(shop), content=body, headers=shopify_headers(secret, body, "orders/create", "o-1"))
    delivery = (
        await client.get(f"/api/v1/shop-deliveries/{refund.json()['delivery']}", headers=workspace.headers)
    ).json()
    assert delivery["status"] == "applied"
    # The documented refund paid back 75.00 + 10.00 of a 414.95 order: partial, the order still counts.
    assert "partial refund of 85.00 USD" in delivery["message"]
    order = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"][0]
    assert order["status"] == "completed"
    assert delivery["contact_id"] == order["buyer_id"]


async def test_full_refund_refunds_the_order(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    shop = await _shop(client, workspace)
    secret = str(shop["secret"])
    body = counting_order(ORDER)
    await client.post(hook_path(shop), content=body, headers=shopify_headers(secret, body, "orders/create", "o-1"))
    full = REFUND.replace(b'"amount": "75.00"', b'"amount": "404.95"')  # derived: the whole order paid back
    response = await client.post(
        hook_path(shop), content=full, headers=shopify_headers(secret, full, "refunds/create", "r-2")
    )
    assert response.json()["status"] == "applied"
    order = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"][0]
    assert order["status"] == "refunded"


async def test_a_late_or_replayed_paid_order_does_not_undo_its_refund(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    """Shops do not promise their webhooks' order, and a signed body can be sent again under a new id."""
    shop = await _shop(client, workspace)
    secret = str(shop["secret"])
    body = counting_order(ORDER)
    await client.post(hook_path(shop), content=body, headers=shopify_headers(secret, body, "orders/create", "o-1"))
    full = REFUND.replace(b'"amount": "75.00"', b'"amount": "404.95"')
    await client.post(hook_path(shop), content=full, headers=shopify_headers(secret, full, "refunds/create", "r-1"))
    late = await client.post(
        hook_path(shop), content=body, headers=shopify_headers(secret, body, "orders/paid", "o-1-paid-late")
    )
    assert late.json()["status"] == "applied"
    order = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"][0]
    assert order["status"] == "refunded"


async def test_order_in_another_currency_fails_with_the_reason_and_retry_applies_it(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    shop = await connect(client, workspace, "shopify")  # the workspace counts in EUR
    response = await client.post(
        hook_path(shop), content=ORDER, headers=shopify_headers(str(shop["secret"]), ORDER, "orders/create", "o-1")
    )
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    delivery_id = response.json()["delivery"]
    delivery = (await client.get(f"/api/v1/shop-deliveries/{delivery_id}", headers=workspace.headers)).json()
    assert "USD" in delivery["message"] and "EUR" in delivery["message"]
    assert await count_rows(engine, workspace.id) == (1, 0)

    await use_currency(client, workspace, "USD")
    retried = await client.post(f"/api/v1/shop-deliveries/{delivery_id}/retry", headers=workspace.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "applied"
    assert await count_rows(engine, workspace.id) == (1, 1)
    again = await client.post(f"/api/v1/shop-deliveries/{delivery_id}/retry", headers=workspace.headers)
    assert again.status_code == 409


async def test_customer_webhooks_create_then_update_the_contact(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await _shop(client, workspace)
    secret = str(shop["secret"])
    created = await client.post(
        hook_path(shop), content=CUSTOMER, headers=shopify_headers(secret, CUSTOMER, "customers/create", "c-1")
    )
    assert created.json()["status"] == "applied"
    delivery = (
        await client.get(f"/api/v1/shop-deliveries/{created.json()['delivery']}", headers=workspace.headers)
    ).json()
    contact = (await client.get(f"/api/v1/contacts/{delivery['contact_id']}", headers=workspace.headers)).json()
    assert (contact["first_name"], contact["last_name"], contact["emails"]) == ("Bob", "Biller", ["bob@biller.com"])

    renamed = CUSTOMER.replace(b'"first_name": "Bob"', b'"first_name": "Robert"', 1)  # derived: an update
    updated = await client.post(
        hook_path(shop), content=renamed, headers=shopify_headers(secret, renamed, "customers/update", "c-2")
    )
    assert updated.json()["status"] == "applied"
    contacts = (await client.get("/api/v1/contacts", headers=workspace.headers)).json()["items"]
    assert [(c["id"], c["first_name"]) for c in contacts] == [(delivery["contact_id"], "Robert")]


async def test_topics_frontdesk_does_not_use_are_kept_as_ignored(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await _shop(client, workspace)
    body = b'{"id": 788032119674292922}'
    response = await client.post(
        hook_path(shop), content=body, headers=shopify_headers(str(shop["secret"]), body, "products/delete", "p-1")
    )
    assert response.json()["status"] == "ignored"
