"""Pages of articles and their language versions, for the console's list and the API."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.helpcenter.models import LANGUAGES, HelpArticle, HelpTranslation
from frontdesk.helpcenter.service import Status


async def list_translations(
    *,
    session: AsyncSession,
    workspace_id: int,
    locale: str | None = None,
    collection_id: int | None = None,
    status: Status | None = None,
    title_contains: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HelpTranslation], int]:
    """A page of article versions, newest change first, and how many there are in all; ``title_contains`` keeps
    those whose working title has every word of it (case-insensitive)."""
    query = select(HelpTranslation).where(HelpTranslation.workspace_id == workspace_id)
    if locale is not None:
        query = query.where(HelpTranslation.locale == locale)
    if collection_id is not None:
        query = query.where(
            HelpTranslation.article_id.in_(select(HelpArticle.id).where(HelpArticle.collection_id == collection_id))
        )
    if status is not None:
        published = HelpTranslation.published_at.is_not(None)
        query = query.where(
            HelpTranslation.published_at.is_(None)
            if status == "draft"
            else published & HelpTranslation.has_unpublished_changes.is_(status == "changed")
        )
    for word in title_contains.lower().split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(HelpTranslation.title).like(f"%{escaped}%", escape="\\"))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(HelpTranslation.updated_at.desc(), HelpTranslation.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


MAX_ARTICLES_PAGE = 200


async def list_articles_with_versions(
    *,
    session: AsyncSession,
    workspace_id: int,
    limit: int = 50,
    cursor: str | None = None,
    locale: str | None = None,
    status: Status | None = None,
    collection_id: int | None = None,
) -> tuple[list[tuple[HelpArticle, list[HelpTranslation]]], str | None]:
    """A page of articles, newest first, each with all its language versions, and the next page's cursor.

    ``locale`` and ``status`` keep articles having a version in that language / with that status (both: one
    version with both)."""
    query = select(HelpArticle).where(HelpArticle.workspace_id == workspace_id)
    if collection_id is not None:
        query = query.where(HelpArticle.collection_id == collection_id)
    if locale is not None or status is not None:
        versions = select(HelpTranslation.article_id).where(HelpTranslation.workspace_id == workspace_id)
        if locale is not None:
            versions = versions.where(HelpTranslation.locale == locale)
        if status == "draft":
            versions = versions.where(HelpTranslation.published_at.is_(None))
        elif status is not None:
            versions = versions.where(
                HelpTranslation.published_at.is_not(None),
                HelpTranslation.has_unpublished_changes.is_(status == "changed"),
            )
        query = query.where(HelpArticle.id.in_(versions))
    if cursor:
        query = query.where(HelpArticle.id < decode_cursor(cursor))
    articles = list(await session.scalars(query.order_by(HelpArticle.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(articles[limit - 1].id) if len(articles) > limit else None
    articles = articles[:limit]
    by_article: dict[int, list[HelpTranslation]] = {article.id: [] for article in articles}
    if articles:
        rows = await session.scalars(select(HelpTranslation).where(HelpTranslation.article_id.in_(list(by_article))))
        for translation in rows:
            by_article[translation.article_id].append(translation)
    order = list(LANGUAGES)
    return [
        (article, sorted(by_article[article.id], key=lambda t: order.index(t.locale) if t.locale in order else 99))
        for article in articles
    ], next_cursor
