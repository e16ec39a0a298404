"""Another workspace's shop connections and deliveries: 404 for every operation, and nothing changes."""

from __future__ import annotations

import httpx

from tests.connections.shops import connect, hook_path, shopify_headers
from tests.factories import WorkspaceHandle


async def test_another_workspaces_connections_and_deliveries_are_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    shop = await connect(client, workspace, "shopify")
    body = b'{"id": 1, "currency": "USD"}'
    posted = await client.post(
        hook_path(shop), content=body, headers=shopify_headers(shop["secret"], body, "orders/create", "d")
    )
    delivery_id = posted.json()["delivery"]
    assert posted.json()["status"] == "failed"  # no e-mail, wrong currency: a retry would be possible
    a, b = workspace.headers, other_workspace.headers

    async def snapshot() -> list[object]:
        return [
            (await client.get(f"/api/v1/shop-connections/{shop['id']}", headers=a)).json(),
            (await client.get(f"/api/v1/shop-deliveries/{delivery_id}", headers=a)).json(),
            (await client.get(f"/api/v1/shop-connections/{shop['id']}/deliveries", headers=a)).json(),
        ]

    before = await snapshot()
    cases = [
        ("GET", f"/api/v1/shop-connections/{shop['id']}", None),
        ("PATCH", f"/api/v1/shop-connections/{shop['id']}", {"name": "Hijacked", "enabled": False}),
        ("POST", f"/api/v1/shop-connections/{shop['id']}/rotate-secret", None),
        ("GET", f"/api/v1/shop-connections/{shop['id']}/deliveries", None),
        ("GET", f"/api/v1/shop-deliveries/{delivery_id}", None),
        ("POST", f"/api/v1/shop-deliveries/{delivery_id}/retry", None),
        ("DELETE", f"/api/v1/shop-connections/{shop['id']}", None),
    ]
    for method, url, json_body in cases:
        response = await client.request(method, url, json=json_body, headers=b)
        assert response.status_code == 404, (method, url, response.text)
    assert await snapshot() == before
    assert (await client.get("/api/v1/shop-connections", headers=b)).json() == []
    # The old secret still signs: the rotation by the other workspace did not happen.
    again = await client.post(
        hook_path(shop), content=body, headers=shopify_headers(shop["secret"], body, "orders/create", "e")
    )
    assert again.status_code == 200
