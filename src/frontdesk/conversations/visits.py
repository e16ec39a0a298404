"""A visitor's visits and conversations as the widget sees them: which are theirs, the list of them, the page
they are on, and the referral link they came by."""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation, ConversationStatus, Message, MessageKind, Visitor
from frontdesk.conversations.visit_context import later_page
from frontdesk.errors import NotFound
from frontdesk.referrals.models import ReferralCode
from frontdesk.referrals.service import attribute_visitor_code, normalize_code

MAX_LISTED_CONVERSATIONS = 50
PREVIEW_LENGTH = 120


def owner_ids(visitor: Visitor) -> Any:
    """The visitors whose conversations this one sees: itself, and the same proven user's other browsers."""
    if visitor.external_user_id:
        return select(Visitor.id).where(
            Visitor.workspace_id == visitor.workspace_id,
            or_(Visitor.id == visitor.id, Visitor.external_user_id == visitor.external_user_id),
        )
    return select(Visitor.id).where(Visitor.id == visitor.id)


async def owned_conversation(*, session: AsyncSession, visitor: Visitor, conversation_id: int) -> Conversation:
    """One of the visitor's own conversations; any other id is unknown to them."""
    conversation = await session.scalar(
        select(Conversation).where(
            Conversation.id == conversation_id,
            Conversation.workspace_id == visitor.workspace_id,
            Conversation.visitor_id.in_(owner_ids(visitor)),
        )
    )
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id} of this visitor", field="conversation_id")
    return conversation


async def current_conversation(
    *, session: AsyncSession, visitor: Visitor, conversation_id: int | None = None
) -> Conversation | None:
    """The conversation the widget shows: ``conversation_id`` when it is the visitor's own, else their latest.

    An identified visitor sees those of the same user's other browsers too.
    """
    if conversation_id is not None:
        with contextlib.suppress(NotFound):  # not theirs (or gone): the latest, as if none was asked for
            return await owned_conversation(session=session, visitor=visitor, conversation_id=conversation_id)
    return await session.scalar(
        select(Conversation)
        .where(Conversation.visitor_id.in_(owner_ids(visitor)))
        .order_by(Conversation.id.desc())
        .limit(1)
    )


async def visitor_conversations(*, session: AsyncSession, visitor: Visitor) -> list[dict[str, Any]]:
    """The visitor's conversations, latest first: what the widget's list shows (never context or notes)."""
    conversations = (
        await session.scalars(
            select(Conversation)
            .where(Conversation.visitor_id.in_(owner_ids(visitor)))
            .order_by(Conversation.id.desc())
            .limit(MAX_LISTED_CONVERSATIONS)
        )
    ).all()
    ids = [conversation.id for conversation in conversations]
    last_seqs = (
        select(Message.conversation_id, func.max(Message.seq).label("seq"))
        .where(Message.conversation_id.in_(ids), Message.kind == MessageKind.message.value)
        .group_by(Message.conversation_id)
        .subquery()
    )
    last_lines = {
        row.conversation_id: row
        for row in (
            await session.execute(
                select(Message.conversation_id, Message.body, Message.author_type, Message.created_at).join(
                    last_seqs,
                    (last_seqs.c.conversation_id == Message.conversation_id) & (last_seqs.c.seq == Message.seq),
                )
            )
        ).all()
    }
    listed = []
    for conversation in conversations:
        line = last_lines.get(conversation.id)
        listed.append(
            {
                "id": conversation.id,
                "status": conversation.status,
                "last_message": line.body[:PREVIEW_LENGTH] if line else None,
                "last_author_type": line.author_type if line else None,
                "last_activity_at": (line.created_at if line else conversation.created_at).isoformat(),
                "created_at": conversation.created_at.isoformat(),
            }
        )
    return listed


async def do_note_referral(*, session: AsyncSession, visitor: Visitor, code: Any) -> bool:
    """Keep the code of the ?ref= link the visitor arrived by, when it is a code of the workspace."""
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > 20 or visitor.referral_code:
        return False
    known = await session.scalar(
        select(ReferralCode.code).where(
            ReferralCode.workspace_id == visitor.workspace_id, ReferralCode.code == normalize_code(code)
        )
    )
    if known is None:
        return False
    visitor.referral_code = known
    await attribute_referral(session, visitor)
    return True


async def attribute_referral(session: AsyncSession, visitor: Visitor) -> None:
    if visitor.referral_code and visitor.contact_id is not None:
        await session.flush()
        await attribute_visitor_code(
            session=session,
            workspace_id=visitor.workspace_id,
            contact_id=visitor.contact_id,
            code=visitor.referral_code,
        )


async def do_note_page(*, session: AsyncSession, conversation: Conversation | None, context: dict[str, Any]) -> None:
    """A later page load of the visit: an open conversation's context follows the visitor to the new page."""
    if conversation is None or conversation.status == ConversationStatus.resolved.value or not context:
        return
    updated = later_page(conversation.context or {}, context)
    if updated != conversation.context:
        conversation.context = updated
        await session.flush()
