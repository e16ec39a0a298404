"""Socket plumbing: events waiting for an agent go out together, in order; failures close cleanly."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from fastapi import WebSocketDisconnect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations import routing
from frontdesk.conversations.models import Team, TeamMember
from frontdesk.conversations.outbox import inbox_channel
from frontdesk.conversations.sockets import AgentSocket
from frontdesk.db import create_session_factory
from frontdesk.realtime.broker import InProcessBroker
from frontdesk.realtime.sockets import serve_socket
from tests.factories import WorkspaceHandle


class RecordingSocket:
    """Stands in for a Starlette WebSocket: keeps what was sent, and how it was closed."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.sent = asyncio.Condition()
        self.closed_with: int | None = None
        self.app = SimpleNamespace(state=SimpleNamespace(session_factory=None))
        self.url = SimpleNamespace(path="/test/ws")

    async def send_text(self, text: str) -> None:
        async with self.sent:
            self.frames.append(text)
            self.sent.notify_all()
        await asyncio.sleep(0)

    async def wait_for_events(self, count: int) -> None:
        async with asyncio.timeout(5), self.sent:
            await self.sent.wait_for(lambda: len(events_of(self.frames)) >= count)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code


def events_of(frames: list[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for frame in frames:
        data = json.loads(frame)
        events.extend(data if isinstance(data, list) else [data])
    return events


async def test_events_waiting_for_an_agent_go_out_as_one_array_in_order() -> None:
    broker = InProcessBroker()
    websocket = RecordingSocket()
    agent = SimpleNamespace(id=1, workspace_id=7, role="agent")
    relay = asyncio.create_task(AgentSocket(websocket, broker, agent)._relay())  # type: ignore[arg-type]
    channel = inbox_channel(7)
    await asyncio.sleep(0)  # the relay subscribes
    assert broker.fanout.channels() == {channel}
    await broker.publish(channel, {"type": "message", "n": 0})
    await websocket.wait_for_events(1)
    # Published while the agent's relay is not running: they wait in its queue and leave in one frame.
    for n in range(1, 6):
        await broker.publish(channel, {"type": "message", "n": n})
    await websocket.wait_for_events(6)
    relay.cancel()
    assert isinstance(json.loads(websocket.frames[0]), dict)
    assert isinstance(json.loads(websocket.frames[1]), list) and len(websocket.frames) == 2
    assert [event["n"] for event in events_of(websocket.frames)] == [0, 1, 2, 3, 4, 5]


async def test_a_failing_socket_is_closed_with_1011_and_a_leaving_client_is_not() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    async def leaves() -> None:
        raise WebSocketDisconnect(code=1001)

    failing, leaving = RecordingSocket(), RecordingSocket()
    await serve_socket(failing, fails)  # type: ignore[arg-type]
    await serve_socket(leaving, leaves)  # type: ignore[arg-type]
    assert failing.closed_with == 1011
    assert leaving.closed_with is None


async def test_default_teams_made_concurrently_exist_once(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    """Twenty consoles connecting at once each make sure Sales and Support exist; none of them fails."""
    await workspace.add_agent()
    factory = create_session_factory(engine)

    async def ensure() -> None:
        async with factory() as session:
            await routing.ensure_default_teams(session=session, workspace_id=workspace.id)
            await session.commit()

    await asyncio.gather(*(ensure() for _ in range(8)))
    async with factory() as session:
        keys = (await session.scalars(select(Team.key).where(Team.workspace_id == workspace.id))).all()
        members = await session.scalar(select(func.count()).select_from(TeamMember))
    assert sorted(keys) == ["sales", "success", "support"]
    assert members == 2 * 2  # the admin and the added agent, each in both teams
