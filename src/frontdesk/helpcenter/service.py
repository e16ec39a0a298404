"""Writing the help center's articles and their language versions: drafts, edits, publishing, deleting.

Every function takes the workspace it acts in and finds rows only inside it (another workspace's id is "not
found"). Changes are made by a ``Principal`` whose label is kept in the revision history. Publishing renders
the Markdown once (rendering.render_published_copy) and puts the published copy in the search index
(helpcenter.search). Collections live in ``help_collections``; slug and language checks in ``slugs``.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.helpcenter import old_addresses, search
from frontdesk.helpcenter.help_collections import get_collection
from frontdesk.helpcenter.models import LANGUAGES, HelpArticle, HelpRevision, HelpTranslation
from frontdesk.helpcenter.rendering import do_rerender_published, render_published_copy
from frontdesk.helpcenter.slugs import check_locale, check_slug, slug_from
from frontdesk.workspaces.service import Principal

Status = Literal["draft", "published", "changed"]


def article_status(translation: HelpTranslation) -> Status:
    """``draft``: the public cannot see it; ``changed``: published, with changes not yet published."""
    if translation.published_at is None:
        return "draft"
    return "changed" if translation.has_unpublished_changes else "published"


async def get_article(*, session: AsyncSession, workspace_id: int, article_id: int) -> HelpArticle:
    article = await session.get(HelpArticle, article_id)
    if article is None or article.workspace_id != workspace_id:
        raise NotFound(f"article {article_id} not found", field="article_id")
    return article


async def get_translation(*, session: AsyncSession, workspace_id: int, translation_id: int) -> HelpTranslation:
    translation = await session.get(HelpTranslation, translation_id)
    if translation is None or translation.workspace_id != workspace_id:
        raise NotFound(f"article version {translation_id} not found", field="translation_id")
    return translation


async def get_translation_in(
    *, session: AsyncSession, workspace_id: int, article_id: int, locale: str
) -> HelpTranslation:
    found = await session.scalar(
        select(HelpTranslation).where(
            HelpTranslation.workspace_id == workspace_id,
            HelpTranslation.article_id == article_id,
            HelpTranslation.locale == locale,
        )
    )
    if found is None:
        raise NotFound(f"article {article_id} has no {locale!r} version", field="locale")
    return found


async def translations_of(*, session: AsyncSession, article_id: int) -> list[HelpTranslation]:
    rows = await session.scalars(select(HelpTranslation).where(HelpTranslation.article_id == article_id))
    order = list(LANGUAGES)
    return sorted(rows, key=lambda t: order.index(t.locale) if t.locale in order else len(order))


async def published_by_slug(
    *, session: AsyncSession, workspace_id: int, locale: str, slug: str
) -> HelpTranslation | None:
    """The published version at a public address; ``None`` for a draft (never shown) or no such slug."""
    return await session.scalar(
        select(HelpTranslation).where(
            HelpTranslation.workspace_id == workspace_id,
            HelpTranslation.locale == locale,
            HelpTranslation.slug == slug,
            HelpTranslation.published_at.is_not(None),
        )
    )


async def _free_slug(session: AsyncSession, workspace_id: int, locale: str, slug: str, own_id: int | None) -> bool:
    taken = await session.scalar(
        select(HelpTranslation.id).where(
            HelpTranslation.workspace_id == workspace_id, HelpTranslation.locale == locale, HelpTranslation.slug == slug
        )
    )
    return taken is None or taken == own_id


async def _slug_for(
    session: AsyncSession, workspace_id: int, locale: str, title: str, slug: str | None, own_id: int | None
) -> str:
    """The given slug (409 when another version in the language has it), or one made from the title."""
    if slug is not None:
        check_slug(slug)
        if not await _free_slug(session, workspace_id, locale, slug, own_id):
            raise Conflict(f"another {locale!r} article has the slug {slug!r}", field="slug")
        return slug
    base = slug_from(title)
    candidate, n = base, 1
    while not await _free_slug(session, workspace_id, locale, candidate, own_id):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_text(title: str, description: str) -> tuple[str, str]:
    title = title.strip()
    if not title:
        raise InvalidInput("an article needs a title", field="title")
    if len(title) > 200:
        raise InvalidInput("a title is at most 200 characters", field="title")
    description = description.strip()
    if len(description) > 300:
        raise InvalidInput("a description is at most 300 characters", field="description")
    return title, description


async def record_revision(session: AsyncSession, translation: HelpTranslation, action: str, by: Principal) -> None:
    number = (
        await session.scalar(
            select(func.coalesce(func.max(HelpRevision.number), 0)).where(HelpRevision.translation_id == translation.id)
        )
    ) or 0
    session.add(
        HelpRevision(
            workspace_id=translation.workspace_id,
            translation_id=translation.id,
            number=number + 1,
            action=action,
            title=translation.title,
            description=translation.description,
            body=translation.body,
            actor=by.label,
            agent_id=by.agent_id,
        )
    )


async def do_create_article(
    *,
    session: AsyncSession,
    workspace_id: int,
    by: Principal,
    locale: str,
    title: str,
    body: str = "",
    description: str = "",
    collection_id: int | None = None,
    slug: str | None = None,
    source_conversation_id: int | None = None,
) -> HelpTranslation:
    """A new article, as a draft in one language."""
    check_locale(locale)
    title, description = _check_text(title, description)
    if collection_id is not None:
        await get_collection(session=session, workspace_id=workspace_id, collection_id=collection_id)
    article = HelpArticle(
        workspace_id=workspace_id,
        collection_id=collection_id,
        source_conversation_id=source_conversation_id,
        created_by_agent_id=by.agent_id,
    )
    session.add(article)
    await session.flush()
    return await _new_translation(session, article, by, locale, title, body, description, slug)


async def _new_translation(
    session: AsyncSession,
    article: HelpArticle,
    by: Principal,
    locale: str,
    title: str,
    body: str,
    description: str,
    slug: str | None,
) -> HelpTranslation:
    translation = HelpTranslation(
        workspace_id=article.workspace_id,
        article_id=article.id,
        locale=locale,
        slug=await _slug_for(session, article.workspace_id, locale, title, slug, None),
        title=title,
        description=description,
        body=body,
        updated_by=by.label,
        updated_at=utcnow(),
    )
    session.add(translation)
    await session.flush()
    await old_addresses.do_article_slug_changed(session=session, translation=translation, old_slug=None)
    await record_revision(session, translation, "created", by)
    return translation


async def do_add_translation(
    *,
    session: AsyncSession,
    workspace_id: int,
    article_id: int,
    by: Principal,
    locale: str,
    title: str,
    body: str = "",
    description: str = "",
    slug: str | None = None,
) -> HelpTranslation:
    """The article in another language, as a draft with its own slug."""
    article = await get_article(session=session, workspace_id=workspace_id, article_id=article_id)
    check_locale(locale)
    title, description = _check_text(title, description)
    if any(t.locale == locale for t in await translations_of(session=session, article_id=article.id)):
        raise Conflict(f"the article already has a {locale!r} version", field="locale")
    return await _new_translation(session, article, by, locale, title, body, description, slug)


async def do_update_translation(
    *,
    session: AsyncSession,
    workspace_id: int,
    translation_id: int,
    by: Principal,
    title: str | None = None,
    body: str | None = None,
    description: str | None = None,
    slug: str | None = None,
) -> HelpTranslation:
    """Changes the working copy (the public keeps seeing the published copy until the next publication)."""
    translation = await get_translation(session=session, workspace_id=workspace_id, translation_id=translation_id)
    new_title, new_description = _check_text(
        translation.title if title is None else title,
        translation.description if description is None else description,
    )
    new_body = translation.body if body is None else body
    text_changed = (new_title, new_description, new_body) != (
        translation.title,
        translation.description,
        translation.body,
    )
    if slug is not None and slug != translation.slug:
        old_slug = translation.slug
        translation.slug = await _slug_for(session, workspace_id, translation.locale, new_title, slug, translation.id)
        await session.flush()
        # The old address keeps working: it answers with a redirect to the new one.
        await old_addresses.do_article_slug_changed(session=session, translation=translation, old_slug=old_slug)
        if translation.published_at is not None:
            # The new address is live at once: the index and the articles linking here must follow.
            await search.index_translation(session=session, translation=translation)
            await session.flush()
            await do_rerender_published(session=session, workspace_id=workspace_id, linking_to=translation.article_id)
    if text_changed:
        translation.title, translation.description, translation.body = new_title, new_description, new_body
        translation.updated_at = utcnow()
        translation.updated_by = by.label
        translation.has_unpublished_changes = translation.published_at is not None
        await session.flush()
        await record_revision(session, translation, "saved", by)
    await session.flush()
    return translation


async def do_move_article(
    *, session: AsyncSession, workspace_id: int, article_id: int, collection_id: int | None, position: int | None = None
) -> HelpArticle:
    article = await get_article(session=session, workspace_id=workspace_id, article_id=article_id)
    if collection_id is not None:
        await get_collection(session=session, workspace_id=workspace_id, collection_id=collection_id)
    article.collection_id = collection_id
    if position is not None:
        article.position = position
    await session.flush()
    return article


async def do_publish(
    *, session: AsyncSession, workspace_id: int, translation_id: int, by: Principal
) -> HelpTranslation:
    """Makes the working copy public (rendered, sanitised, indexed for search)."""
    translation = await get_translation(session=session, workspace_id=workspace_id, translation_id=translation_id)
    translation.published_title = translation.title
    translation.published_description = translation.description
    await render_published_copy(session, translation, translation.body)
    translation.published_at = utcnow()
    translation.has_unpublished_changes = False
    await session.flush()
    await record_revision(session, translation, "published", by)
    await search.index_translation(session=session, translation=translation)
    await session.flush()
    return translation


async def do_unpublish(
    *, session: AsyncSession, workspace_id: int, translation_id: int, by: Principal
) -> HelpTranslation:
    """Withdraws the version from the public (its working copy stays, as a draft)."""
    translation = await get_translation(session=session, workspace_id=workspace_id, translation_id=translation_id)
    if translation.published_at is None:
        return translation
    translation.published_title = translation.published_description = None
    translation.published_html = translation.published_text = None
    translation.published_at = None
    translation.has_unpublished_changes = False
    await session.flush()
    await record_revision(session, translation, "unpublished", by)
    await search.remove_translations(session=session, translation_ids=[translation.id])
    await session.flush()
    return translation


async def do_delete_translation(*, session: AsyncSession, workspace_id: int, translation_id: int) -> None:
    """One language version goes; the article goes with its last version."""
    translation = await get_translation(session=session, workspace_id=workspace_id, translation_id=translation_id)
    article_id = translation.article_id
    await search.remove_translations(session=session, translation_ids=[translation.id])
    await session.delete(translation)
    await session.flush()
    if not await translations_of(session=session, article_id=article_id):
        article = await session.get(HelpArticle, article_id)
        if article is not None:
            await session.delete(article)
            await session.flush()


async def do_delete_article(*, session: AsyncSession, workspace_id: int, article_id: int) -> None:
    article = await get_article(session=session, workspace_id=workspace_id, article_id=article_id)
    ids = [t.id for t in await translations_of(session=session, article_id=article.id)]
    await search.remove_translations(session=session, translation_ids=ids)
    await session.delete(article)
    await session.flush()
