"""Settings → Connections → a shop, in the console: admins only, forms without JavaScript."""

from __future__ import annotations

import json

import httpx

from frontdesk.workspaces.models import Role
from tests.connections.shops import connect, fixture, hook_path, shopify_headers
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


async def _admin(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/settings/connections/shops/new")).text)


async def test_admin_adds_a_shop_and_sees_its_address_secret_and_deliveries(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _admin(client, workspace)
    page = await client.get("/settings/connections/shops/new")
    assert page.status_code == 200 and "Other shop (JSON)" in page.text
    refused = await client.post("/settings/connections/shops", data={"csrf_token": csrf, "kind": "shopify", "name": ""})
    assert refused.status_code == 422 and 'id="name-error"' in refused.text
    created = await client.post(
        "/settings/connections/shops", data={"csrf_token": csrf, "kind": "shopify", "name": "Main store"}
    )
    assert created.status_code == 303
    url = created.headers["location"]
    shop = (await client.get("/api/v1/shop-connections", headers=workspace.headers)).json()[0]
    body = fixture("shopify_orders_create.json")
    secret = (
        await client.post(f"/api/v1/shop-connections/{shop['id']}/rotate-secret", headers=workspace.headers)
    ).json()["secret"]
    await client.post(hook_path(shop), content=body, headers=shopify_headers(secret, body, "orders/create", "w-1"))

    page = await client.get(url)
    assert page.status_code == 200
    assert shop["webhook_url"] in page.text and secret in page.text
    assert "Settings → Notifications → Webhooks" in page.text
    assert "orders/create" in page.text and "failed" in page.text  # the workspace counts in EUR, the order is USD
    assert "Retry" in page.text
    delivery = (await client.get(f"/api/v1/shop-connections/{shop['id']}/deliveries", headers=workspace.headers)).json()
    raw = await client.get(f"{url}/deliveries/{delivery['items'][0]['id']}")
    assert raw.status_code == 200 and "820982911946154508" in raw.text

    saved = await client.post(
        url,
        data={"csrf_token": csrf, "name": "Main store", "shop_domain": "", "product_range": "Web",
              "payload_retention_days": "400", "enabled": "on"},
    )  # fmt: skip
    assert saved.status_code == 422 and 'id="payload_retention_days-error"' in saved.text
    saved = await client.post(
        url,
        data={"csrf_token": csrf, "name": "Main store", "shop_domain": "", "product_range": "Web",
              "payload_retention_days": "14", "enabled": "on", "secret": "shpss_the_shops_own_key"},
    )  # fmt: skip
    assert saved.status_code == 303
    read = (await client.get(f"/api/v1/shop-connections/{shop['id']}", headers=workspace.headers)).json()
    assert (read["payload_retention_days"], read["product_range"]) == (14, "Web")
    removed = await client.post(f"{url}/delete", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert (await client.get("/api/v1/shop-connections", headers=workspace.headers)).json() == []


async def test_generic_mapping_is_tested_on_a_sample_before_saving(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _admin(client, workspace)
    shop = await connect(client, workspace, "generic")
    url = f"/settings/connections/shops/{shop['id']}"
    form = {
        "csrf_token": csrf, "map_external_id": "id", "map_buyer_email": "buyer.email", "map_ordered_at": "at",
        "map_lines": "items", "map_line_sku": "sku", "map_line_quantity": "qty", "map_line_unit_price": "price",
        "status_values": "paid = completed",
    }  # fmt: skip
    sample = {"id": 9, "buyer": {"email": "eve@shop.example"}, "at": "2026-01-05T10:00:00Z",
              "items": [{"sku": "CUP", "qty": 1, "price": 3.5}]}  # fmt: skip
    tested = await client.post(f"{url}/mapping", data={**form, "action": "test", "sample": json.dumps(sample)})
    assert tested.status_code == 200
    assert "The sample becomes this order" in tested.text and "eve@shop.example" in tested.text
    assert (await client.get(f"/api/v1/shop-connections/{shop['id']}", headers=workspace.headers)).json()[
        "mapping"
    ] is None
    broken = await client.post(f"{url}/mapping", data={**form, "action": "test", "sample": "{}"})
    assert "The sample would fail" in broken.text
    bad = await client.post(f"{url}/mapping", data={**form, "map_line_sku": "", "action": "save"})
    assert bad.status_code == 422 and 'id="map-line_sku-error"' in bad.text
    saved = await client.post(f"{url}/mapping", data={**form, "action": "save"})
    assert saved.status_code == 303
    mapping = (await client.get(f"/api/v1/shop-connections/{shop['id']}", headers=workspace.headers)).json()["mapping"]
    assert mapping["buyer_email"] == "buyer.email" and mapping["status_values"] == {"paid": "completed"}


async def test_agents_get_403(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    shop = await connect(client, workspace, "shopify")
    await login(client, await workspace.add_agent(Role.agent))
    for path in ("/settings/connections/shops/new", f"/settings/connections/shops/{shop['id']}"):
        response = await client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 403, path
