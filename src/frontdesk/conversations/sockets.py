"""The agents' console socket: every event of the workspace in, messages and presence out.

Server to console, a frame is one event (a JSON object) or, when several were waiting, a JSON array of
events in the order they happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from frontdesk.conversations import routing
from frontdesk.conversations.actions import post_agent_message
from frontdesk.conversations.models import Presence
from frontdesk.conversations.outbox import conversation_channel, inbox_channel
from frontdesk.conversations.queries import get_conversation
from frontdesk.conversations.schemas import AgentMessageCreate, MessageRead
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.realtime.broker import OVERFLOW, Broker
from frontdesk.realtime.sockets import BadFrame, receive_frame, serve_socket, until_subscribed
from frontdesk.workspaces.models import Agent, Role
from frontdesk.workspaces.service import get_login

router = APIRouter(include_in_schema=False)
HEARTBEAT_SECONDS = 20
MAX_EVENTS_PER_FRAME = 200
CLOSED_MARK = '"console_closed": true'


def _consoles(websocket: WebSocket) -> defaultdict[int, set[AgentSocket]]:
    """The consoles connected to this process, by agent: the last one to close sets the agent offline."""
    state = websocket.app.state
    if not hasattr(state, "agent_consoles"):
        state.agent_consoles = defaultdict(set)
    consoles: defaultdict[int, set[AgentSocket]] = state.agent_consoles
    return consoles


class AgentSocket:
    def __init__(self, websocket: WebSocket, broker: Broker, agent: Agent) -> None:
        self.websocket = websocket
        self.broker = broker
        self.factory = websocket.app.state.session_factory
        self.agent_id = agent.id
        self.workspace_id = agent.workspace_id
        self.role = Role(agent.role)
        self.status = Presence.online
        self.allowed_conversations: set[int] = set()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(frame))

    async def run(self) -> None:
        consoles = _consoles(self.websocket)
        consoles[self.agent_id].add(self)
        subscribed = asyncio.Event()
        relay = asyncio.create_task(self._relay(subscribed))
        try:
            # Subscribed before saying "online": another console's "closed" notice that lands after this write
            # is heard, and answered (see _answer_closed_console).
            await until_subscribed(relay, subscribed)
            await self._presence(self.status)
            await self.send({"type": "ready", "agent_id": self.agent_id})
            while True:
                try:
                    await self._handle(await receive_frame(self.websocket))
                except BadFrame as refused:
                    await self.send(refused.as_event())
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await relay
            consoles[self.agent_id].discard(self)
            if not consoles[self.agent_id]:
                del consoles[self.agent_id]
                # This process has no console of the agent left; consoles on other processes answer the notice.
                with contextlib.suppress(Exception):
                    await self._presence(Presence.offline, closed=True)

    async def _relay(self, subscribed: asyncio.Event | None = None) -> None:
        async with self.broker.subscribe(inbox_channel(self.workspace_id)) as queue:
            if subscribed is not None:
                subscribed.set()
            while True:
                frames = [await queue.get()]
                # Events published while the last send was under way go out together as one JSON array:
                # a busy workspace costs each agent one WebSocket frame per batch, not one per event.
                while not queue.empty() and len(frames) < MAX_EVENTS_PER_FRAME:
                    frames.append(queue.get_nowait())
                for frame in frames:
                    if CLOSED_MARK in frame:
                        await self._answer_closed_console(frame)
                if OVERFLOW in frames:  # the console reloads from the database, so the rest can go
                    await self.websocket.send_text('{"type": "resync"}')
                elif len(frames) == 1:
                    await self.websocket.send_text(frames[0])
                else:
                    await self.websocket.send_text("[" + ",".join(frames) + "]")

    async def _answer_closed_console(self, frame: str) -> None:
        """Another console of this agent closed and marked them offline: this one is still here, so say so."""
        event = json.loads(frame)
        if event.get("agent_id") == self.agent_id and self.status is not Presence.offline:
            await self._presence(self.status)

    async def _presence(self, status: Presence, *, closed: bool = False) -> None:
        async with self.factory() as session:
            agent = await session.get(Agent, self.agent_id)
            assert agent is not None
            await routing.do_set_presence(session=session, agent=agent, status=status)
            await session.commit()
        event: dict[str, Any] = {"type": "presence", "agent_id": self.agent_id, "status": status.value}
        if closed:
            event["console_closed"] = True
        await self.broker.publish(inbox_channel(self.workspace_id), event)

    async def _conversation_allowed(self, conversation_id: object) -> bool:
        """Whether ``conversation_id`` names a conversation of the agent's workspace (remembered per socket)."""
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            return False
        if not 0 < conversation_id < 2**63:  # ids are 64-bit: anything beyond names no conversation
            return False
        if conversation_id in self.allowed_conversations:
            return True
        try:
            async with self.factory() as session:
                await get_conversation(session=session, workspace_id=self.workspace_id, conversation_id=conversation_id)
        except DomainError:  # unknown, or another workspace's
            return False
        self.allowed_conversations.add(conversation_id)
        return True

    async def _handle(self, frame: Any) -> None:
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "send":
            await self._send_message(frame)
        elif kind == "typing":
            if not await self._conversation_allowed(frame.get("conversation_id")):
                await self.send(
                    {"type": "error", "field": "conversation_id", "message": "no such conversation in your workspace"}
                )
                return
            event = {
                "type": "typing",
                "conversation_id": frame["conversation_id"],
                "author_type": "agent",
                "agent_id": self.agent_id,
            }
            await self.broker.publish(inbox_channel(self.workspace_id), event)
            if not frame.get("private"):
                await self.broker.publish(conversation_channel(frame["conversation_id"]), event)
        elif kind in {"ping", "presence"}:
            # A ping is the heartbeat: it renews this console's status; a presence frame changes it.
            status = frame.get("status", Presence.online.value) if kind == "presence" else self.status.value
            if status not in {p.value for p in Presence}:
                await self.send({"type": "error", "field": "status", "message": "online, away or offline"})
                return
            self.status = Presence(status)
            await self._presence(self.status)
            await self.send({"type": "pong"})
        else:
            await self.send({"type": "error", "field": "type", "message": "unknown frame type"})

    async def _send_message(self, frame: dict[str, Any]) -> None:
        if not self.role.allows(Role.agent):
            await self.send({"type": "error", "client_id": frame.get("client_id"), "message": "viewers cannot write"})
            return
        conversation_id = frame.get("conversation_id")
        try:
            data = AgentMessageCreate.model_validate(
                {k: v for k, v in frame.items() if k not in {"type", "conversation_id"}}
            )
        except ValidationError as exc:
            await self.send(
                {"type": "error", "client_id": frame.get("client_id"), **errors_from_pydantic(exc.errors())[0]}
            )
            return
        if not await self._conversation_allowed(conversation_id):
            await self.send(
                {
                    "type": "error",
                    "client_id": data.client_id,
                    "field": "conversation_id",
                    "message": "no such conversation in your workspace",
                }
            )
            return
        assert isinstance(conversation_id, int)
        try:
            async with self.factory() as session:
                message, _, outbox = await post_agent_message(
                    session=session,
                    workspace_id=self.workspace_id,
                    conversation_id=conversation_id,
                    agent_id=self.agent_id,
                    data=data,
                )
                read = MessageRead.model_validate(message).model_dump(mode="json")
        except DomainError as exc:  # e.g. deleted since it was checked
            await self.send(
                {"type": "error", "client_id": data.client_id, "message": exc.detail, "field": "conversation_id"}
            )
            return
        try:
            await self.send(
                {"type": "ack", "client_id": data.client_id, "conversation_id": conversation_id, "message": read}
            )
        finally:  # stored: everyone else hears of it even if this console is already gone
            await outbox.publish(self.broker)


def _same_site(websocket: WebSocket) -> bool:
    """Browsers send Origin on every WebSocket: refuse pages of other sites riding on the agent's cookie."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host", "")
    return origin is not None and urlsplit(origin).netloc == host


@router.websocket("/console/ws")
async def agent_socket(websocket: WebSocket) -> None:
    settings = websocket.app.state.settings
    token = websocket.cookies.get(settings.session_cookie_name)
    agent = None
    if token and _same_site(websocket):
        async with websocket.app.state.session_factory() as session:
            found = await get_login(session=session, token=token)
            agent = found[0] if found else None
    await websocket.accept()
    if agent is None:
        await websocket.close(code=4401, reason="sign in first")
        return
    await serve_socket(websocket, AgentSocket(websocket, websocket.app.state.broker, agent).run)
