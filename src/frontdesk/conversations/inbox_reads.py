"""How far each agent has read each conversation, and what is unread for them.

Unread, for an agent, are the visitor's messages (not notes, not system lines) numbered above the agent's
``read_seq`` of that conversation. The inbox counts them per conversation and, per view (all, mine,
unassigned), the conversations that have any, over the conversations still in play (not resolved).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import (
    AuthorType,
    Conversation,
    ConversationReadMark,
    ConversationStatus,
    Message,
    MessageKind,
)

VIEWS = ("all", "mine", "unassigned")


@dataclass
class UnreadCounts:
    conversations: dict[int, int] = field(default_factory=dict)  # unread visitor lines by conversation id
    views: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VIEWS, 0))  # conversations with any

    def as_json(self) -> dict[str, dict[str, int]]:
        return {"conversations": {str(k): v for k, v in self.conversations.items()}, "views": self.views}


async def mark_read(*, session: AsyncSession, conversation: Conversation, agent_id: int, seq: int) -> int:
    """Marks the conversation read up to ``seq`` (at most its last number) for the agent; never moves back.

    One statement whichever of two consoles gets there first: an upsert keeping the larger number.
    """
    seq = max(0, min(seq, conversation.last_seq))
    values = {
        "agent_id": agent_id,
        "conversation_id": conversation.id,
        "workspace_id": conversation.workspace_id,
        "read_seq": seq,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ConversationReadMark).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["agent_id", "conversation_id"],
        set_={"read_seq": statement.excluded.read_seq},
        where=ConversationReadMark.read_seq < statement.excluded.read_seq,
    )
    await session.execute(statement)
    return seq


async def read_seq_of(*, session: AsyncSession, conversation_id: int, agent_id: int) -> int:
    found = await session.scalar(
        select(ConversationReadMark.read_seq).where(
            ConversationReadMark.conversation_id == conversation_id, ConversationReadMark.agent_id == agent_id
        )
    )
    return found or 0


async def unread_counts(*, session: AsyncSession, workspace_id: int, agent_id: int) -> UnreadCounts:
    """Unread visitor lines per conversation, and unread conversations per view, in one query."""
    statement = (
        select(Message.conversation_id, Conversation.assignee_id, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(
            ConversationReadMark,
            and_(
                ConversationReadMark.conversation_id == Conversation.id,
                ConversationReadMark.agent_id == agent_id,
            ),
        )
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.status != ConversationStatus.resolved.value,
            Message.author_type == AuthorType.visitor.value,
            Message.kind == MessageKind.message.value,
            Message.seq > func.coalesce(ConversationReadMark.read_seq, 0),
        )
        .group_by(Message.conversation_id, Conversation.assignee_id)
    )
    counts = UnreadCounts()
    for conversation_id, assignee_id, unread in (await session.execute(statement)).all():
        counts.conversations[conversation_id] = unread
        counts.views["all"] += 1
        if assignee_id == agent_id:
            counts.views["mine"] += 1
        elif assignee_id is None:
            counts.views["unassigned"] += 1
    return counts
