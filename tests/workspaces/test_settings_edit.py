"""Settings can edit and remove what they can add: agents are renamed, re-roled, given a new password,
deactivated (signed out at once) and reactivated; the last admin cannot be demoted or deactivated."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/settings")).text)


def agent_id_of(page: str, email: str) -> int:
    row = page[page.index(email) :]
    match = re.search(r'action="/settings/agents/(\d+)"', row)
    assert match
    return int(match.group(1))


async def test_an_admin_edits_deactivates_and_reactivates_an_agent(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    email = await workspace.add_agent()
    agent_id = agent_id_of((await client.get("/settings")).text, email)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        assert (await login(other, email)).status_code == 303
        assert (await other.get("/contacts")).status_code == 200
        saved = await client.post(
            f"/settings/agents/{agent_id}",
            data={"csrf_token": signed_in, "display_name": "Sam Support", "role": "viewer", "password": ""},
        )
        assert saved.status_code == 303
        page = await client.get(saved.headers["location"])
        assert "Sam Support saved." in page.text and "viewer" in page.text
        off = await client.post(f"/settings/agents/{agent_id}/active", data={"csrf_token": signed_in, "active": "0"})
        page = await client.get(off.headers["location"])
        assert "Sam Support is deactivated and signed out." in page.text and "deactivated</td>" in page.text
        assert (await other.get("/contacts")).status_code == 303  # signed out at once
        assert (await login(other, email)).status_code != 303  # refused: no session
        on = await client.post(f"/settings/agents/{agent_id}/active", data={"csrf_token": signed_in, "active": "1"})
        assert "Sam Support can sign in again." in (await client.get(on.headers["location"])).text
        assert (await login(other, email)).status_code == 303


async def test_a_new_password_is_checked_and_then_works(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    email = await workspace.add_agent()
    agent_id = agent_id_of((await client.get("/settings")).text, email)
    short = await client.post(
        f"/settings/agents/{agent_id}",
        data={"csrf_token": signed_in, "display_name": "A", "role": "agent", "password": "short"},
    )
    assert short.status_code == 422 and "password" in short.text
    good = await client.post(
        f"/settings/agents/{agent_id}",
        data={"csrf_token": signed_in, "display_name": "A", "role": "agent", "password": "a-much-longer-one"},
    )
    assert good.status_code == 303
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        assert (await login(other, email, "a-much-longer-one")).status_code == 303


async def test_the_last_admin_stays_an_active_admin(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    me = agent_id_of((await client.get("/settings")).text, workspace.admin_email)
    demoted = await client.post(
        f"/settings/agents/{me}", data={"csrf_token": signed_in, "display_name": "Me", "role": "agent"}
    )
    assert demoted.status_code == 422 and "at least one active admin" in demoted.text
    off = await client.post(f"/settings/agents/{me}/active", data={"csrf_token": signed_in, "active": "0"})
    assert off.status_code == 422 and "at least one active admin" in off.text


async def test_agents_of_another_workspace_cannot_be_edited(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, signed_in: str
) -> None:
    email = await other_workspace.add_agent()
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        await login(other, other_workspace.admin_email)
        theirs = agent_id_of((await other.get("/settings")).text, email)
    for path, data in (
        (f"/settings/agents/{theirs}", {"display_name": "Hijacked", "role": "admin"}),
        (f"/settings/agents/{theirs}/active", {"active": "0"}),
    ):
        response = await client.post(path, data={"csrf_token": signed_in, **data}, headers={"Accept": "text/html"})
        assert response.status_code == 404


async def test_agents_cannot_edit_agents(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    email = await workspace.add_agent()
    await login(client, email)
    page = (await client.get("/settings")).text
    assert "/settings/agents/" not in page
    token = csrf_of(page)
    response = await client.post("/settings/agents/1/active", data={"csrf_token": token, "active": "0"})
    assert response.status_code == 403


async def test_settings_link_live_chat_setup_and_the_agents_preferences(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    page = (await client.get("/settings")).text
    assert 'href="/settings/chat"' in page and "Widget, office hours, canned replies, macros" in page
    assert 'href="/settings/profile"' in page


async def test_customer_success_settings_go_back_to_their_defaults(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    page = (await client.get("/settings")).text
    fields = dict(re.findall(r'name="((?:discount_rate|weight_\w+))"[^>]*?value="([^"]*)"', page, re.DOTALL))
    defaults = dict(fields)
    assert "discount_rate" in fields and len(fields) > 2
    changed = {key: "7" for key in fields}
    saved = await client.post("/settings/success", data={"csrf_token": signed_in, **changed})
    assert saved.status_code == 303
    page = (await client.get("/settings")).text
    assert dict(re.findall(r'name="((?:discount_rate|weight_\w+))"[^>]*?value="([^"]*)"', page, re.DOTALL)) == changed
    reset = await client.post("/settings/success/reset", data={"csrf_token": signed_in})
    page = (await client.get(reset.headers["location"])).text
    assert "back to their defaults" in page
    assert dict(re.findall(r'name="((?:discount_rate|weight_\w+))"[^>]*?value="([^"]*)"', page, re.DOTALL)) == defaults


async def test_an_api_key_is_renamed_and_keeps_working(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, signed_in: str
) -> None:
    page = (await client.get("/settings")).text
    key_id = re.search(r'action="/settings/api-keys/(\d+)/rename"', page)
    assert key_id
    renamed = await client.post(
        f"/settings/api-keys/{key_id.group(1)}/rename", data={"csrf_token": signed_in, "name": "Shop integration"}
    )
    assert renamed.status_code == 303
    assert "is now called &#39;Shop integration&#39;" in (await client.get(renamed.headers["location"])).text
    assert (await client.get("/api/v1/contacts", headers=workspace.headers)).status_code == 200
    blank = await client.post(
        f"/settings/api-keys/{key_id.group(1)}/rename", data={"csrf_token": signed_in, "name": " "}
    )
    assert blank.status_code == 422 and "Give the key a name" in blank.text
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        await login(other, other_workspace.admin_email)
        theirs = re.search(r'action="/settings/api-keys/(\d+)/rename"', (await other.get("/settings")).text)
    assert theirs
    foreign = await client.post(
        f"/settings/api-keys/{theirs.group(1)}/rename",
        data={"csrf_token": signed_in, "name": "Hijacked"},
        headers={"Accept": "text/html"},
    )
    assert foreign.status_code == 404
