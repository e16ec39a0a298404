"""Conversations and messages. Functions write in the caller's transaction and collect the real-time events
the change causes in an ``Outbox``; the caller publishes them only after its commit succeeded."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from frontdesk.contacts.models import Contact
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.conversations.identity import ANONYMOUS_NAME_PREFIX, claim_read
from frontdesk.conversations.inbox_search import conversations_matching
from frontdesk.conversations.models import (
    AuthorType,
    Conversation,
    ConversationStatus,
    Message,
    MessageKind,
    Team,
    Visitor,
)
from frontdesk.conversations.routing import get_team
from frontdesk.conversations.schemas import AgentMessageRead, ConversationRead, MessageRead
from frontdesk.db import Base, utcnow
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.feedback.sentiment import sentiment
from frontdesk.realtime.broker import Broker, Event
from frontdesk.webhooks import events
from frontdesk.workspaces.models import Agent

MESSAGES: Table = Base.metadata.tables["messages"]
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


@dataclass
class InboxFilters:
    status: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    team: str | None = None
    contact_id: int | None = None
    # Words to find in the messages, the contact's name or e-mail, or what the visitor typed as name or e-mail.
    q: str | None = None
    # "newest": by id, newest first (cursors page on it); "waiting": the inbox's order, longest waiting first,
    # then the most recently active.
    order: str = "newest"


async def get_conversation(*, session: AsyncSession, workspace_id: int, conversation_id: int) -> Conversation:
    conversation = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
    )
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return conversation


async def list_conversations(
    *, session: AsyncSession, workspace_id: int, filters: InboxFilters, limit: int = 50, cursor: str | None = None
) -> tuple[list[Conversation], str | None]:
    """Most recently active first is what an inbox wants, but cursors need a stable key: newest first by id."""
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200", field="limit")
    statement = select(Conversation).where(Conversation.workspace_id == workspace_id)
    if filters.status:
        statement = statement.where(Conversation.status == filters.status)
    if filters.unassigned:
        statement = statement.where(Conversation.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        statement = statement.where(Conversation.assignee_id == filters.assignee_id)
    if filters.team:
        statement = statement.join(Team, Team.id == Conversation.team_id).where(Team.key == filters.team)
    if filters.contact_id is not None:
        statement = statement.where(Conversation.contact_id == filters.contact_id)
    q = (filters.q or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if q:
        statement = statement.where(conversations_matching(workspace_id, q))
    if filters.order == "waiting":
        # No cursor in this order: the inbox shows one screenful, and waiting times change under a cursor.
        statement = statement.order_by(
            Conversation.waiting_since.is_(None),
            Conversation.waiting_since.asc(),
            Conversation.last_activity_at.desc(),
            Conversation.id.desc(),
        )
        return list((await session.scalars(statement.limit(limit))).all()), None
    if cursor:
        statement = statement.where(Conversation.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Conversation.id.desc()).limit(limit + 1))).all())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def to_read(*, session: AsyncSession, conversation: Conversation) -> ConversationRead:
    # One round trip for the four names around the conversation, and whether the visitor claims an address:
    # this runs for every event an inbox shows.
    names = (
        await session.execute(
            select(
                select(Contact.name).where(Contact.id == conversation.contact_id).scalar_subquery(),
                select(Agent.display_name).where(Agent.id == conversation.assignee_id).scalar_subquery(),
                select(Team.key).where(Team.id == conversation.team_id).scalar_subquery(),
                select(Message.body)
                .where(Message.conversation_id == conversation.id, Message.kind == MessageKind.message.value)
                .order_by(Message.seq.desc())
                .limit(1)
                .scalar_subquery(),
                # Whether the visitor typed an address: most have not, and then no claim needs reading.
                select(Visitor.claimed_email).where(Visitor.id == conversation.visitor_id).scalar_subquery(),
                select(Visitor.claimed_name).where(Visitor.id == conversation.visitor_id).scalar_subquery(),
            )
        )
    ).one()
    contact_name, assignee_name, team, last_message, claimed_email, claimed_name = names
    anonymous = contact_name is None or contact_name == f"{ANONYMOUS_NAME_PREFIX}{conversation.visitor_id}"
    display_name = (claimed_name if anonymous and claimed_name else contact_name) or "Visitor"
    return ConversationRead(
        id=conversation.id,
        status=ConversationStatus(conversation.status),
        contact_id=conversation.contact_id,
        contact_name=contact_name,
        team=team,
        assignee_id=conversation.assignee_id,
        assignee_name=assignee_name,
        unanswered=conversation.first_response_at is None,
        started_offline=conversation.started_offline,
        last_seq=conversation.last_seq,
        last_message=last_message[:200] if last_message else None,
        created_at=conversation.created_at,
        last_activity_at=conversation.last_activity_at,
        first_response_seconds=conversation.first_response_seconds,
        resolution_seconds=conversation.resolution_seconds,
        csat_rating=conversation.csat_rating,
        csat_comment=conversation.csat_comment,
        identity_claim=await claim_read(session=session, conversation=conversation) if claimed_email else None,
        waiting_since=conversation.waiting_since,
        visitor_name=claimed_name,
        display_name=display_name,
    )


async def list_messages(
    *, session: AsyncSession, conversation: Conversation, after_seq: int = 0, include_notes: bool, limit: int = 500
) -> list[Message]:
    """Messages after ``after_seq`` in order: what a reconnecting client asks for."""
    statement = select(Message).where(Message.conversation_id == conversation.id, Message.seq > after_seq)
    if not include_notes:
        statement = statement.where(Message.kind == MessageKind.message.value)
    return list((await session.scalars(statement.order_by(Message.seq).limit(limit))).all())


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


async def conversation_event(*, session: AsyncSession, conversation: Conversation) -> Event:
    read = await to_read(session=session, conversation=conversation)
    return {"type": "conversation", "conversation": read.model_dump(mode="json")}


async def do_post_message(
    *,
    session: AsyncSession,
    conversation: Conversation,
    author_type: AuthorType,
    client_id: str,
    body: str,
    outbox: Outbox,
    kind: MessageKind = MessageKind.message,
    agent: Agent | None = None,
    author_name: str | None = None,
) -> tuple[Message, bool]:
    """Store a message with the next sequence number; a retry with the same client id returns the first.

    Returns the message and whether it was created now. A concurrent retry that loses the race raises
    ``IntegrityError``; callers roll back and call again, and then find the winner's message. A retry announces
    the stored message again: the first attempt may have been stored and never announced (its process died
    between commit and publish), and clients drop what they already have by sequence number.
    """
    existing = await session.scalar(
        select(Message).where(Message.conversation_id == conversation.id, Message.client_id == client_id)
    )
    if existing is not None:
        add_message_events(
            outbox, existing, workspace_id=conversation.workspace_id, summary=conversation_summary(conversation)
        )
        return existing, False
    if kind is MessageKind.note and author_type is not AuthorType.agent:
        raise InvalidInput("only agents write private notes", field="kind")
    now = utcnow()
    seq = await _next_seq(session, conversation, touch=now)
    values = {
        "workspace_id": conversation.workspace_id,
        "conversation_id": conversation.id,
        "seq": seq,
        "client_id": client_id,
        "author_type": author_type.value,
        "author_agent_id": agent.id if agent else None,
        "author_name": agent.display_name if agent else author_name,
        "kind": kind.value,
        "body": body,
        "sentiment": sentiment(body) if author_type is AuthorType.visitor else None,
        "created_at": now,
    }
    # A Core insert: the ORM's unit of work would cost more than the rest of the write on this hot path.
    message_id = (await session.execute(insert(MESSAGES).values(**values).returning(MESSAGES.c.id))).scalar_one()
    message = Message(id=message_id, **values)
    if author_type is AuthorType.agent and kind is MessageKind.message and conversation.first_response_at is None:
        conversation.first_response_at = now
    # The visitor waits from their first line the agents have not answered; an agent's reply (not a note) ends it.
    if author_type is AuthorType.visitor and conversation.waiting_since is None:
        conversation.waiting_since = now
    elif author_type is AuthorType.agent and kind is MessageKind.message:
        conversation.waiting_since = None
    reopened = author_type is AuthorType.visitor and conversation.status == ConversationStatus.resolved.value
    if reopened:
        _set_status(conversation, ConversationStatus.open)
        status_event = {"type": "status", "conversation_id": conversation.id, "status": conversation.status}
        outbox.add(conversation_channel(conversation.id), status_event)
    add_message_events(
        outbox, message, workspace_id=conversation.workspace_id, summary=conversation_summary(conversation)
    )
    if kind is MessageKind.message and author_type in (AuthorType.visitor, AuthorType.agent):
        await events.emit(
            session,
            workspace_id=conversation.workspace_id,
            event_type="message.created",
            data=MessageRead.model_validate(message).model_dump(mode="json"),
            contact_id=conversation.contact_id,
        )
    if reopened:
        outbox.add(
            inbox_channel(conversation.workspace_id),
            await conversation_event(session=session, conversation=conversation),
        )
    return message, True


def _set_status(conversation: Conversation, status: ConversationStatus, now: datetime | None = None) -> None:
    conversation.status = status.value
    if status is ConversationStatus.resolved:
        conversation.resolved_at = now or utcnow()
        # Nobody waits on a resolved conversation; if the visitor writes again, they wait from that line.
        conversation.waiting_since = None
    else:
        conversation.resolved_at = None
        conversation.snoozed_until = None


async def do_change_conversation(
    *,
    session: AsyncSession,
    conversation: Conversation,
    outbox: Outbox,
    changes: dict[str, Any],
    actor_name: str,
) -> Conversation:
    """Status, assignee and team changes, with a system line in the conversation for each."""
    lines: list[str] = []
    before = (conversation.team_id, conversation.assignee_id, conversation.status)
    if "team" in changes and changes["team"] is not None:
        team = await get_team(session=session, workspace_id=conversation.workspace_id, key=changes["team"])
        if team.id != conversation.team_id:
            conversation.team_id = team.id
            lines.append(f"{actor_name} moved the conversation to {team.name}")
    if "assignee_id" in changes:
        assignee_id = changes["assignee_id"]
        if assignee_id is not None:
            agent = await session.scalar(
                select(Agent).where(Agent.id == assignee_id, Agent.workspace_id == conversation.workspace_id)
            )
            if agent is None or not agent.is_active:
                raise InvalidInput(f"agent {assignee_id} not found", field="assignee_id")
            if assignee_id != conversation.assignee_id:
                lines.append(f"{actor_name} assigned the conversation to {agent.display_name}")
        elif conversation.assignee_id is not None:
            lines.append(f"{actor_name} unassigned the conversation")
        conversation.assignee_id = assignee_id
    if changes.get("status") and changes["status"] != conversation.status:
        status = ConversationStatus(changes["status"])
        _set_status(conversation, status)
        lines.append(f"{actor_name} marked the conversation {status.value}")
        outbox.add(
            conversation_channel(conversation.id),
            {"type": "status", "conversation_id": conversation.id, "status": status.value},
        )
    for line in lines:
        await _system_line(session, conversation, line, outbox)
    await session.flush()
    if (conversation.team_id, conversation.assignee_id) != before[:2]:
        await emit_conversation(session=session, conversation=conversation, event_type="conversation.assigned")
    resolved = ConversationStatus.resolved.value
    if conversation.status == resolved and before[2] != resolved:
        await emit_conversation(session=session, conversation=conversation, event_type="conversation.resolved")
    outbox.add(
        inbox_channel(conversation.workspace_id), await conversation_event(session=session, conversation=conversation)
    )
    return conversation


async def emit_conversation(*, session: AsyncSession, conversation: Conversation, event_type: str) -> None:
    """Queue a conversation.* event whose data is the conversation as the API reads it."""
    if await events.subscribed(session, workspace_id=conversation.workspace_id, event_type=event_type):
        await events.emit(
            session,
            workspace_id=conversation.workspace_id,
            event_type=event_type,
            data=(await to_read(session=session, conversation=conversation)).model_dump(mode="json"),
            contact_id=conversation.contact_id,
        )


async def _next_seq(session: AsyncSession, conversation: Conversation, touch: datetime | None = None) -> int:
    """The conversation's next sequence number, from one atomic UPDATE (no two messages can share one)."""
    values: dict[str, Any] = {"last_seq": Conversation.last_seq + 1}
    if touch is not None:
        values["last_activity_at"] = touch
    statement = update(Conversation).where(Conversation.id == conversation.id).values(**values)
    seq: int = (await session.execute(statement.returning(Conversation.last_seq))).scalar_one()
    set_committed_value(conversation, "last_seq", seq)
    if touch is not None:
        set_committed_value(conversation, "last_activity_at", touch)
    return seq


async def _system_line(session: AsyncSession, conversation: Conversation, line: str, outbox: Outbox) -> None:
    """A line like "Ann assigned the conversation to Bob", shown to agents only."""
    seq = await _next_seq(session, conversation)
    message = Message(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        seq=seq,
        client_id=f"system-{seq}",
        author_type=AuthorType.system.value,
        kind=MessageKind.note.value,
        body=line,
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    add_message_events(
        outbox, message, workspace_id=conversation.workspace_id, summary=conversation_summary(conversation)
    )
