"""What the public help center lists on its pages (public_views) and its API (public_api): published copies only.

Every query here filters on ``published_at IS NOT NULL`` and reads the ``published_*`` columns, never the
working copy: a draft, a withdrawn version and the unpublished changes of a published one stay out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Row, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.errors import NotFound
from frontdesk.helpcenter import help_collections, old_addresses
from frontdesk.helpcenter.models import HelpArticle, HelpCollection, HelpTranslation
from frontdesk.inputs import parse_id

MAX_PAGE = 100


@dataclass(frozen=True)
class PublishedVersion:
    """A published language version, as the public sees it."""

    article_id: int
    locale: str
    slug: str
    title: str
    description: str
    published_at: datetime
    collection_id: int | None
    position: int


def _published(workspace_id: int, locale: str) -> ColumnElement[bool]:
    return and_(
        HelpTranslation.workspace_id == workspace_id,
        HelpTranslation.locale == locale,
        HelpTranslation.published_at.is_not(None),
    )


if TYPE_CHECKING:  # article_id, slug, published_title, published_description, published_at, collection_id, position
    _VersionColumns = Select[int, str, str | None, str | None, datetime | None, int | None, int]
    _VersionRow = Row[int, str, str | None, str | None, datetime | None, int | None, int]


def _published_versions(workspace_id: int, locale: str, collection_id: int | None) -> _VersionColumns:
    """The published copy's columns (never the working copy's) of one language's published versions."""
    query = (
        select(
            HelpTranslation.article_id,
            HelpTranslation.slug,
            HelpTranslation.published_title,
            HelpTranslation.published_description,
            HelpTranslation.published_at,
            HelpArticle.collection_id,
            HelpArticle.position,
        )
        .join(HelpArticle, HelpArticle.id == HelpTranslation.article_id)
        .where(_published(workspace_id, locale))
    )
    return query if collection_id is None else query.where(HelpArticle.collection_id == collection_id)


def _version(row: _VersionRow, locale: str) -> PublishedVersion:
    article_id, slug, title, description, published_at, collection_id, position = row
    assert published_at is not None  # filtered by _published
    return PublishedVersion(
        article_id, locale, slug, title or "", description or "", published_at, collection_id, position
    )


async def published_in_order(
    *, session: AsyncSession, workspace_id: int, locale: str, collection_id: int | None = None
) -> list[PublishedVersion]:
    """Every published version in one language (of one collection), as the public pages list them: by the
    article's position, then title."""
    query = _published_versions(workspace_id, locale, collection_id).order_by(
        HelpArticle.position, HelpTranslation.published_title, HelpTranslation.id
    )
    return [_version(row, locale) for row in await session.execute(query)]


async def published_page(
    *,
    session: AsyncSession,
    workspace_id: int,
    locale: str,
    collection_id: int | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[list[PublishedVersion], str | None]:
    """A page of the published versions in one language, newest article first, and the next page's cursor
    (an article has one version per language, so the article id orders and pages them)."""
    query = _published_versions(workspace_id, locale, collection_id)
    if cursor:
        query = query.where(HelpTranslation.article_id < decode_cursor(cursor))
    rows = (await session.execute(query.order_by(HelpTranslation.article_id.desc()).limit(limit + 1))).all()
    next_cursor = encode_cursor(rows[limit - 1].article_id) if len(rows) > limit else None
    return [_version(row, locale) for row in rows[:limit]], next_cursor


async def published_collections(
    *, session: AsyncSession, workspace_id: int, locale: str
) -> list[tuple[HelpCollection, int]]:
    """The collections with published versions in the language, in their order, each with how many."""
    counts: dict[int | None, int] = {
        collection_id: count
        for collection_id, count in await session.execute(
            select(HelpArticle.collection_id, func.count())
            .select_from(HelpTranslation)
            .join(HelpArticle, HelpArticle.id == HelpTranslation.article_id)
            .where(_published(workspace_id, locale))
            .group_by(HelpArticle.collection_id)
        )
    }
    collections = await help_collections.list_collections(session=session, workspace_id=workspace_id)
    return [(collection, counts[collection.id]) for collection in collections if counts.get(collection.id)]


async def collections_by_id(*, session: AsyncSession, workspace_id: int, ids: set[int]) -> dict[int, HelpCollection]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(HelpCollection).where(HelpCollection.workspace_id == workspace_id, HelpCollection.id.in_(ids))
    )
    return {collection.id: collection for collection in rows}


async def public_collection(*, session: AsyncSession, workspace_id: int, locale: str, ref: str) -> HelpCollection:
    """The collection named by its slug (current or former) or, failing that, its id, when it has published
    versions in the language; NotFound naming ``collection`` otherwise, so a collection of drafts only is no more
    visible than one that does not exist."""
    found = await session.scalar(
        select(HelpCollection).where(HelpCollection.workspace_id == workspace_id, HelpCollection.slug == ref)
    )
    if found is None:
        found = await old_addresses.collection(session=session, workspace_id=workspace_id, slug=ref)
    collection_id = parse_id(ref) if found is None else None
    if collection_id is not None:
        by_id = await session.get(HelpCollection, collection_id)
        found = by_id if by_id is not None and by_id.workspace_id == workspace_id else None
    if found is not None:
        has_published = await session.scalar(
            select(HelpTranslation.id)
            .join(HelpArticle, HelpArticle.id == HelpTranslation.article_id)
            .where(_published(workspace_id, locale), HelpArticle.collection_id == found.id)
            .limit(1)
        )
        if has_published is not None:
            return found
    raise NotFound(f"this help center has no collection {ref!r} in {locale!r}", field="collection")


async def published_version(
    *, session: AsyncSession, workspace_id: int, article_id: int, locale: str
) -> HelpTranslation:
    """The article's published version in the language; NotFound naming ``article_id`` for a draft, a withdrawn
    version, a language it is not published in, or another workspace's article (all alike)."""
    found = await session.scalar(
        select(HelpTranslation).where(_published(workspace_id, locale), HelpTranslation.article_id == article_id)
    )
    if found is None:
        raise NotFound(f"article {article_id} is not published in {locale!r}", field="article_id")
    return found
