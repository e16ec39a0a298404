"""Canned replies: API and console CRUD, shortcut and placeholder checks, and the inbox picker's JSON."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from frontdesk.conversations.canned import PlaceholderValues, fill_placeholders, unknown_placeholders
from frontdesk.conversations.models import Conversation
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

API = "/api/v1/canned-replies"


async def _create(client: httpx.AsyncClient, workspace: WorkspaceHandle, **fields: str) -> httpx.Response:
    body = {"shortcut": "shipping", "title": "Shipping", "body": "We ship in 2 days.", **fields}
    return await client.post(API, json=body, headers=workspace.headers)


async def test_canned_reply_crud_through_the_api(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    created = await _create(client, workspace)
    assert created.status_code == 201, created.text
    reply = created.json()
    assert reply["shortcut"] == "shipping" and reply["title"] == "Shipping"
    url = f"{API}/{reply['id']}"
    assert (await client.get(url, headers=workspace.headers)).json()["body"] == "We ship in 2 days."
    patched = await client.patch(url, json={"body": "Hi {{contact.first_name}}, 3 days."}, headers=workspace.headers)
    assert patched.status_code == 200 and patched.json()["body"] == "Hi {{contact.first_name}}, 3 days."
    assert patched.json()["shortcut"] == "shipping"  # what was not sent stays
    listed = (await client.get(API, headers=workspace.headers)).json()
    assert [item["id"] for item in listed["items"]] == [reply["id"]] and listed["next_cursor"] is None
    assert (await client.delete(url, headers=workspace.headers)).status_code == 204
    assert (await client.get(url, headers=workspace.headers)).status_code == 404


async def test_listing_pages_through_every_reply_once(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    for number in range(5):
        assert (await _create(client, workspace, shortcut=f"r{number}")).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(API, params=params, headers=workspace.headers)).json()
        seen += [item["shortcut"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"r{n}" for n in range(5)]


@pytest.mark.parametrize("shortcut", ["", "Shipping", "has space", "/slash", "ä", "x" * 41, "semi;colon"])
async def test_a_bad_shortcut_is_refused_naming_it(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, shortcut: str
) -> None:
    response = await _create(client, workspace, shortcut=shortcut)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "shortcut"


async def test_a_taken_shortcut_is_a_conflict_naming_it(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await _create(client, workspace)
    second = await _create(client, workspace, body="Another")
    assert second.status_code == 409 and second.json()["errors"][0]["field"] == "shortcut"
    other = await _create(client, workspace, shortcut="returns")
    renamed = await client.patch(
        f"{API}/{other.json()['id']}", json={"shortcut": "shipping"}, headers=workspace.headers
    )
    assert renamed.status_code == 409


async def test_the_same_shortcut_in_two_workspaces_is_fine(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    assert (await _create(client, workspace)).status_code == 201
    assert (await _create(client, other_workspace)).status_code == 201


@pytest.mark.parametrize(
    "body", ["Hi {{contact.firstname}}", "{{ agent.email }}", "{{}}", "Dear {{contact.first_name}} from {{shop}}"]
)
async def test_unknown_placeholders_are_refused_naming_body(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, body: str
) -> None:
    response = await _create(client, workspace, body=body)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "body" and "placeholder" in error["message"]
    created = await _create(client, workspace, shortcut="fine")
    patched = await client.patch(f"{API}/{created.json()['id']}", json={"body": body}, headers=workspace.headers)
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "body"


def test_placeholders_are_filled_and_missing_values_fall_back() -> None:
    body = "Hi {{contact.first_name}} ({{ contact.email }}), {{contact.name}} - {{agent.name}}"
    full = PlaceholderValues("Ann", "Ann Lee", "ann@x.example", "Bob")
    assert fill_placeholders(body, full) == "Hi Ann (ann@x.example), Ann Lee - Bob"
    assert fill_placeholders(body, PlaceholderValues()) == "Hi there (), there - our team"
    assert fill_placeholders(body, PlaceholderValues("  ", None, None, "")) == "Hi there (), there - our team"
    assert unknown_placeholders(body) == []
    assert fill_placeholders("{{contact.unknown}} stays", full) == "{{contact.unknown}} stays"


async def test_viewers_cannot_write_canned_replies(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    viewer = await workspace.key_with_role(Role.viewer)
    body = {"shortcut": "x", "body": "y"}
    assert (await client.post(API, json=body, headers=viewer)).status_code == 403
    assert (await client.get(API, headers=viewer)).status_code == 200


async def test_another_workspaces_replies_are_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    reply_id = (await _create(client, workspace, body="Secret text")).json()["id"]
    b = other_workspace.headers
    for method, body in (("GET", None), ("PATCH", {"body": "Hijacked"}), ("DELETE", None)):
        response = await client.request(method, f"{API}/{reply_id}", json=body, headers=b)
        assert response.status_code == 404 and "Secret" not in response.text
    assert (await client.get(API, headers=b)).json()["items"] == []
    assert (await client.get(f"{API}/{reply_id}", headers=workspace.headers)).json()["body"] == "Secret text"


@pytest.fixture
async def csrf(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/settings/chat")).text)


async def test_console_adds_edits_and_deletes_canned_replies(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, csrf: str
) -> None:
    added = await client.post(
        "/settings/canned-replies",
        data={"csrf_token": csrf, "shortcut": "/Refund", "title": "Refunds", "body": "Refunds take 5 days."},
    )
    assert added.status_code == 303
    reply = (await client.get(API, headers=workspace.headers)).json()["items"][0]
    assert reply["shortcut"] == "refund"
    page = (await client.get("/settings/chat")).text
    assert "/refund" in page and "Refunds take 5 days." in page
    bad = await client.post(
        f"/settings/canned-replies/{reply['id']}",
        data={"csrf_token": csrf, "shortcut": "refund", "title": "", "body": "Hi {{name}}"},
    )
    assert bad.status_code == 422 and "placeholder" in bad.text
    edited = await client.post(
        f"/settings/canned-replies/{reply['id']}",
        data={"csrf_token": csrf, "shortcut": "refunds", "title": "", "body": "Now 3 days."},
    )
    assert edited.status_code == 303
    after = (await client.get(f"{API}/{reply['id']}", headers=workspace.headers)).json()
    assert (after["shortcut"], after["title"], after["body"]) == ("refunds", "", "Now 3 days.")
    taken = await client.post(
        "/settings/canned-replies", data={"csrf_token": csrf, "shortcut": "refunds", "body": "Dup"}
    )
    assert taken.status_code == 422 and "taken" in taken.text and 'value="Dup"' not in taken.text
    forged = await client.post(f"/settings/canned-replies/{reply['id']}/delete", data={})
    assert forged.status_code == 403
    deleted = await client.post(f"/settings/canned-replies/{reply['id']}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert (await client.get(API, headers=workspace.headers)).json()["items"] == []


async def test_the_picker_fills_placeholders_and_ranks_matches(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, csrf: str
) -> None:
    for shortcut, title, body in (
        ("ship", "Shipping", "Hi {{contact.first_name}}, we ship today. {{agent.name}}"),
        ("returns", "Returns and shipping", "Send it back."),
        ("hello", "Greeting", "Hello! Shipping questions welcome."),
        ("other", "Unrelated", "Nothing here."),
    ):
        assert (await _create(client, workspace, shortcut=shortcut, title=title, body=body)).status_code == 201
    contact_id = await workspace.contact(name="Ann Lee", first_name="Ann", emails=["ann@x.example"])
    conversation = await workspace.conversation("Where is my parcel?")
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Conversation).where(Conversation.id == conversation).values(contact_id=contact_id))
        await session.commit()
    found = (await client.get(f"/inbox/{conversation}/canned-replies.json", params={"q": "ship"})).json()
    assert [item["shortcut"] for item in found] == ["ship", "returns", "hello"]
    assert found[0]["body"] == "Hi Ann, we ship today. Admin"
    assert set(found[0]) == {"id", "shortcut", "title", "body"}
    everything = (await client.get(f"/inbox/{conversation}/canned-replies.json")).json()
    assert [item["shortcut"] for item in everything] == ["hello", "other", "returns", "ship"]
    anonymous = await workspace.conversation("Hi")
    unknown = (await client.get(f"/inbox/{anonymous}/canned-replies.json", params={"q": "/ship"})).json()
    assert unknown[0]["body"] == "Hi there, we ship today. Admin"


async def test_the_picker_gives_at_most_twenty(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, csrf: str
) -> None:
    for number in range(25):
        await _create(client, workspace, shortcut=f"reply-{number:02d}")
    conversation = await workspace.conversation()
    found = (await client.get(f"/inbox/{conversation}/canned-replies.json", params={"q": "reply"})).json()
    assert len(found) == 20 and found[0]["shortcut"] == "reply-00"


async def test_the_picker_of_another_workspaces_conversation_is_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, csrf: str
) -> None:
    foreign = await other_workspace.conversation("Secret")
    assert (await client.get(f"/inbox/{foreign}/canned-replies.json")).status_code == 404
    assert (await client.get(f"/inbox/{foreign}/macros.json")).status_code == 404


async def test_viewers_see_canned_replies_and_macros_without_forms(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _create(client, workspace, body="Visible to viewers")
    viewer = await workspace.add_agent(Role.viewer)
    await login(client, viewer)
    page = await client.get("/settings/chat")
    assert page.status_code == 200 and "Visible to viewers" in page.text
    for form in ("Add canned reply", "Add macro", "Add invitation", "Save look", "Identity verification"):
        assert form not in page.text, form
    csrf = csrf_of(page.text)
    refused = await client.post("/settings/canned-replies", data={"csrf_token": csrf, "shortcut": "x", "body": "y"})
    assert refused.status_code == 403
