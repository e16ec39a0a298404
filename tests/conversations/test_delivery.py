"""Live delivery has no holes: stored lines are always announced, and a client can find and fill any gap."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.models import AuthorType, Conversation, MessageKind
from frontdesk.conversations.outbox import Outbox, conversation_channel, inbox_channel
from frontdesk.conversations.schemas import VisitorMessage
from frontdesk.conversations.service import do_post_message
from frontdesk.conversations.sockets import AgentSocket
from frontdesk.conversations.visitors import do_start_visitor, do_visitor_message, get_chat_settings
from frontdesk.conversations.writer import _Line, write_lines
from frontdesk.db import create_session_factory
from frontdesk.realtime.broker import InProcessBroker
from frontdesk.realtime.sequence import SeenSequence
from frontdesk.widget.routes import VisitorSocket
from frontdesk.workspaces.models import Agent
from tests.factories import WorkspaceHandle


@given(st.data())
def test_the_resume_point_is_the_highest_number_with_nothing_missing_below(data: st.DataObject) -> None:
    last = data.draw(st.integers(0, 40))
    arrived = data.draw(st.lists(st.integers(1, last), max_size=80)) if last else []
    seen = SeenSequence()
    firsts = [seen.add(seq) for seq in arrived]
    expected = 0
    while expected + 1 in arrived:
        expected += 1
    assert seen.through == expected
    assert seen.has_gap() == any(seq > expected for seq in arrived)
    assert sum(firsts) == len(set(arrived))  # every number counts once; repeats are duplicates


def test_a_missed_agent_line_below_a_later_one_is_not_skipped() -> None:
    seen = SeenSequence()
    for frame in (
        {"type": "ack", "message": {"seq": 1}},
        {"type": "message", "message": {"seq": 3}},  # 2 (an agent's line) never arrived
        {"type": "seq", "seq": 4},  # a note: a number the visitor never sees
    ):
        seen.record(frame)
    assert seen.through == 1 and seen.has_gap()
    seen.record({"type": "ready", "messages": [{"seq": 2}, {"seq": 3}], "through_seq": 4})
    assert seen.through == 4 and not seen.has_gap()


async def _conversation(engine: AsyncEngine, workspace: WorkspaceHandle) -> tuple[int, int, int]:
    """A conversation with one visitor line; (conversation id, visitor id, the admin's agent id)."""
    async with create_session_factory(engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        visitor = (await do_start_visitor(session=session, settings=settings, visitor_token=None)).visitor
        conversation, _, _ = await do_visitor_message(
            session=session, visitor=visitor, data=VisitorMessage(client_id="v1", body="hello"), outbox=Outbox()
        )
        agent_id = await session.scalar(select(Agent.id).where(Agent.workspace_id == workspace.id))
        await session.commit()
        assert agent_id is not None
        return conversation.id, visitor.id, agent_id


@pytest.mark.parametrize("author", ["agent", "visitor through the group-commit writer"])
async def test_a_retry_of_a_stored_message_announces_it_again(
    engine: AsyncEngine, workspace: WorkspaceHandle, author: str
) -> None:
    """The first attempt may have been stored and never announced: its retry must not end silent."""
    conversation_id, _, agent_id = await _conversation(engine, workspace)
    factory = create_session_factory(engine)
    announced: list[list[tuple[str, Any]]] = []
    for _ in range(2):
        outbox = Outbox()
        async with factory() as session:
            if author == "agent":
                conversation = await session.get(Conversation, conversation_id)
                assert conversation is not None
                await do_post_message(
                    session=session,
                    conversation=conversation,
                    author_type=AuthorType.agent,
                    client_id="same",
                    body="Hi!",
                    agent=await session.get(Agent, agent_id),
                    outbox=outbox,
                )
            else:
                lines = [_Line(conversation_id, "same", "Hi!", 0.0)]
                await write_lines(session=session, lines=lines, outbox=outbox)
            await session.commit()
        announced.append([(channel, event["message"]["seq"]) for channel, event in outbox.events])
    expected = [(conversation_channel(conversation_id), 2), (inbox_channel(workspace.id), 2)]
    assert sorted(announced[0]) == sorted(announced[1]) == sorted(expected)


class DyingSocket:
    """A socket whose client left between the commit and the acknowledgement."""

    def __init__(self, factory: Any, **state: Any) -> None:
        self.app = SimpleNamespace(state=SimpleNamespace(session_factory=factory, **state))
        self.headers: dict[str, str] = {}
        self.client = SimpleNamespace(host="127.0.0.1")

    async def send_text(self, text: str) -> None:
        raise ConnectionResetError("the client is gone")


class AlwaysAllowed:
    """A rate limit that never refuses (this test is about delivery, not limits)."""

    async def hit(self, key: str) -> bool:
        return True


async def test_an_agents_message_is_announced_even_when_the_console_died_before_the_ack(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    conversation_id, _, agent_id = await _conversation(engine, workspace)
    broker = InProcessBroker()
    agent = SimpleNamespace(id=agent_id, workspace_id=workspace.id, role="admin")
    socket = AgentSocket(DyingSocket(create_session_factory(engine)), broker, agent)  # type: ignore[arg-type]
    async with broker.subscribe(conversation_channel(conversation_id)) as visitor_queue:
        frame = {"type": "send", "conversation_id": conversation_id, "client_id": "a1", "body": "On its way"}
        with pytest.raises(ConnectionResetError):
            await socket._send_message(frame)
        event = json.loads(visitor_queue.get_nowait())
    assert event["type"] == "message" and event["message"]["body"] == "On its way"


async def test_a_visitors_first_message_is_announced_even_when_the_widget_died_before_the_ack(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine)() as session:
        # A visitor with no conversation yet: their first line opens one (the path outside the writer).
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        visitor = (await do_start_visitor(session=session, settings=settings, visitor_token=None)).visitor
        await session.commit()
    broker = InProcessBroker()
    always = AlwaysAllowed()
    websocket = DyingSocket(create_session_factory(engine), chat_limits=SimpleNamespace(visitor=always, ip=always))
    socket = VisitorSocket(websocket, broker)  # type: ignore[arg-type]
    socket.visitor_id, socket.workspace_id = visitor.id, workspace.id
    async with broker.subscribe(inbox_channel(workspace.id)) as agents_queue:
        with pytest.raises(ConnectionResetError):
            await socket._send_message({"type": "send", "client_id": "first", "body": "Anyone there?"})
        await socket._stop_relay()
        events = [json.loads(agents_queue.get_nowait()) for _ in range(agents_queue.qsize())]
    assert any(e["type"] == "message" and e["message"]["body"] == "Anyone there?" for e in events)


class RecordingSocket(DyingSocket):
    def __init__(self, factory: Any) -> None:
        super().__init__(factory)
        self.frames: list[dict[str, Any]] = []
        self.reloaded = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))
        if self.frames[-1]["type"] == "ready":
            self.reloaded.set()


async def test_a_line_missed_by_the_widget_is_fetched_without_the_visitor_asking(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    """The visitor's socket hears line 3 but never line 2: it sends the missing range from the database."""
    conversation_id, _, agent_id = await _conversation(engine, workspace)
    factory = create_session_factory(engine)
    missed = Outbox()
    later = Outbox()
    async with factory() as session:
        conversation = await session.get(Conversation, conversation_id)
        agent = await session.get(Agent, agent_id)
        assert conversation is not None
        for outbox, client_id in ((missed, "a1"), (later, "a2")):
            await do_post_message(
                session=session,
                conversation=conversation,
                author_type=AuthorType.agent,
                client_id=client_id,
                body=f"line {client_id}",
                agent=agent,
                kind=MessageKind.message,
                outbox=outbox,
            )
        await session.commit()
    broker = InProcessBroker()
    websocket = RecordingSocket(factory)
    socket = VisitorSocket(websocket, broker)  # type: ignore[arg-type]
    await socket._follow(conversation_id)
    try:
        socket.seen.add(1)  # the widget has the visitor's own first line
        await later.publish(broker)  # line 3 arrives; line 2's event was lost (never published)
        async with asyncio.timeout(3):
            await websocket.reloaded.wait()
        ready = next(frame for frame in websocket.frames if frame["type"] == "ready")
        assert [m["seq"] for m in ready["messages"]] == [2, 3] and ready["through_seq"] == 3
        assert socket.seen.through == 3 and not socket.seen.has_gap()
    finally:
        await socket._stop_relay()
