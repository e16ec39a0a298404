"""Reading conversations and messages: one conversation, the inbox list with its filters, the messages after
a sequence number, and a conversation as agents read it (also as the real-time event that carries it).
Read only; the writes that change conversations are in ``service``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.conversations.identity import ANONYMOUS_NAME_PREFIX, claim_read
from frontdesk.conversations.inbox_search import conversations_matching
from frontdesk.conversations.models import Conversation, ConversationStatus, Message, MessageKind, Team, Visitor
from frontdesk.conversations.schemas import ConversationRead
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.realtime.broker import Event
from frontdesk.workspaces.models import Agent


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


async def conversation_event(*, session: AsyncSession, conversation: Conversation) -> Event:
    read = await to_read(session=session, conversation=conversation)
    return {"type": "conversation", "conversation": read.model_dump(mode="json")}
