from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.workspaces.models import ApiKey, Role
from tests.factories import WorkspaceHandle


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer fdk_not-a-real-key", "Basic dXNlcjpwYXNz", "fdk_without_scheme"]
)
async def test_requests_without_a_valid_key_are_401(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/api/v1/contacts", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_key_is_shown_once_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    created = await client.post("/api/v1/api-keys", json={"name": "Shop sync"}, headers=workspace.headers)
    assert created.status_code == 201
    secret = created.json()["key"]
    assert secret.startswith("fdk_") and len(secret) > 40
    listed = (await client.get("/api/v1/api-keys", headers=workspace.headers)).json()
    assert all("key" not in item for item in listed)
    assert secret not in (await client.get("/api/v1/api-keys", headers=workspace.headers)).text
    stored = (await session.scalars(select(ApiKey))).all()
    assert all(secret not in (row.key_hash, row.prefix, row.name) for row in stored)
    assert (await client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {secret}"})).status_code == 200


async def test_revoked_key_stops_working_at_once(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    created = (await client.post("/api/v1/api-keys", json={"name": "Temp"}, headers=workspace.headers)).json()
    temp = {"Authorization": f"Bearer {created['key']}"}
    assert (await client.get("/api/v1/contacts", headers=temp)).status_code == 200
    revoked = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=workspace.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = await client.get("/api/v1/contacts", headers=temp)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


async def test_viewer_key_reads_but_cannot_write(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    viewer = await workspace.key_with_role(Role.viewer)
    contact_id = await workspace.contact()
    assert (await client.get(f"/api/v1/contacts/{contact_id}", headers=viewer)).status_code == 200
    for method, path, body in [
        ("POST", "/api/v1/contacts", {"name": "X"}),
        ("PATCH", f"/api/v1/contacts/{contact_id}", {"name": "Y"}),
        ("DELETE", f"/api/v1/contacts/{contact_id}", None),
        ("POST", "/api/v1/api-keys", {"name": "escalate"}),
    ]:
        response = await client.request(method, path, json=body, headers=viewer)
        assert response.status_code == 403, (method, path)
        assert "role" in response.json()["detail"]


async def test_agent_key_edits_contacts_but_only_admins_erase_or_manage_keys(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    agent = await workspace.key_with_role(Role.agent)
    contact_id = await workspace.contact()
    assert (await client.patch(f"/api/v1/contacts/{contact_id}", json={"name": "Z"}, headers=agent)).status_code == 200
    assert (await client.delete(f"/api/v1/contacts/{contact_id}", headers=agent)).status_code == 403
    assert (await client.get(f"/api/v1/contacts/{contact_id}/export", headers=agent)).status_code == 403
    assert (await client.get("/api/v1/api-keys", headers=agent)).status_code == 403


async def test_the_last_admin_cannot_be_demoted(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    agents = (await client.get("/api/v1/agents", headers=workspace.headers)).json()
    response = await client.patch(
        f"/api/v1/agents/{agents[0]['id']}", json={"role": "agent"}, headers=workspace.headers
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "role"


async def test_agents_are_created_with_validated_fields(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    bad = await client.post(
        "/api/v1/agents", json={"email": "nope", "display_name": "N", "password": "short"}, headers=workspace.headers
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"email", "password"}
    good = await client.post(
        "/api/v1/agents",
        json={"email": "New@Acme.example", "display_name": "New", "password": "long-enough-pw"},
        headers=workspace.headers,
    )
    assert good.status_code == 201
    assert "password" not in good.text and "hash" not in good.text
    again = await client.post(
        "/api/v1/agents",
        json={"email": "new@acme.example", "display_name": "Dup", "password": "long-enough-pw"},
        headers=workspace.headers,
    )
    assert again.status_code == 409
