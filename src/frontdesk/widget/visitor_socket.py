"""The widget's WebSocket: the visitor's frames in, the events of the conversation they follow out."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from frontdesk.conversations.csat import do_rate
from frontdesk.conversations.models import Conversation, Visitor
from frontdesk.conversations.outbox import Outbox, conversation_channel, inbox_channel
from frontdesk.conversations.queries import list_messages
from frontdesk.conversations.schemas import MessageRead, RatingCreate, VisitorMessage, WidgetHello
from frontdesk.conversations.visit_context import visit_context
from frontdesk.conversations.visitors import (
    do_start_visitor,
    do_visitor_message,
    origin_allowed,
    settings_for_widget_token,
)
from frontdesk.conversations.visits import current_conversation, owned_conversation
from frontdesk.conversations.writer import MessageWriter
from frontdesk.db import MAX_ID
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.realtime.broker import OVERFLOW, Broker
from frontdesk.realtime.ratelimit import Limit
from frontdesk.realtime.sequence import SeenSequence
from frontdesk.realtime.sockets import BadFrame, receive_frame, sequence_number, until_subscribed
from frontdesk.widget.history import conversation_summary, message_payloads, through_seq

log = logging.getLogger(__name__)
GAP_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class ChatLimits:
    """Generous for people, tight for scripts (defaults: a burst of 10 messages, then one every 2 s)."""

    visitor: Limit
    ip: Limit


def client_ip(request: Any) -> str:
    return request.client.host if request.client else "unknown"


class VisitorSocket:
    """One widget connection: receives the visitor's frames and relays events of their conversation."""

    def __init__(self, websocket: WebSocket, broker: Broker) -> None:
        self.websocket = websocket
        self.broker = broker
        self.factory = websocket.app.state.session_factory
        self.visitor_id: int | None = None
        self.workspace_id: int | None = None
        self.conversation_id: int | None = None
        self.relay: asyncio.Task[None] | None = None
        self.rate_key = ""
        self.seen = SeenSequence()
        self.gap_check: asyncio.TimerHandle | None = None
        self.gap_fill: asyncio.Task[None] | None = None

    async def send(self, frame: dict[str, Any]) -> None:
        self.seen.record(frame)
        await self.websocket.send_text(json.dumps(frame))
        if self.seen.has_gap() and self.gap_check is None:
            # Events of one conversation can cross (two processes wrote it) or be lost (Redis went away): what
            # is still missing shortly after is fetched, so the widget never waits for a line that won't come.
            self.gap_check = asyncio.get_running_loop().call_later(GAP_WAIT_SECONDS, self._fill_gap)

    def _fill_gap(self) -> None:
        self.gap_check = None
        if self.seen.has_gap() and self.relay is not None and not self.relay.done():
            self.gap_fill = asyncio.get_running_loop().create_task(self._resume_quietly())

    async def _resume_quietly(self) -> None:
        with contextlib.suppress(Exception):  # the socket closed meanwhile: the widget resumes on reconnect
            await self._resume(self.seen.through)

    async def run(self) -> None:
        try:
            hello = WidgetHello.model_validate(await receive_frame(self.websocket))
        except BadFrame as refused:
            await self.websocket.close(code=4400, reason=f"{refused.field}: {refused.message}"[:120])
            return
        except ValidationError as exc:
            error = errors_from_pydantic(list(exc.errors()))[0]
            await self.websocket.close(code=4400, reason=f"{error['field']}: {error['message']}"[:120])
            return
        async with self.factory() as session:
            try:
                settings = await settings_for_widget_token(session=session, token=hello.widget_token)
            except DomainError:
                await self.websocket.close(code=4404, reason="unknown widget token")
                return
            if not origin_allowed(settings, self.websocket.headers.get("origin")):
                await self.websocket.close(code=4403, reason="origin not allowed")
                return
            started = await do_start_visitor(
                session=session, settings=settings, visitor_token=hello.visitor_token or None
            )
            if started.new_token is not None:  # the socket only serves visitors who have a session already
                await self.websocket.close(code=4401, reason="unknown visitor token")
                return
            visitor = started.visitor
            self.visitor_id, self.workspace_id = visitor.id, visitor.workspace_id
            # Keyed by the visitor's secret, not a database id that SQLite may hand out again after an erasure.
            self.rate_key = visitor.token_hash
            conversation = await current_conversation(
                session=session, visitor=visitor, conversation_id=hello.conversation_id
            )
            await session.commit()
        self.conversation_id = conversation.id if conversation else None
        try:
            if self.conversation_id is not None:
                await self._follow(self.conversation_id)
            await self._resume(hello.after_seq)
            while True:
                try:
                    await self._handle(await receive_frame(self.websocket))
                except BadFrame as refused:
                    await self.send(refused.as_event())
        finally:
            if self.gap_check is not None:
                self.gap_check.cancel()
            await self._stop_relay()

    async def _follow(self, conversation_id: int) -> None:
        """Relay the conversation's events from now on; returns once subscribed, so no event can slip by."""
        await self._stop_relay()
        if conversation_id != self.conversation_id:
            self.seen = SeenSequence()
        self.conversation_id = conversation_id
        subscribed = asyncio.Event()
        self.relay = asyncio.create_task(self._relay(conversation_channel(conversation_id), subscribed))
        await until_subscribed(self.relay, subscribed)

    async def _stop_relay(self) -> None:
        if self.relay is not None:
            self.relay.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await self.relay
            self.relay = None

    async def _relay(self, channel: str, subscribed: asyncio.Event) -> None:
        async with self.broker.subscribe(channel) as queue:
            subscribed.set()
            while True:
                frame = await queue.get()
                if frame == OVERFLOW:
                    await self._resume(self.seen.through)
                else:
                    await self.send(json.loads(frame))

    async def _resume(self, after_seq: int) -> None:
        if self.conversation_id is None:
            await self.send({"type": "ready", "conversation": None, "messages": []})
            return
        async with self.factory() as session:
            conversation = await session.get(Conversation, self.conversation_id)
            assert conversation is not None
            messages = await list_messages(
                session=session, conversation=conversation, after_seq=after_seq, include_notes=False
            )
            payloads = await message_payloads(session, messages)
        await self.send(
            {
                "type": "ready",
                "conversation": conversation_summary(conversation),
                "messages": payloads,
                "through_seq": through_seq(conversation, messages),
            }
        )

    async def _handle(self, frame: Any) -> None:
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "send":
            await self._send_message(frame)
        elif kind == "typing" and self.conversation_id is not None:
            event = {"type": "typing", "conversation_id": self.conversation_id, "author_type": "visitor"}
            assert self.workspace_id is not None
            await self.broker.publish(inbox_channel(self.workspace_id), event)
        elif kind == "resume":
            await self._resume(sequence_number(frame.get("after_seq")))
        elif kind == "rate":
            await self._rate(frame)
        elif kind == "follow":
            await self._switch(frame.get("conversation_id"))
        elif kind != "ping":
            await self.send({"type": "error", "field": "type", "message": "unknown frame type"})

    async def _send_message(self, frame: dict[str, Any]) -> None:
        ip = client_ip(self.websocket)
        limits: ChatLimits = self.websocket.app.state.chat_limits
        if not await limits.visitor.hit(self.rate_key) or not await limits.ip.hit(ip):
            await self.send(
                {
                    "type": "error",
                    "client_id": frame.get("client_id"),
                    "code": "rate_limited",
                    "message": "You are sending messages too fast. Wait a moment and try again.",
                }
            )
            return
        try:
            data = VisitorMessage.model_validate({k: v for k, v in frame.items() if k != "type"})
        except ValidationError as exc:
            error = errors_from_pydantic(exc.errors())[0]
            await self.send({"type": "error", "client_id": frame.get("client_id"), **error})
            return
        if data.conversation_id is None and not (data.new_conversation or data.invitation_id):
            # A line without an address goes into the conversation this socket follows (the one on screen).
            data = data.model_copy(update={"conversation_id": self.conversation_id})
        plain = not (data.email or data.name or data.team or data.new_conversation or data.invitation_id)
        if self.conversation_id is not None and data.conversation_id == self.conversation_id and plain:
            # The common case, a further line in a known conversation: written with others in one commit.
            writer: MessageWriter = self.websocket.app.state.message_writer
            try:
                stored = await writer.submit(self.conversation_id, data.client_id, data.body)
            except Exception:
                log.exception("could not store a visitor message")
                await self.send({"type": "error", "client_id": data.client_id, "message": "not stored; retrying"})
                return
            await self.send(
                {"type": "ack", "client_id": data.client_id, "conversation_id": self.conversation_id, "message": stored}
            )
            return
        for attempt in range(2):  # a lost race for the client id: the retry finds the winner's message
            outbox = Outbox()
            try:
                async with self.factory() as session:
                    visitor = await session.get(Visitor, self.visitor_id)
                    assert visitor is not None
                    context = visit_context(data.context, self.websocket.headers.get("user-agent"))
                    conversation, message, created = await do_visitor_message(
                        session=session, visitor=visitor, data=data, outbox=outbox, context=context
                    )
                    await session.commit()
                    ack = {
                        "type": "ack",
                        "client_id": data.client_id,
                        "conversation_id": conversation.id,
                        "message": MessageRead.model_validate(message).model_dump(mode="json"),
                        "conversation": conversation_summary(conversation),
                    }
                break
            except IntegrityError:
                if attempt:
                    raise
            except DomainError as exc:
                await self.send(
                    {
                        "type": "error",
                        "client_id": data.client_id,
                        "message": exc.detail,
                        "field": exc.errors[0]["field"] if exc.errors else None,
                    }
                )
                return
        try:
            opened_now = created and data.conversation_id is None  # a new conversation (or the first)
            if self.conversation_id != conversation.id and (self.conversation_id is None or opened_now):
                # The line started the conversation the widget now shows: listen before anyone can answer. A line
                # resent into another conversation (sent there before the visitor switched) changes nothing here.
                await self._follow(conversation.id)
            # Stored and committed: now acknowledge, then tell everybody else, even if the visitor has left.
            await self.send(ack)
        finally:
            await outbox.publish(self.broker)

    async def _rate(self, frame: dict[str, Any]) -> None:
        try:
            data = RatingCreate.model_validate({k: v for k, v in frame.items() if k != "type"})
        except ValidationError as exc:
            await self.send({"type": "error", **errors_from_pydantic(exc.errors())[0]})
            return
        if self.conversation_id is None:
            await self.send({"type": "error", "field": "rating", "message": "there is no conversation to rate"})
            return
        outbox = Outbox()
        async with self.factory() as session:
            conversation = await session.get(Conversation, self.conversation_id)
            assert conversation is not None
            try:
                await do_rate(session=session, conversation=conversation, data=data, outbox=outbox)
            except DomainError as exc:
                await self.send({"type": "error", "field": "rating", "message": exc.detail})
                return
            await session.commit()
            rated = {
                "type": "rated",
                "conversation_id": conversation.id,
                "rating": conversation.csat_rating,
                "commented": bool(conversation.csat_comment),
            }
        try:
            await self.send(rated)
        finally:
            await outbox.publish(self.broker)

    async def _switch(self, wanted: Any) -> None:
        """The visitor opened another of their conversations (or a blank new one, ``null``) in the widget."""
        if wanted is None:
            await self._stop_relay()
            self.conversation_id, self.seen = None, SeenSequence()
            await self._resume(0)
            return
        if isinstance(wanted, bool) or not isinstance(wanted, int) or not 1 <= wanted <= MAX_ID:
            await self.send({"type": "error", "field": "conversation_id", "message": "a conversation id or null"})
            return
        async with self.factory() as session:
            visitor = await session.get(Visitor, self.visitor_id)
            assert visitor is not None
            try:
                conversation = await owned_conversation(session=session, visitor=visitor, conversation_id=wanted)
            except DomainError as exc:
                await self.send({"type": "error", "field": "conversation_id", "message": exc.detail})
                return
        await self._follow(conversation.id)
        await self._resume(0)
