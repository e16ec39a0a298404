"""How the inbox search compares text: accents and case ignored for names, LIKE wildcards escaped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from frontdesk.contacts.models import Contact, ContactEmail
from frontdesk.contacts.search import fold_for_search
from frontdesk.conversations.models import Conversation, Message, Visitor


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE ... ESCAPE '\\', with the user's own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conversations_matching(workspace_id: int, q: str) -> Any:
    """Conversations whose messages hold ``q``, or whose contact's (accent-folded) name or e-mail does."""
    words = like_pattern(q.casefold())
    folded = like_pattern(fold_for_search(q))
    in_messages = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id, func.lower(Message.body).like(words, escape="\\"))
        .exists()
    )
    by_email = select(ContactEmail.contact_id).where(
        ContactEmail.workspace_id == workspace_id, ContactEmail.email_normalized.like(words, escape="\\")
    )
    contacts = select(Contact.id).where(
        Contact.workspace_id == workspace_id,
        or_(Contact.search_name.like(folded, escape="\\"), Contact.id.in_(by_email)),
    )
    visitors = select(Visitor.id).where(
        Visitor.workspace_id == workspace_id,
        or_(
            func.lower(Visitor.claimed_email).like(words, escape="\\"),
            func.lower(Visitor.claimed_name).like(words, escape="\\"),
        ),
    )
    return or_(in_messages, Conversation.contact_id.in_(contacts), Conversation.visitor_id.in_(visitors))
