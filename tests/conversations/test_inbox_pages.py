"""The inbox console over HTTP: filters, conversation view, composer, assignment, canned replies."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


@pytest.fixture
async def csrf(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/settings")).text)


async def test_inbox_filters_and_offline_messages(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, csrf: str
) -> None:
    offline = await workspace.conversation("Anyone there?", email="late@night.example")
    page = await client.get("/inbox")
    assert "Anyone there?" in page.text and "offline message" in page.text
    mine = await client.get("/inbox", params={"view": "mine"}, headers={"HX-Request": "true"})
    assert "Anyone there?" not in mine.text and "<html" not in mine.text
    unassigned = await client.get("/inbox", params={"view": "unassigned"}, headers={"HX-Request": "true"})
    assert f'data-id="{offline}"' in unassigned.text


async def test_reply_note_assign_and_resolve_from_the_conversation_page(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, csrf: str
) -> None:
    conversation = await workspace.conversation("My parcel is late")
    headers = {"X-CSRF-Token": csrf}
    sent = await client.post(
        f"/inbox/{conversation}/messages", data={"body": "Checking now", "client_id": "x1"}, headers=headers
    )
    assert sent.status_code == 200 and 'data-seq="2"' in sent.text
    retried = await client.post(
        f"/inbox/{conversation}/messages", data={"body": "Checking now", "client_id": "x1"}, headers=headers
    )
    assert 'data-seq="2"' in retried.text  # the same message, not a copy
    await client.post(f"/inbox/{conversation}/messages", data={"body": "DHL delay", "kind": "note"}, headers=headers)
    forged = await client.post(f"/inbox/{conversation}/messages", data={"body": "no token"})
    assert forged.status_code == 403

    agents = (await client.get("/api/v1/agents", headers=workspace.headers)).json()
    assigned = await client.post(
        f"/inbox/{conversation}/update", data={"csrf_token": csrf, "assignee_id": str(agents[0]["id"])}
    )
    assert assigned.status_code == 303
    resolved = await client.post(f"/inbox/{conversation}/update", data={"csrf_token": csrf, "status": "resolved"})
    assert resolved.status_code == 303
    view = (await client.get(f"/inbox/{conversation}")).text
    for line in (
        "Checking now",
        "DHL delay",
        "Private note",
        "assigned the conversation to Admin",
        "marked the conversation resolved",
        "Reopen",
    ):
        assert line in view
    assert view.count('<div class="body">Checking now</div>') == 1


async def test_canned_replies_reach_the_composer(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, csrf: str
) -> None:
    saved = await client.post(
        "/settings/canned-replies", data={"csrf_token": csrf, "shortcut": "/Shipping", "body": "We ship in 2 days."}
    )
    assert saved.status_code == 303
    conversation = await workspace.conversation()
    page = (await client.get(f"/inbox/{conversation}")).text
    assert 'data-canned=\'{"shipping": "We ship in 2 days."}\'' in page


async def test_chat_settings_validate_origins(client: httpx.AsyncClient, csrf: str) -> None:
    bad = await client.post(
        "/settings/chat", data={"csrf_token": csrf, "allowed_origins": "not a url", "auto_resolve_minutes": "60"}
    )
    assert bad.status_code == 422 and "origin" in bad.text
    good = await client.post(
        "/settings/chat",
        data={
            "csrf_token": csrf,
            "auto_resolve_minutes": "60",
            "allowed_origins": "https://Shop.example/\nhttp://localhost:3000",
        },
    )
    assert good.status_code == 303
    page = (await client.get("/settings/chat")).text
    assert "http://localhost:3000\nhttps://shop.example" in page and "data-frontdesk=" in page
