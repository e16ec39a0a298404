"""The inbox's order (longest waiting first, then latest activity) and its search, in the console and the API."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts.models import Contact
from frontdesk.conversations.inbox_search import fold_for_search
from frontdesk.conversations.models import Conversation
from frontdesk.db import create_session_factory
from tests.conversations.test_inbox_events import agent_says, new_visitor, visitor_says
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import login


def listed_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<li class="conv-item[^"]*"\s+data-id="(\d+)"', html)]


async def test_the_list_shows_the_longest_waiting_first_then_the_latest_activity(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async def conversation(body: str, answered: bool) -> int:
        found, _ = await visitor_says(engine, await new_visitor(engine, workspace.id), body)
        if answered:
            await agent_says(engine, workspace.id, found, "Answered")
        return found

    answered_long_ago = await conversation("old question", answered=True)
    waiting_longest = await conversation("first waiting", answered=False)
    waiting_since_later = await conversation("second waiting", answered=False)
    answered_just_now = await conversation("new question", answered=True)
    await login(client, workspace.admin_email)
    page = await client.get("/inbox")
    assert listed_ids(page.text) == [waiting_longest, waiting_since_later, answered_just_now, answered_long_ago]
    assert page.text.count("waiting ") >= 2  # the waiting time shows on the waiting rows

    # The one answered long ago writes again: it now waits, but less long than the other two.
    async with create_session_factory(engine)() as session:
        row = await session.get(Conversation, answered_long_ago)
        assert row is not None and row.visitor_id is not None
        visitor_id = row.visitor_id
    await visitor_says(engine, visitor_id, "hello again")
    fragment = await client.get("/inbox", headers={"HX-Request": "true"})
    assert listed_ids(fragment.text) == [waiting_longest, waiting_since_later, answered_long_ago, answered_just_now]


async def _contact_conversation(engine: AsyncEngine, workspace: WorkspaceHandle, name: str, email: str) -> int:
    contact_id = await workspace.contact(name=name, emails=[email])
    conversation = await workspace.conversation("A question about my order")
    async with create_session_factory(engine)() as session:
        # As the contacts domain stores it (the POLISH branch maintains it on every write).
        await session.execute(update(Contact).where(Contact.id == contact_id).values(search_name=fold_for_search(name)))
        await session.execute(update(Conversation).where(Conversation.id == conversation).values(contact_id=contact_id))
        await session.commit()
    return conversation


@pytest.mark.parametrize("typed", ["muller", "MÜLLER", "Müller", "jorg", "jörg mül", "joerg@example"])
async def test_search_finds_a_contact_by_name_without_accents_or_by_e_mail(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, typed: str
) -> None:
    mueller = await _contact_conversation(engine, workspace, "Jörg Müller", "joerg@example.com")
    other = await _contact_conversation(engine, workspace, "Ann Smith", "ann@example.org")
    await login(client, workspace.admin_email)
    found = await client.get("/inbox", params={"q": typed}, headers={"HX-Request": "true"})
    assert listed_ids(found.text) == [mueller]
    api = await client.get("/api/v1/conversations", params={"q": typed}, headers=workspace.headers)
    assert [item["id"] for item in api.json()["items"]] == [mueller]
    assert other not in listed_ids(found.text)


async def test_search_finds_message_text_and_what_the_visitor_typed_but_nothing_of_other_workspaces(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    parcel = await workspace.conversation("My PARCEL never arrived")
    named = await workspace.conversation("Hi", name="Zoë Quartz", email="zq@visitor.example")
    await workspace.conversation("Do you sell gift cards?")
    await other_workspace.conversation("My parcel is late too")
    search = "/api/v1/conversations"
    assert [
        i["id"] for i in (await client.get(search, params={"q": "parcel"}, headers=workspace.headers)).json()["items"]
    ] == [parcel]
    for typed in ("zoë quartz", "zq@visitor"):
        items = (await client.get(search, params={"q": typed}, headers=workspace.headers)).json()["items"]
        assert [i["id"] for i in items] == [named]
    # The user's own wildcards are taken literally: "%" is not "anything".
    for literal in ("%", "_", "\\"):
        assert (await client.get(search, params={"q": literal}, headers=workspace.headers)).json()["items"] == []
    await login(client, workspace.admin_email)
    page = await client.get("/inbox", params={"q": "nothing like this"})
    assert "Nothing matches" in page.text or "match" in page.text
    assert listed_ids(page.text) == []


async def test_a_search_with_a_nul_or_a_long_text_is_answered_not_failed(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.conversation("Hello")
    nul = await client.get("/api/v1/conversations", params={"q": "a\x00b"}, headers=workspace.headers)
    assert nul.status_code in (200, 422)  # the app refuses NUL in any input; never a server error
    too_long = await client.get("/api/v1/conversations", params={"q": "x" * 201}, headers=workspace.headers)
    assert too_long.status_code == 422 and "q" in too_long.text


async def test_an_empty_inbox_says_what_to_do_next(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await login(client, workspace.admin_email)
    page = (await client.get("/inbox")).text
    assert "No open conversations." in page
    assert 'href="/widget/try"' in page and "Settings → Live chat" in page
    searched = (await client.get("/inbox", params={"q": "refund"})).text
    assert "Nothing matches “refund”" in searched
