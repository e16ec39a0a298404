"""Posting messages and changing conversations (status, assignee, team). Functions write in the caller's
transaction and collect the real-time events the change causes in an ``Outbox``; the caller publishes them
only after its commit succeeded. Reading conversations is in ``queries``, the events themselves in ``outbox``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from frontdesk.conversations.models import AuthorType, Conversation, ConversationStatus, Message, MessageKind
from frontdesk.conversations.outbox import (
    Outbox,
    add_message_events,
    conversation_channel,
    conversation_summary,
    inbox_channel,
)
from frontdesk.conversations.queries import conversation_event, to_read
from frontdesk.conversations.routing import get_team
from frontdesk.conversations.schemas import MessageRead
from frontdesk.db import Base, utcnow
from frontdesk.errors import InvalidInput
from frontdesk.feedback.sentiment import sentiment
from frontdesk.webhooks import events
from frontdesk.workspaces.models import Agent

MESSAGES: Table = Base.metadata.tables["messages"]


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
