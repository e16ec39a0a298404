"""The /api/v1 shop-connection operations: admins only, secrets shown once, deliveries newest first."""

from __future__ import annotations

import httpx

from frontdesk.workspaces.models import Role
from tests.connections.shops import connect, hook_path, shopify_headers
from tests.factories import WorkspaceHandle


async def test_create_returns_the_address_and_secret_and_reads_do_not(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await connect(client, workspace, "shopify", shop_domain="jsmith.myshopify.com")
    assert shop["webhook_url"].startswith("http://127.0.0.1:8000/hooks/shops/")
    assert len(shop["secret"]) >= 32
    read = (await client.get(f"/api/v1/shop-connections/{shop['id']}", headers=workspace.headers)).json()
    assert "secret" not in read and read["webhook_url"] == shop["webhook_url"]
    listed = (await client.get("/api/v1/shop-connections", headers=workspace.headers)).json()
    assert [item["id"] for item in listed] == [shop["id"]]

    rotated = (
        await client.post(f"/api/v1/shop-connections/{shop['id']}/rotate-secret", headers=workspace.headers)
    ).json()
    assert rotated["secret"] != shop["secret"]
    body = b'{"id": 1}'
    old = shopify_headers(shop["secret"], body, "orders/create", "x")
    assert (await client.post(hook_path(shop), content=body, headers=old)).status_code == 401


async def test_patch_bounds_and_delete(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    shop = await connect(client, workspace, "shopify")
    url = f"/api/v1/shop-connections/{shop['id']}"
    for days in (0, 366):
        response = await client.patch(url, json={"payload_retention_days": days}, headers=workspace.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "payload_retention_days"
    changed = await client.patch(
        url, json={"payload_retention_days": 7, "name": "Main store", "product_range": "Web"}, headers=workspace.headers
    )
    assert (changed.json()["payload_retention_days"], changed.json()["name"]) == (7, "Main store")
    assert (
        await client.patch(url, json={"mapping": {"external_id": "id"}}, headers=workspace.headers)
    ).status_code == 422
    assert (await client.delete(url, headers=workspace.headers)).status_code == 204
    assert (await client.get(url, headers=workspace.headers)).status_code == 404


async def test_deliveries_are_listed_newest_first_by_page_and_status(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    shop = await connect(client, workspace, "shopify")
    for n in range(3):
        body = b'{"id": %d}' % n
        await client.post(
            hook_path(shop), content=body, headers=shopify_headers(shop["secret"], body, "shop/update", f"d{n}")
        )
    url = f"/api/v1/shop-connections/{shop['id']}/deliveries"
    first = (await client.get(url, params={"limit": 2}, headers=workspace.headers)).json()
    assert [item["delivery_id"] for item in first["items"]] == ["d2", "d1"]
    rest = (
        await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=workspace.headers)
    ).json()
    assert [item["delivery_id"] for item in rest["items"]] == ["d0"] and rest["next_cursor"] is None
    ignored = (await client.get(url, params={"status": "ignored"}, headers=workspace.headers)).json()
    assert len(ignored["items"]) == 3
    failed = (await client.get(url, params={"status": "failed"}, headers=workspace.headers)).json()
    assert failed["items"] == []


async def test_agents_cannot_see_connections(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    agent = await workspace.key_with_role(Role.agent)
    assert (await client.get("/api/v1/shop-connections", headers=agent)).status_code == 403
    response = await client.post("/api/v1/shop-connections", json={"kind": "shopify", "name": "x"}, headers=agent)
    assert response.status_code == 403
