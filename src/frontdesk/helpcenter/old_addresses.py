"""Former addresses of the public help center: slugs that articles, collections and workspaces had before.

When an editor changes a slug, the old one is kept, so links pasted into chats, e-mails and search engines
answer 301 with the current address (helpcenter.public) instead of 404. Each row points at the thing itself (a
language version, a collection, a workspace), never at another slug: a page renamed A -> B -> C sends A and B
straight to C, one hop, never a chain.

A live slug always wins. Whoever takes a slug live (a new article, a collection, a workspace, or the same one
renamed back) removes the rows for that slug, so an old address never points two ways; the public pages look
a slug up live first anyway. Only published versions are redirected to: an old address of a draft or a
withdrawn article is a 404, like its current one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.helpcenter.models import (
    HelpCollection,
    HelpOldArticleSlug,
    HelpOldCollectionSlug,
    HelpOldWorkspaceSlug,
    HelpTranslation,
)
from frontdesk.workspaces.models import Workspace

FormerSlugTable = type[HelpOldArticleSlug] | type[HelpOldCollectionSlug] | type[HelpOldWorkspaceSlug]


async def _slug_changed(
    session: AsyncSession,
    table: FormerSlugTable,
    *,
    scope: dict[str, object],
    slug: str,
    old_slug: str | None,
    owner: dict[str, int],
) -> None:
    """``slug`` now answers live in ``scope`` (so it is no one's former address); ``old_slug``, when there was
    one, becomes a former address of ``owner``."""
    taken = await session.get(table, {**scope, "slug": slug})
    if taken is not None:
        await session.delete(taken)
    if old_slug is not None and old_slug != slug:
        former = await session.get(table, {**scope, "slug": old_slug})
        if former is None:
            session.add(table(**scope, slug=old_slug, **owner))
        else:  # left over from a page that had it before: the page that had it last wins
            for column, value in {**owner, "created_at": utcnow()}.items():
                setattr(former, column, value)
    await session.flush()


async def do_article_slug_changed(*, session: AsyncSession, translation: HelpTranslation, old_slug: str | None) -> None:
    """``translation`` answers at its slug; ``old_slug`` (one per workspace and language) redirects to it."""
    await _slug_changed(
        session,
        HelpOldArticleSlug,
        scope={"workspace_id": translation.workspace_id, "locale": translation.locale},
        slug=translation.slug,
        old_slug=old_slug,
        owner={"translation_id": translation.id},
    )


async def do_collection_slug_changed(
    *, session: AsyncSession, collection: HelpCollection, old_slug: str | None
) -> None:
    """As ``do_article_slug_changed``, for a collection (one slug in every language)."""
    await _slug_changed(
        session,
        HelpOldCollectionSlug,
        scope={"workspace_id": collection.workspace_id},
        slug=collection.slug,
        old_slug=old_slug,
        owner={"collection_id": collection.id},
    )


async def do_workspace_slug_changed(*, session: AsyncSession, workspace: Workspace, old_slug: str) -> None:
    """``/help/OLD-SLUG/…`` answers with ``/help/SLUG/…``. Workspace slugs are one namespace: a workspace that
    takes another's former slug takes its old links too (the live slug wins)."""
    await _slug_changed(
        session,
        HelpOldWorkspaceSlug,
        scope={},
        slug=workspace.slug,
        old_slug=old_slug,
        owner={"workspace_id": workspace.id},
    )


async def published_article(
    *, session: AsyncSession, workspace_id: int, locale: str, slug: str
) -> HelpTranslation | None:
    """The published version that once answered at ``slug`` in this workspace and language; ``None`` when there
    is none or it is a draft now (a former address reveals no more than the current one)."""
    return await session.scalar(
        select(HelpTranslation)
        .join(HelpOldArticleSlug, HelpOldArticleSlug.translation_id == HelpTranslation.id)
        .where(
            HelpOldArticleSlug.workspace_id == workspace_id,
            HelpOldArticleSlug.locale == locale,
            HelpOldArticleSlug.slug == slug,
            HelpTranslation.workspace_id == workspace_id,
            HelpTranslation.locale == locale,
            HelpTranslation.published_at.is_not(None),
        )
    )


async def collection(*, session: AsyncSession, workspace_id: int, slug: str) -> HelpCollection | None:
    """The collection that once answered at ``slug`` in this workspace."""
    return await session.scalar(
        select(HelpCollection)
        .join(HelpOldCollectionSlug, HelpOldCollectionSlug.collection_id == HelpCollection.id)
        .where(
            HelpOldCollectionSlug.workspace_id == workspace_id,
            HelpOldCollectionSlug.slug == slug,
            HelpCollection.workspace_id == workspace_id,
        )
    )


async def workspace(*, session: AsyncSession, slug: str) -> Workspace | None:
    """The workspace whose help center once answered at ``/help/SLUG``."""
    return await session.scalar(
        select(Workspace)
        .join(HelpOldWorkspaceSlug, HelpOldWorkspaceSlug.workspace_id == Workspace.id)
        .where(HelpOldWorkspaceSlug.slug == slug)
    )
