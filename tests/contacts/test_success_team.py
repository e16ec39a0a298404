"""The built-in success team: it exists everywhere, agents join it by an admin's choice, never by default."""

from __future__ import annotations

import httpx

from frontdesk.conversations.routing import ensure_default_teams
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Role
from tests.contacts.test_owner import agent_id
from tests.factories import WorkspaceHandle


async def teams(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> dict[str, list[int]]:
    response = await client.get("/api/v1/teams", headers=workspace.headers)
    assert response.status_code == 200, response.text
    return {team["key"]: team["member_ids"] for team in response.json()}


async def test_unteamed_agents_join_sales_and_support_but_not_success(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    async with create_session_factory(workspace.engine)() as session:
        made = await ensure_default_teams(session=session, workspace_id=workspace.id)
        await session.commit()
    assert {key: team.name for key, team in made.items()} == {
        "sales": "Sales",
        "support": "Support",
        "success": "Success",
    }
    admin = await agent_id(client, workspace, workspace.admin_email)
    assert await teams(client, workspace) == {"sales": [admin, anna], "support": [admin, anna], "success": []}


async def test_an_admin_puts_an_agent_in_the_success_team_and_takes_them_out(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    admin = await agent_id(client, workspace, workspace.admin_email)
    added = await client.put(f"/api/v1/teams/success/members/{anna}", headers=h)
    assert added.status_code == 200, added.text
    assert added.json() == {"key": "success", "name": "Success", "member_ids": [anna]}
    again = await client.put(f"/api/v1/teams/SUCCESS/members/{anna}", headers=h)
    assert again.json()["member_ids"] == [anna]  # idempotent
    # Joining success did not cost the default teams: an agent in no team joined them first.
    assert await teams(client, workspace) == {"sales": [admin, anna], "support": [admin, anna], "success": [anna]}
    removed = await client.delete(f"/api/v1/teams/success/members/{anna}", headers=h)
    assert removed.status_code == 200 and removed.json()["member_ids"] == []
    assert (await client.delete(f"/api/v1/teams/success/members/{anna}", headers=h)).status_code == 200
    off_sales = await client.delete(f"/api/v1/teams/sales/members/{anna}", headers=h)
    assert off_sales.json()["member_ids"] == [admin]


async def test_team_membership_is_refused_outside_the_workspace_and_for_non_admins(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    foreign = await agent_id(client, other_workspace, await other_workspace.add_agent(Role.agent))
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    for method in ("PUT", "DELETE"):
        response = await client.request(method, f"/api/v1/teams/success/members/{foreign}", headers=h)
        assert response.status_code == 404, response.text
        assert "Rival" not in response.text
        unknown_team = await client.request(method, f"/api/v1/teams/marketing/members/{anna}", headers=h)
        assert unknown_team.status_code == 404
        agent_key = await workspace.key_with_role(Role.agent)
        forbidden = await client.request(method, f"/api/v1/teams/success/members/{anna}", headers=agent_key)
        assert forbidden.status_code == 403
    assert all(foreign not in members for members in (await teams(client, workspace)).values())
    assert anna not in (await teams(client, other_workspace))["success"]
    retired = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    await client.patch(f"/api/v1/agents/{retired}", json={"is_active": False}, headers=h)
    refused = await client.put(f"/api/v1/teams/success/members/{retired}", headers=h)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "agent_id"
