"""The real-time side of a conversation change: which channel hears what, the events a message causes, and
the ``Outbox`` that holds them until the caller's commit succeeded. Separate from the service because it
reads nothing from the database and most of its users (the sockets, the widget, attachments, the batch
writer) need only this."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from frontdesk.conversations.models import Conversation, Message, MessageKind
from frontdesk.conversations.schemas import AgentMessageRead, MessageRead
from frontdesk.realtime.broker import Broker, Event

log = logging.getLogger(__name__)


def conversation_channel(conversation_id: int) -> str:
    """What a visitor's widget hears: messages (never notes), typing and status of one conversation."""
    return f"conversation:{conversation_id}"


def inbox_channel(workspace_id: int) -> str:
    """What the agents' consoles of a workspace hear: everything."""
    return f"inbox:{workspace_id}"


@dataclass
class Outbox:
    events: list[tuple[str, Event]] = field(default_factory=list)

    def add(self, channel: str, event: Event) -> None:
        self.events.append((channel, event))

    async def publish(self, broker: Broker) -> None:
        """Hands every event to the broker; one that fails is logged and the others still go."""
        events, self.events = self.events, []
        for channel, event in events:
            try:
                await broker.publish(channel, event)
            except Exception:  # the brokers retry themselves; this only guards against a bug losing the rest
                log.exception("could not publish a %s event on %s", event.get("type"), channel)


def conversation_summary(conversation: Conversation) -> Event:
    """What the inbox list shows of a conversation, sent along with its messages so no list reload is needed."""
    return summary_of(
        conversation_id=conversation.id,
        status=conversation.status,
        first_response_at=conversation.first_response_at,
        assignee_id=conversation.assignee_id,
        waiting_since=conversation.waiting_since,
        last_activity_at=conversation.last_activity_at,
        first_response_seconds=conversation.first_response_seconds,
    )


def summary_of(
    *,
    conversation_id: int,
    status: str,
    first_response_at: datetime | None,
    assignee_id: int | None,
    waiting_since: datetime | None,
    last_activity_at: datetime | None,
    first_response_seconds: float | None,
) -> Event:
    """The list summary from plain values (the batch writer has rows, not objects). It carries the
    first-response time too: the first reply's own event is how the header learns it."""
    return {
        "id": conversation_id,
        "status": status,
        "unanswered": first_response_at is None,
        "assignee_id": assignee_id,
        "waiting_since": waiting_since.isoformat() if waiting_since else None,
        "last_activity_at": last_activity_at.isoformat() if last_activity_at else None,
        "first_response_seconds": first_response_seconds,
    }


def add_message_events(outbox: Outbox, message: Message, *, workspace_id: int, summary: Event) -> None:
    """The message for the agents (with the list summary) and, unless it is a note, for the visitor.

    Every sequence number reaches the visitor's channel: a note's as a bare ``seq`` event, so the widget can
    tell a number it was never meant to see from one it missed (and then fetches).
    """
    event: Event = {"type": "message", "conversation_id": message.conversation_id}
    if message.kind == MessageKind.message.value:
        visitor_copy = MessageRead.model_validate(message).model_dump(mode="json")
        outbox.add(conversation_channel(message.conversation_id), {**event, "message": visitor_copy})
    else:
        outbox.add(
            conversation_channel(message.conversation_id),
            {"type": "seq", "conversation_id": message.conversation_id, "seq": message.seq},
        )
    agent_copy = AgentMessageRead.model_validate(message).model_dump(mode="json")
    outbox.add(inbox_channel(workspace_id), {**event, "message": agent_copy, "conversation": summary})
