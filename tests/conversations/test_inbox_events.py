"""What the live inbox hears: waiting times kept by every writer, and the events' payloads (list summary with
each message, the whole conversation when its header changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.actions import post_agent_message
from frontdesk.conversations.csat import do_rate
from frontdesk.conversations.models import Conversation, Message, MessageKind, Visitor
from frontdesk.conversations.outbox import Outbox, conversation_channel, inbox_channel
from frontdesk.conversations.schemas import AgentMessageCreate, RatingCreate, VisitorMessage
from frontdesk.conversations.service import do_change_conversation
from frontdesk.conversations.visitors import do_start_visitor, do_visitor_message, get_chat_settings
from frontdesk.conversations.writer import _Line, write_lines
from frontdesk.db import create_session_factory
from frontdesk.realtime.broker import Event
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


async def new_visitor(engine: AsyncEngine, workspace_id: int) -> int:
    async with create_session_factory(engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace_id)
        started = await do_start_visitor(session=session, settings=settings, visitor_token=None)
        await session.commit()
        return started.visitor.id


async def visitor_says(engine: AsyncEngine, visitor_id: int, body: str, **fields: Any) -> tuple[int, list[Event]]:
    """The visitor writes through the ordinary path; the conversation and the events for the inbox."""
    outbox = Outbox()
    async with create_session_factory(engine)() as session:
        visitor = await session.get(Visitor, visitor_id)
        assert visitor is not None
        conversation, _, _ = await do_visitor_message(
            session=session, visitor=visitor, data=VisitorMessage(body=body, **fields), outbox=outbox
        )
        await session.commit()
    return conversation.id, [event for channel, event in outbox.events if channel.startswith("inbox:")]


async def agent_says(
    engine: AsyncEngine, workspace_id: int, conversation_id: int, body: str, kind: MessageKind = MessageKind.message
) -> list[Event]:
    async with create_session_factory(engine)() as session:
        _, _, outbox = await post_agent_message(
            session=session,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            agent_id=None,
            data=AgentMessageCreate(body=body, kind=kind),
            author_name="Ann",
        )
    return [event for channel, event in outbox.events if channel == inbox_channel(workspace_id)]


async def conversation_row(engine: AsyncEngine, conversation_id: int) -> Conversation:
    async with create_session_factory(engine)() as session:
        found = await session.get(Conversation, conversation_id)
        assert found is not None
        return found


async def first_line_at(engine: AsyncEngine, conversation_id: int, body: str) -> datetime:
    async with create_session_factory(engine)() as session:
        found = await session.scalar(
            select(Message.created_at).where(Message.conversation_id == conversation_id, Message.body == body)
        )
        assert found is not None
        return found


async def test_waiting_starts_with_the_visitor_and_only_an_agent_reply_ends_it(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = await new_visitor(engine, workspace.id)
    conversation, _ = await visitor_says(engine, visitor, "Hello?")
    started = await first_line_at(engine, conversation, "Hello?")
    assert (await conversation_row(engine, conversation)).waiting_since == started

    await visitor_says(engine, visitor, "Anyone there?")
    await agent_says(engine, workspace.id, conversation, "Ask Bob", kind=MessageKind.note)
    assert (await conversation_row(engine, conversation)).waiting_since == started  # the first unanswered line

    await agent_says(engine, workspace.id, conversation, "Hi, how can I help?")
    assert (await conversation_row(engine, conversation)).waiting_since is None

    await visitor_says(engine, visitor, "One more thing")
    assert (await conversation_row(engine, conversation)).waiting_since == await first_line_at(
        engine, conversation, "One more thing"
    )


async def test_resolving_ends_the_wait_and_writing_again_starts_a_new_one(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    """Resolved without a reply (by an agent, or auto-resolved): nobody waits; a visitor who writes into it again
    waits from that new line, not from the old one."""
    visitor = await new_visitor(engine, workspace.id)
    conversation, _ = await visitor_says(engine, visitor, "Never mind, found it")
    async with create_session_factory(engine)() as session:
        row = await session.get(Conversation, conversation)
        assert row is not None
        await do_change_conversation(
            session=session, conversation=row, outbox=Outbox(), changes={"status": "resolved"}, actor_name="Ann"
        )
        await session.commit()
    assert (await conversation_row(engine, conversation)).waiting_since is None

    await visitor_says(engine, visitor, "Actually, one more question")
    again = await conversation_row(engine, conversation)
    assert again.status == "open"
    assert again.waiting_since == await first_line_at(engine, conversation, "Actually, one more question")


async def test_the_batch_writer_keeps_the_waiting_time_as_the_single_path_does(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = await new_visitor(engine, workspace.id)
    conversation, _ = await visitor_says(engine, visitor, "Hello?")
    await agent_says(engine, workspace.id, conversation, "Hi!")
    factory = create_session_factory(engine)
    outbox = Outbox()
    async with factory() as session:
        await write_lines(
            session=session,
            lines=[_Line(conversation, "b1", "first", 0.0), _Line(conversation, "b2", "second", 0.0)],
            outbox=outbox,
        )
        await session.commit()
    started = await first_line_at(engine, conversation, "first")
    assert (await conversation_row(engine, conversation)).waiting_since == started
    summaries = [event["conversation"] for channel, event in outbox.events if channel.startswith("inbox:")]
    assert [s["waiting_since"] for s in summaries] == [started.isoformat()] * 2
    assert all(s["status"] == "open" and s["last_activity_at"] for s in summaries)

    async with factory() as session:  # a further line while waiting: the wait still began with "first"
        await write_lines(session=session, lines=[_Line(conversation, "b3", "third", 0.0)], outbox=Outbox())
        await session.commit()
    assert (await conversation_row(engine, conversation)).waiting_since == started


async def test_every_message_event_carries_what_the_list_row_shows(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = await new_visitor(engine, workspace.id)
    conversation, events = await visitor_says(engine, visitor, "Where is my parcel?")
    message_event = next(event for event in events if event["type"] == "message")
    summary = message_event["conversation"]
    row = await conversation_row(engine, conversation)
    assert summary == {
        "id": conversation,
        "status": "open",
        "unanswered": True,
        "assignee_id": None,
        "waiting_since": row.waiting_since.isoformat() if row.waiting_since else None,
        "last_activity_at": row.last_activity_at.isoformat(),
        "first_response_seconds": None,
    }
    assert summary["waiting_since"] is not None


async def test_the_first_reply_carries_the_first_response_time_to_the_header(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = await new_visitor(engine, workspace.id)
    conversation, events = await visitor_says(engine, visitor, "Hello?")
    assert events[0]["conversation"]["first_response_seconds"] is None
    note = await agent_says(engine, workspace.id, conversation, "checking", kind=MessageKind.note)
    assert note[0]["conversation"]["first_response_seconds"] is None  # a note is no response
    first = await agent_says(engine, workspace.id, conversation, "Hi!")
    assert [event["type"] for event in first] == ["message"]  # no extra event: the summary says it
    summary = first[0]["conversation"]
    row = await conversation_row(engine, conversation)
    assert summary["first_response_seconds"] == row.first_response_seconds and row.first_response_seconds >= 0
    assert summary["unanswered"] is False and summary["waiting_since"] is None
    _, later = await visitor_says(engine, visitor, "Thanks")
    assert later[0]["conversation"]["first_response_seconds"] == row.first_response_seconds  # it stays
    factory = create_session_factory(engine)
    outbox = Outbox()
    async with factory() as session:  # the batch writer's summary says the same
        await write_lines(session=session, lines=[_Line(conversation, "batch", "and again", 0.0)], outbox=outbox)
        await session.commit()
    batch = [event for channel, event in outbox.events if channel.startswith("inbox:")]
    assert batch[0]["conversation"]["first_response_seconds"] == row.first_response_seconds


async def test_a_resolved_conversation_reopens_as_open_and_the_name_and_rating_arrive_live(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = await new_visitor(engine, workspace.id)
    conversation, _ = await visitor_says(engine, visitor, "Hello?")
    async with create_session_factory(engine)() as session:
        await session.execute(update(Conversation).where(Conversation.id == conversation).values(status="resolved"))
        await session.commit()
        row = await session.get(Conversation, conversation)
        assert row is not None
        outbox = Outbox()
        await do_rate(session=session, conversation=row, data=RatingCreate(rating=4, comment="quick"), outbox=outbox)
        await session.commit()
    rated = [event["conversation"] for _, event in outbox.events if event["type"] == "conversation"]
    assert [(c["csat_rating"], c["csat_comment"]) for c in rated] == [(4, "quick")]

    _, events = await visitor_says(engine, visitor, "Actually, one more", name="Mia", email="mia@candy.example")
    reopened = [event["conversation"] for event in events if event["type"] == "conversation"]
    assert reopened and reopened[0]["status"] == "open"
    assert reopened[-1]["visitor_name"] == "Mia"
    assert reopened[-1]["display_name"] == "Mia"  # rather than the anonymous contact's "Visitor N"
    assert reopened[-1]["contact_name"].startswith("Visitor ")


async def test_the_visit_context_never_goes_to_the_visitor(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    visitor = await new_visitor(engine, workspace.id)
    conversation, _ = await visitor_says(engine, visitor, "Hello?")
    async with create_session_factory(engine)() as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation)
            .values(context={"referrer": "https://secret-referrer.example/", "page_url": "https://shop.example/x"})
        )
        await session.commit()
    outbox = Outbox()
    async with create_session_factory(engine)() as session:
        found = await session.get(Visitor, visitor)
        assert found is not None
        await do_visitor_message(
            session=session, visitor=found, data=VisitorMessage(body="Still there?"), outbox=outbox
        )
        await session.commit()
    async with create_session_factory(engine)() as session:
        _, _, agent_outbox = await post_agent_message(
            session=session,
            workspace_id=workspace.id,
            conversation_id=conversation,
            agent_id=None,
            data=AgentMessageCreate(body="Yes"),
        )
    to_visitor = [
        event for channel, event in outbox.events + agent_outbox.events if channel == conversation_channel(conversation)
    ]
    assert to_visitor and "secret-referrer" not in repr(to_visitor) and "context" not in repr(to_visitor)


async def test_changing_a_conversation_from_the_live_page_answers_with_the_conversation(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings")).text)
    conversation = await workspace.conversation("Hello?")
    agents = (await client.get("/api/v1/agents", headers=workspace.headers)).json()
    answer = await client.post(
        f"/inbox/{conversation}/update",
        data={"csrf_token": csrf, "assignee_id": str(agents[0]["id"]), "status": "resolved"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "conversation"
    assert (body["conversation"]["id"], body["conversation"]["status"]) == (conversation, "resolved")
    assert (body["conversation"]["assignee_id"], body["conversation"]["assignee_name"]) == (agents[0]["id"], "Admin")
    without_script = await client.post(f"/inbox/{conversation}/update", data={"csrf_token": csrf, "status": "open"})
    assert without_script.status_code == 303
