"""What visitors do in the help center: sessions, searches, article views and votes (for helpcenter.reports).

A session is one visitor's visit: it starts with their first search or opened article and ends after
``SESSION_GAP`` without activity. The widget's sessions belong to its visitor; the public help center sets no
cookie, so each of its searches and votes is a session of its own without a visitor.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.helpcenter.models import HelpArticleView, HelpSearch, HelpSession, HelpTranslation, HelpVote
from frontdesk.helpcenter.scrubbing import scrub
from frontdesk.helpcenter.search import MAX_QUERY, SearchResults

SESSION_GAP = timedelta(minutes=30)
Source = str  # "widget", "help_center" or "inbox"


def stored_query(query: str) -> str:
    """The query as it is logged: addresses, links and long numbers replaced, spaces collapsed, cut to size. What
    visitors type may carry their address or an order or phone number ("where is order 100234, ana@x.de"): only
    the question is kept, so the reports hold no personal data beyond the session."""
    return " ".join(scrub(query).split())[:MAX_QUERY]


def normalize_query(query: str) -> str:
    """The reports' grouping key: the stored query, lower-cased ("Return  policy" and "return policy" are one)."""
    return stored_query(query).lower()


async def current_session(
    *,
    session: AsyncSession,
    workspace_id: int,
    visitor_id: int | None,
    source: Source,
    locale: str,
    now: datetime | None = None,
) -> HelpSession:
    """The visitor's session if they were active within SESSION_GAP, else a new one (always new without a visitor)."""
    now = now or utcnow()
    if visitor_id is not None:
        recent = await session.scalar(
            select(HelpSession)
            .where(
                HelpSession.workspace_id == workspace_id,
                HelpSession.visitor_id == visitor_id,
                HelpSession.last_seen_at >= now - SESSION_GAP,
            )
            .order_by(HelpSession.last_seen_at.desc())
            .limit(1)
        )
        if recent is not None:
            recent.last_seen_at = now
            return recent
    fresh = HelpSession(
        workspace_id=workspace_id,
        visitor_id=visitor_id,
        source=source,
        locale=locale,
        started_at=now,
        last_seen_at=now,
    )
    session.add(fresh)
    await session.flush()
    return fresh


async def log_search(
    *,
    session: AsyncSession,
    workspace_id: int,
    source: Source,
    locale: str,
    results: SearchResults,
    help_session: HelpSession | None,
    now: datetime | None = None,
) -> HelpSearch:
    """Records a query and what it found. Only the query text and the session are kept."""
    now = now or utcnow()
    if help_session is not None:
        help_session.searched = True
        help_session.last_seen_at = now
    row = HelpSearch(
        workspace_id=workspace_id,
        session_id=None if help_session is None else help_session.id,
        source=source,
        locale=locale,
        query=stored_query(results.query),
        normalized_query=normalize_query(results.query),
        result_count=results.total,
        first_result_id=results.hits[0].translation_id if results.hits else None,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def log_view(
    *,
    session: AsyncSession,
    translation: HelpTranslation,
    source: Source,
    help_session: HelpSession | None,
    now: datetime | None = None,
) -> HelpArticleView:
    now = now or utcnow()
    if help_session is not None:
        help_session.last_seen_at = now
        if help_session.first_opened_at is None:
            help_session.first_opened_at = now
    row = HelpArticleView(
        workspace_id=translation.workspace_id,
        translation_id=translation.id,
        session_id=None if help_session is None else help_session.id,
        source=source,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def record_vote(
    *,
    session: AsyncSession,
    translation: HelpTranslation,
    help_session: HelpSession,
    helpful: bool,
    now: datetime | None = None,
) -> HelpVote:
    """One answer per session and article: answering again replaces the first answer."""
    now = now or utcnow()
    help_session.last_seen_at = now
    vote = await session.scalar(
        select(HelpVote).where(HelpVote.session_id == help_session.id, HelpVote.translation_id == translation.id)
    )
    if vote is None:
        vote = HelpVote(
            workspace_id=translation.workspace_id,
            translation_id=translation.id,
            session_id=help_session.id,
            helpful=helpful,
            created_at=now,
            updated_at=now,
        )
        session.add(vote)
    else:
        vote.helpful = helpful
        vote.updated_at = now
    await session.flush()
    return vote
