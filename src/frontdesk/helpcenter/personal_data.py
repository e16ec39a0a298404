"""Help center activity in a contact's export, erasure and merge.

A person's help center activity is the sessions of their visitors (their browsers): the questions they typed
into the widget's search, the articles they opened and their votes. Erasure deletes those sessions whole (their
searches, views and votes go with them); the reports' counts lose them, as they lose the person's chats.
Merging needs nothing: sessions belong to visitors, and visitors move with their contact.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount
from frontdesk.conversations.models import Conversation, Visitor
from frontdesk.helpcenter.models import HelpArticleView, HelpSearch, HelpSession, HelpVote


def _session_ids(contact_id: int) -> Any:
    visitors = (
        select(Visitor.id)
        .where(Visitor.contact_id == contact_id)
        .union(
            select(Conversation.visitor_id).where(
                Conversation.contact_id == contact_id, Conversation.visitor_id.is_not(None)
            )
        )
    )
    return select(HelpSession.id).where(HelpSession.visitor_id.in_(visitors))


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    """Every help center session of the person's visitors, with its searches, opened articles and votes."""
    sessions = list(
        await session.scalars(
            select(HelpSession).where(HelpSession.id.in_(_session_ids(contact.id))).order_by(HelpSession.id)
        )
    )
    ids = [s.id for s in sessions]
    searches = await session.scalars(select(HelpSearch).where(HelpSearch.session_id.in_(ids)).order_by(HelpSearch.id))
    views = await session.scalars(
        select(HelpArticleView).where(HelpArticleView.session_id.in_(ids)).order_by(HelpArticleView.id)
    )
    votes = await session.scalars(select(HelpVote).where(HelpVote.session_id.in_(ids)).order_by(HelpVote.id))
    by_session: dict[int, dict[str, Any]] = {
        s.id: {
            "source": s.source,
            "locale": s.locale,
            "started_at": s.started_at.isoformat(),
            "last_seen_at": s.last_seen_at.isoformat(),
            "continued_to_chat_at": s.continued_to_chat_at.isoformat() if s.continued_to_chat_at else None,
            "searches": [],
            "articles_opened": [],
            "votes": [],
        }
        for s in sessions
    }
    for search in searches:
        by_session[search.session_id or 0]["searches"].append(
            {"query": search.query, "results": search.result_count, "at": search.created_at.isoformat()}
        )
    for view in views:
        by_session[view.session_id or 0]["articles_opened"].append(
            {"article_version_id": view.translation_id, "at": view.created_at.isoformat()}
        )
    for vote in votes:
        by_session[vote.session_id]["votes"].append(
            {"article_version_id": vote.translation_id, "helpful": vote.helpful, "at": vote.updated_at.isoformat()}
        )
    return {"help_center_sessions": list(by_session.values())}


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    result = await session.execute(delete(HelpSession).where(HelpSession.id.in_(_session_ids(contact.id))))
    return {"help_sessions": rowcount(result)}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    return {}


OWNER = register(
    PersonalDataOwner(
        domain="helpcenter",
        tables=frozenset({"help_sessions", "help_searches", "help_article_views", "help_votes"}),
        export=export,
        erase=erase,
        merge=merge,
    )
)
