"""The workspace's time zone: read by anyone of the workspace, set by admins (API, console, CLI), checked."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from frontdesk.cli import app
from frontdesk.workspaces.models import AuditEntry, Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

runner = CliRunner()


async def test_an_admin_sets_the_time_zone_through_the_api_and_only_for_their_workspace(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    read = await client.get("/api/v1/workspace", headers=workspace.headers)
    assert read.json()["time_zone"] == "UTC"
    changed = await client.patch("/api/v1/workspace", json={"time_zone": "Europe/Berlin"}, headers=workspace.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == "Europe/Berlin"
    assert (await client.get("/api/v1/workspace", headers=workspace.headers)).json()["time_zone"] == "Europe/Berlin"
    other = (await client.get("/api/v1/workspace", headers=other_workspace.headers)).json()
    assert (other["id"], other["time_zone"]) == (other_workspace.id, "UTC")
    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.updated"))).all()
    assert [(a.workspace_id, a.details["changes"]) for a in audit] == [
        (workspace.id, {"time_zone": ["UTC", "Europe/Berlin"]})
    ]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "europe/berlin", "", "Europe/Berlin\x00", "../etc/passwd"])
async def test_an_unknown_time_zone_is_a_422_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, zone: str
) -> None:
    response = await client.patch("/api/v1/workspace", json={"time_zone": zone}, headers=workspace.headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["time_zone"]
    assert (await client.get("/api/v1/workspace", headers=workspace.headers)).json()["time_zone"] == "UTC"


@pytest.mark.parametrize("role", [Role.viewer, Role.agent])
async def test_only_admins_change_the_workspace(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, role: Role
) -> None:
    headers = await workspace.key_with_role(role)
    assert (await client.get("/api/v1/workspace", headers=headers)).json()["time_zone"] == "UTC"
    response = await client.patch("/api/v1/workspace", json={"time_zone": "Asia/Tokyo"}, headers=headers)
    assert response.status_code == 403
    assert (await client.get("/api/v1/workspace", headers=headers)).json()["time_zone"] == "UTC"


async def test_the_settings_page_sets_the_time_zone_and_shows_errors_by_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    page = await client.get("/settings")
    assert '<option value="America/New_York">' in page.text  # the picker offers the zone names
    token = csrf_of(page.text)
    saved = await client.post("/settings/workspace", data={"csrf_token": token, "time_zone": "America/New_York"})
    assert saved.status_code == 303
    assert 'data-time-zone="America/New_York"' in (await client.get("/settings")).text
    refused = await client.post("/settings/workspace", data={"csrf_token": token, "time_zone": "Nowhere/Town"})
    assert refused.status_code == 422
    assert 'id="time_zone-error"' in refused.text and "unknown time zone" in refused.text
    assert 'value="Nowhere/Town"' in refused.text  # what the admin typed stays in the field
    assert (await client.get("/api/v1/workspace", headers=workspace.headers)).json()["time_zone"] == "America/New_York"
    assert (await client.get("/api/v1/workspace", headers=other_workspace.headers)).json()["time_zone"] == "UTC"


async def test_an_agent_sees_no_time_zone_form_and_cannot_post_one(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, await workspace.add_agent(Role.agent))
    page = await client.get("/settings")
    assert 'action="/settings/workspace"' not in page.text
    response = await client.post("/settings/workspace", data={"csrf_token": csrf_of(page.text), "time_zone": "UTC"})
    assert response.status_code == 403


async def _invoke(args: list[str]) -> Result:
    return await asyncio.to_thread(runner.invoke, app, args)


CREATE = [
    "workspace",
    "create",
    "Zoned Shop",
    "--admin-email",
    "owner@zoned.example",
    "--admin-password",
    "long-enough-1",
]


@pytest.mark.usefixtures("cli_env")
async def test_the_cli_creates_a_workspace_in_a_time_zone(client: httpx.AsyncClient) -> None:
    result = await _invoke([*CREATE, "--time-zone", "America/Sao_Paulo", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["time_zone"] == "America/Sao_Paulo"
    read = await client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {created['api_key']}"})
    assert read.json()["time_zone"] == "America/Sao_Paulo"


@pytest.mark.usefixtures("cli_env")
async def test_the_cli_refuses_an_unknown_time_zone() -> None:
    result = await _invoke([*CREATE, "--time-zone", "Atlantis/Capital"])
    assert result.exit_code == 2
    assert "unknown time zone" in result.output
