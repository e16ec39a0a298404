"""Unread counts: per agent, per conversation and per view; opening a conversation, or the page saying what was
seen, reads it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations import inbox_reads
from frontdesk.conversations.models import Conversation, MessageKind
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Agent
from tests.conversations.test_inbox_events import agent_says, new_visitor, visitor_says
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


@pytest.fixture
async def csrf(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/settings")).text)


async def counts(client: httpx.AsyncClient) -> dict[str, dict[str, int]]:
    answer = await client.get("/inbox/unread.json")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    data: dict[str, dict[str, int]] = answer.json()
    return data


async def test_visitor_lines_count_until_the_agent_opens_the_conversation(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, csrf: str
) -> None:
    first_visitor = await new_visitor(engine, workspace.id)
    x, _ = await visitor_says(engine, first_visitor, "one")
    await visitor_says(engine, first_visitor, "two")
    y, _ = await visitor_says(engine, await new_visitor(engine, workspace.id), "hello")
    await agent_says(engine, workspace.id, x, "a note", kind=MessageKind.note)  # agents' lines never count
    await agent_says(engine, workspace.id, x, "a reply")
    assert await counts(client) == {
        "conversations": {str(x): 2, str(y): 1},
        "views": {"all": 2, "mine": 0, "unassigned": 2},
    }
    admin_id = (await client.get("/api/v1/agents", headers=workspace.headers)).json()[0]["id"]
    await client.post(f"/inbox/{x}/update", data={"csrf_token": csrf, "assignee_id": str(admin_id)})
    assert (await counts(client))["views"] == {"all": 2, "mine": 1, "unassigned": 1}  # a system line: no count

    page = await client.get("/inbox")  # the list shows them too, and hides a zero
    row_x = page.text.split(f'data-id="{x}"')[1].split("</li>")[0]
    assert 'data-field="unread" title="unread messages" >2<' in row_x
    assert 'data-view-count="mine" >1<' in page.text

    opened = await client.get(f"/inbox/{x}", headers={"HX-Request": "true", "HX-Target": "conversation"})
    assert opened.status_code == 200
    assert await counts(client) == {"conversations": {str(y): 1}, "views": {"all": 1, "mine": 0, "unassigned": 1}}

    await visitor_says(engine, first_visitor, "three")
    assert (await counts(client))["conversations"] == {str(x): 1, str(y): 1}


async def test_the_page_marks_what_was_seen_and_a_mark_never_moves_back(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, csrf: str
) -> None:
    visitor = await new_visitor(engine, workspace.id)
    x, _ = await visitor_says(engine, visitor, "one")
    await visitor_says(engine, visitor, "two")
    await visitor_says(engine, visitor, "three")
    headers = {"X-CSRF-Token": csrf}
    assert (await client.post(f"/inbox/{x}/read", data={"seq": "2"}, headers=headers)).status_code == 204
    assert (await counts(client))["conversations"] == {str(x): 1}
    await client.post(f"/inbox/{x}/read", data={"seq": "1"}, headers=headers)  # an older tab's late word
    assert (await counts(client))["conversations"] == {str(x): 1}
    await client.post(f"/inbox/{x}/read", data={"seq": "999999"}, headers=headers)  # no further than the last
    assert (await counts(client))["conversations"] == {}
    await visitor_says(engine, visitor, "four")
    assert (await counts(client))["conversations"] == {str(x): 1}

    bad = await client.post(f"/inbox/{x}/read", data={"seq": "-1"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "seq"
    assert (await client.post(f"/inbox/{x}/read", data={"seq": "1"})).status_code == 403  # no CSRF token


async def test_read_marks_belong_to_one_agent_and_resolved_conversations_do_not_count(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    csrf: str,
) -> None:
    x, _ = await visitor_says(engine, await new_visitor(engine, workspace.id), "hello")
    y, _ = await visitor_says(engine, await new_visitor(engine, workspace.id), "hi")
    await client.get(f"/inbox/{x}")  # the admin reads x
    colleague_email = await workspace.add_agent()
    factory = create_session_factory(engine)
    async with factory() as session:
        colleague = (await session.execute(Agent.__table__.select().where(Agent.email == colleague_email))).one()
        theirs = await inbox_reads.unread_counts(session=session, workspace_id=workspace.id, agent_id=colleague.id)
        assert theirs.conversations == {x: 1, y: 1}  # the admin's reading is not theirs
        await session.execute(update(Conversation).where(Conversation.id == y).values(status="resolved"))
        await session.commit()
        theirs = await inbox_reads.unread_counts(session=session, workspace_id=workspace.id, agent_id=colleague.id)
        assert theirs.conversations == {x: 1}

    foreign = await other_workspace.conversation("not yours")
    assert (
        await client.post(f"/inbox/{foreign}/read", data={"seq": "1"}, headers={"X-CSRF-Token": csrf})
    ).status_code == 404
    assert str(foreign) not in (await counts(client))["conversations"]
