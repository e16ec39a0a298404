"""Agents see a visitor's claim as unverified (inbox, API, live socket) and can merge it by hand."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.contacts.models import Contact, ContactEmail
from frontdesk.conversations.models import Conversation, Visitor
from frontdesk.realtime.sequence import SeenSequence
from frontdesk.workspaces.models import Role
from tests.conversations.chat_clients import SITE, allow_site
from tests.conversations.chat_clients import Visitor as WidgetVisitor
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

OWNER_EMAIL = "owner@shop.example"


async def _claimed(workspace: WorkspaceHandle, **claim: str) -> tuple[int, int]:
    """A known customer, and a conversation whose visitor typed that customer's address: (owner, conversation)."""
    owner = await workspace.contact(name="Olga Owner", emails=[OWNER_EMAIL])
    conversation = await workspace.conversation("where is my order?", **({"email": OWNER_EMAIL} | claim))
    return owner, conversation


async def _signed_in(client: httpx.AsyncClient, email: str) -> str:
    await login(client, email)
    return csrf_of((await client.get("/inbox")).text)


async def test_the_inbox_and_the_api_show_the_claim_as_unverified_and_escaped(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    owner, conversation = await _claimed(workspace, name="<script>alert(1)</script>")
    await _signed_in(client, workspace.admin_email)
    page = (await client.get(f"/inbox/{conversation}")).text
    assert "Claims to be" in page and OWNER_EMAIL in page and "unverified" in page
    assert f'href="/contacts/{owner}">contact {owner}</a>' in page
    assert f"Merge into contact {owner}" in page
    assert "no mail server is configured" in page  # said honestly: no link can be e-mailed
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    listing = (await client.get("/inbox")).text
    assert "unverified e-mail" in listing

    read = (await client.get(f"/api/v1/conversations/{conversation}", headers=workspace.headers)).json()
    assert read["contact_id"] != owner
    claim = read["identity_claim"]
    assert claim["email"] == OWNER_EMAIL and claim["verified"] is False and claim["matches_contact_id"] == owner
    listed = (await client.get("/api/v1/conversations", headers=workspace.headers)).json()["items"]
    assert listed[0]["identity_claim"]["verified"] is False


async def test_an_agent_merges_the_claim_from_the_conversation(
    client: httpx.AsyncClient, engine: AsyncEngine, session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    owner, conversation = await _claimed(workspace)
    csrf = await _signed_in(client, workspace.admin_email)
    without_token = await client.post(f"/inbox/{conversation}/identity", data={"email": OWNER_EMAIL})
    assert without_token.status_code == 403
    stale = await client.post(
        f"/inbox/{conversation}/identity", data={"csrf_token": csrf, "email": "someone@else.example"}
    )
    assert stale.status_code == 409  # the agent vouches for what they saw, not for a newer claim
    merged = await client.post(f"/inbox/{conversation}/identity", data={"csrf_token": csrf, "email": OWNER_EMAIL})
    assert merged.status_code == 303

    row = await session.get(Conversation, conversation)
    assert row is not None and row.contact_id == owner
    visitor = await session.get(Visitor, row.visitor_id)
    assert visitor is not None and visitor.contact_id == owner and visitor.claim_verified_by == "agent"
    assert await session.scalar(select(func.count(Contact.id))) == 1
    page = (await client.get(f"/inbox/{conversation}")).text
    assert "verified" in page and "confirmed by an agent" in page and "Merge into" not in page
    again = await client.post(f"/inbox/{conversation}/identity", data={"csrf_token": csrf, "email": OWNER_EMAIL})
    assert again.status_code == 303  # already verified: nothing more happens
    assert await session.scalar(select(func.count(Contact.id))) == 1


async def test_an_agent_confirms_an_address_nobody_owns_onto_the_visitors_contact(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    conversation = await workspace.conversation("call me", email="new@shop.example", name="Nina")
    csrf = await _signed_in(client, workspace.admin_email)
    page = (await client.get(f"/inbox/{conversation}")).text
    assert "Confirm the address for this contact" in page
    response = await client.post(
        f"/inbox/{conversation}/identity", data={"csrf_token": csrf, "email": "new@shop.example"}
    )
    assert response.status_code == 303
    row = await session.get(Conversation, conversation)
    assert row is not None
    emails = await session.scalars(select(ContactEmail.email).where(ContactEmail.contact_id == row.contact_id))
    assert list(emails) == ["new@shop.example"]


@pytest.mark.parametrize("who", ["viewer", "other workspace"])
async def test_viewers_and_other_workspaces_cannot_merge(
    client: httpx.AsyncClient,
    session: AsyncSession,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    who: str,
) -> None:
    owner, conversation = await _claimed(workspace)
    email = await workspace.add_agent(Role.viewer) if who == "viewer" else other_workspace.admin_email
    csrf = await _signed_in(client, email)
    if who == "viewer":
        assert "Merge into" not in (await client.get(f"/inbox/{conversation}")).text
    response = await client.post(f"/inbox/{conversation}/identity", data={"csrf_token": csrf, "email": OWNER_EMAIL})
    assert response.status_code == (403 if who == "viewer" else 404)
    row = await session.get(Conversation, conversation)
    assert row is not None and row.contact_id != owner
    assert await session.scalar(select(func.count(Contact.id))) == 2


async def test_the_widget_never_shows_the_owners_history_after_a_claim(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    await workspace.contact(name="Olga Owner", emails=[OWNER_EMAIL])
    owner = WidgetVisitor(server_url, token)
    await owner.start_session()
    await owner.connect()
    await owner.send("my card ends in 4242", email=OWNER_EMAIL, name="Olga")
    await owner.expect("ack")
    await owner.close()

    intruder = WidgetVisitor(server_url, token)
    await intruder.start_session()
    await intruder.connect()
    try:
        await intruder.send("it's me, Olga", email=OWNER_EMAIL, name="Olga")
        await intruder.expect("ack")
        await intruder.close()
        # Next page load and socket: only the intruder's own line, in the session and in "ready".
        intruder.messages.clear()
        session = await intruder.start_session()
        assert [m["body"] for m in session["messages"]] == ["it's me, Olga"]
        # A page that forgot what it had shown: the socket's "ready" carries the whole history it may see.
        intruder.messages.clear()
        intruder.seen = SeenSequence()
        ready = await intruder.connect()
        assert [m["body"] for m in ready["messages"]] == ["it's me, Olga"]
    finally:
        await intruder.close()


@pytest.mark.parametrize(
    "identity",
    [
        {"user_id": "u-1", "user_hash": 12345},
        {"user_id": "u-1", "user_hash": ["a"]},
        {"user_id": "u-1", "user_hash": "é" * 64},
        {"user_id": "u" * 300, "user_hash": "0" * 64},
    ],
)
async def test_a_malformed_user_hash_leaves_the_visitor_anonymous_without_an_error(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, identity: dict[str, object]
) -> None:
    token = await allow_site(engine, workspace.id)
    response = await client.post(
        "/widget/api/session",
        content=json.dumps({"widget_token": token, **identity}),
        headers={"Origin": SITE, "Content-Type": "text/plain"},
    )
    assert response.status_code == 200
    assert response.json()["identity_verified"] is False and response.json()["identity_error"]
