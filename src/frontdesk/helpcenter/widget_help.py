"""The help center inside the chat widget, before a chat: suggestions as the visitor types, an article opened in
the widget, "Did this answer your question?", and going on to a chat with the question carried over.

Everything here happens in the visitor's help session (activity.current_session, source "widget"), which the
self-service rate is computed from: a search marks it as searched, an opened article sets first_opened_at,
going on to a chat sets continued_to_chat_at.

Typing must not inflate the reports' search counts. The widget waits for a pause (300 ms) and sends only
queries of at least MIN_QUERY characters, and the server keeps one search per question typed: a query that
extends the session's last logged one ("ret" -> "retu" -> "return") within TYPING_WINDOW replaces it, and a
query the last one extends (letters deleted, "return" -> "retu") is not logged at all. Any other query, or one
after a longer pause, is a search of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.helpcenter import activity, addresses, service, slugs
from frontdesk.helpcenter.models import LANGUAGES, HelpCenter, HelpSearch, HelpSession, HelpTranslation
from frontdesk.helpcenter.search import MAX_QUERY, SearchResults, search_articles
from frontdesk.workspaces.models import Workspace

SOURCE = "widget"
MIN_QUERY = 3
MAX_SUGGESTIONS = 5
TYPING_WINDOW = timedelta(seconds=10)


@dataclass(frozen=True)
class WidgetHelp:
    """Whether the widget suggests articles, and in which language."""

    available: bool  # the help center is public and its widget suggestions are on
    enabled: bool  # ... and the language has a published article: worth asking while the visitor types
    locale: str


async def widget_help(*, session: AsyncSession, workspace_id: int, widget_language: str) -> WidgetHelp:
    """The ``help`` entry of the widget's config: the widget's language if articles can be written in it, else
    the help center's default language. One statement: it runs on every page load of every visitor."""
    own = HelpCenter.workspace_id == workspace_id

    def setting(name: str) -> Any:
        # A workspace that never saved its settings has no row: the model's defaults (as centers.get_help_center).
        column = HelpCenter.__table__.c[name]
        return func.coalesce(select(column).where(own).scalar_subquery(), column.default.arg)

    default_locale = setting("default_locale")
    locale = literal(widget_language) if widget_language in LANGUAGES else default_locale
    published = exists().where(
        HelpTranslation.workspace_id == workspace_id,
        HelpTranslation.locale == locale,
        HelpTranslation.published_at.is_not(None),
    )
    row = (
        await session.execute(
            select(
                setting("is_public"),
                setting("widget_suggestions"),
                default_locale,
                published,
            )
        )
    ).one()
    is_public, suggestions, center_locale, has_articles = row
    available = bool(is_public) and bool(suggestions)
    chosen = widget_language if widget_language in LANGUAGES else str(center_locale)
    return WidgetHelp(available=available, enabled=available and bool(has_articles), locale=chosen)


def _not_found(translation_id: int) -> NotFound:
    return NotFound(f"article {translation_id} not found", field="article_id")


async def _published(
    session: AsyncSession, setup: WidgetHelp, workspace_id: int, translation_id: int
) -> HelpTranslation:
    """A published article of the workspace; drafts, withdrawn and other workspaces' articles are not found alike."""
    if not setup.available:
        raise _not_found(translation_id)
    try:
        translation = await service.get_translation(
            session=session, workspace_id=workspace_id, translation_id=translation_id
        )
    except NotFound:
        raise _not_found(translation_id) from None
    if translation.published_at is None:
        raise _not_found(translation_id)
    return translation


async def _visit(session: AsyncSession, workspace_id: int, visitor_id: int, locale: str) -> HelpSession:
    return await activity.current_session(
        session=session, workspace_id=workspace_id, visitor_id=visitor_id, source=SOURCE, locale=locale
    )


async def _log_typed_search(
    session: AsyncSession, help_session: HelpSession, locale: str, results: SearchResults, now: datetime
) -> None:
    """Logs the query unless it is the same question still being typed (see the module's docstring)."""
    typed = activity.normalize_query(results.query)
    last = await session.scalar(
        select(HelpSearch).where(HelpSearch.session_id == help_session.id).order_by(HelpSearch.id.desc()).limit(1)
    )
    if last is not None and last.source == SOURCE and last.created_at >= now - TYPING_WINDOW:
        help_session.last_seen_at = now
        if last.normalized_query.startswith(typed):  # letters deleted: the longer question stays
            last.created_at = now
            return
        if typed.startswith(last.normalized_query):  # the same question, further typed: it replaces the last
            last.query = activity.stored_query(results.query)
            last.normalized_query = typed
            last.result_count = results.total
            last.first_result_id = results.hits[0].translation_id if results.hits else None
            last.created_at = now
            return
    await activity.log_search(
        session=session,
        workspace_id=help_session.workspace_id,
        source=SOURCE,
        locale=locale,
        results=results,
        help_session=help_session,
        now=now,
    )


async def suggest(
    *,
    session: AsyncSession,
    workspace_id: int,
    visitor_id: int,
    widget_language: str,
    query: str,
    locale: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Up to MAX_SUGGESTIONS published articles for the question typed so far, the search logged once per question."""
    now = now or utcnow()
    if locale is not None:
        slugs.check_locale(locale)
    setup = await widget_help(session=session, workspace_id=workspace_id, widget_language=widget_language)
    answer: dict[str, Any] = {"enabled": setup.available, "results": [], "corrected_query": None}
    query = " ".join(query.split())
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"at most {MAX_QUERY} characters", field="q")
    if not setup.available or len(query) < MIN_QUERY:
        return answer
    locale = locale or setup.locale
    # The visitor is still typing: an unfinished last word matches the words it begins ("refu" finds refunds).
    results = await search_articles(
        session=session, workspace_id=workspace_id, locale=locale, query=query, limit=MAX_SUGGESTIONS, as_you_type=True
    )
    help_session = await _visit(session, workspace_id, visitor_id, locale)
    await _log_typed_search(session, help_session, locale, results, now)
    answer["results"] = [
        {"id": hit.translation_id, "title": hit.title, "description": hit.description, "snippet_html": hit.snippet_html}
        for hit in results.hits[:MAX_SUGGESTIONS]
    ]
    answer["corrected_query"] = results.corrected_query
    return answer


async def open_article(
    *,
    session: AsyncSession,
    workspace_id: int,
    visitor_id: int,
    widget_language: str,
    translation_id: int,
    base_url: str,
) -> dict[str, Any]:
    """The published copy of an article, for reading inside the widget; the opening is logged as a view. ``url``
    is its public address (the custom domain's when set), for "open in a new tab"."""
    setup = await widget_help(session=session, workspace_id=workspace_id, widget_language=widget_language)
    translation = await _published(session, setup, workspace_id, translation_id)
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None  # the widget token was found, so its workspace exists
    center = await session.get(HelpCenter, workspace_id)
    site = addresses.public_site(base_url, workspace.slug, center.custom_domain if center else None)
    help_session = await _visit(session, workspace_id, visitor_id, translation.locale)
    await activity.log_view(session=session, translation=translation, source=SOURCE, help_session=help_session)
    assert translation.published_at is not None
    return {
        "id": translation.id,
        "title": translation.published_title or "",
        "html": translation.published_html or "",  # sanitised by nh3 when it was published
        "published_at": translation.published_at.isoformat(),
        "url": site.article_url(translation.locale, translation.slug),
    }


async def vote(
    *,
    session: AsyncSession,
    workspace_id: int,
    visitor_id: int,
    widget_language: str,
    translation_id: int,
    helpful: bool,
) -> dict[str, Any]:
    """ "Did this answer your question?": one answer per session and article, a second one replaces it."""
    setup = await widget_help(session=session, workspace_id=workspace_id, widget_language=widget_language)
    translation = await _published(session, setup, workspace_id, translation_id)
    help_session = await _visit(session, workspace_id, visitor_id, translation.locale)
    recorded = await activity.record_vote(
        session=session, translation=translation, help_session=help_session, helpful=helpful
    )
    return {"article_id": translation.id, "helpful": recorded.helpful}


async def continue_to_chat(
    *, session: AsyncSession, workspace_id: int, visitor_id: int, widget_language: str, now: datetime | None = None
) -> dict[str, Any]:
    """The visitor still wants a person: the session went on to a chat (the first time counts)."""
    now = now or utcnow()
    setup = await widget_help(session=session, workspace_id=workspace_id, widget_language=widget_language)
    help_session = await _visit(session, workspace_id, visitor_id, setup.locale)
    help_session.last_seen_at = now
    if help_session.continued_to_chat_at is None:
        help_session.continued_to_chat_at = now
    await session.flush()
    return {"continued_to_chat_at": help_session.continued_to_chat_at.isoformat()}
