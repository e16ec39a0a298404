"""Help center collections: the named groups articles are filed under, each with a name per language.

Separate from ``service`` (articles and their language versions) because a collection has its own life: its
own slug and former addresses, its own order, and deleting it leaves its articles in place. Articles only ask
this module whether a collection is the workspace's (``get_collection``). (Not named ``collections``: that is
the standard library's, and the callers' usual name for a list of them.)
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.helpcenter import old_addresses
from frontdesk.helpcenter.models import HelpCollection
from frontdesk.helpcenter.slugs import check_locale, check_slug, slug_from


def _check_names(names: dict[str, str], field: str, required: bool) -> dict[str, str]:
    cleaned = {}
    for locale, name in names.items():
        check_locale(locale, f"{field}.{locale}")
        if name.strip():
            cleaned[locale] = name.strip()
    if required and not cleaned:
        raise InvalidInput("a collection needs a name in at least one language", field=field)
    return cleaned


async def list_collections(*, session: AsyncSession, workspace_id: int) -> list[HelpCollection]:
    return list(
        await session.scalars(
            select(HelpCollection)
            .where(HelpCollection.workspace_id == workspace_id)
            .order_by(HelpCollection.position, HelpCollection.id)
        )
    )


async def get_collection(*, session: AsyncSession, workspace_id: int, collection_id: int) -> HelpCollection:
    collection = await session.get(HelpCollection, collection_id)
    if collection is None or collection.workspace_id != workspace_id:
        raise NotFound(f"collection {collection_id} not found", field="collection_id")
    return collection


async def _free_collection_slug(session: AsyncSession, workspace_id: int, slug: str, own_id: int | None) -> bool:
    taken = await session.scalar(
        select(HelpCollection.id).where(HelpCollection.workspace_id == workspace_id, HelpCollection.slug == slug)
    )
    return taken is None or taken == own_id


async def do_create_collection(
    *,
    session: AsyncSession,
    workspace_id: int,
    names: dict[str, str],
    descriptions: dict[str, str] | None = None,
    slug: str | None = None,
    position: int | None = None,
) -> HelpCollection:
    names = _check_names(names, "names", required=True)
    if slug is not None:
        check_slug(slug)
        if not await _free_collection_slug(session, workspace_id, slug, None):
            raise Conflict(f"another collection has the slug {slug!r}", field="slug")
    else:
        base = slug_from(next(iter(names.values())))
        slug, n = base, 1
        while not await _free_collection_slug(session, workspace_id, slug, None):
            n += 1
            slug = f"{base}-{n}"
    if position is None:
        position = (
            await session.scalar(
                select(func.coalesce(func.max(HelpCollection.position), -1) + 1).where(
                    HelpCollection.workspace_id == workspace_id
                )
            )
        ) or 0
    collection = HelpCollection(
        workspace_id=workspace_id,
        slug=slug,
        names=names,
        descriptions=_check_names(descriptions or {}, "descriptions", required=False),
        position=position,
    )
    session.add(collection)
    await session.flush()
    await old_addresses.do_collection_slug_changed(session=session, collection=collection, old_slug=None)
    return collection


async def do_update_collection(
    *,
    session: AsyncSession,
    workspace_id: int,
    collection_id: int,
    names: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    slug: str | None = None,
    position: int | None = None,
) -> HelpCollection:
    collection = await get_collection(session=session, workspace_id=workspace_id, collection_id=collection_id)
    if names is not None:
        collection.names = _check_names(names, "names", required=True)
    if descriptions is not None:
        collection.descriptions = _check_names(descriptions, "descriptions", required=False)
    if slug is not None and slug != collection.slug:
        check_slug(slug)
        if not await _free_collection_slug(session, workspace_id, slug, collection.id):
            raise Conflict(f"another collection has the slug {slug!r}", field="slug")
        old_slug, collection.slug = collection.slug, slug
        await session.flush()
        await old_addresses.do_collection_slug_changed(session=session, collection=collection, old_slug=old_slug)
    if position is not None:
        collection.position = position
    await session.flush()
    return collection


async def do_delete_collection(*, session: AsyncSession, workspace_id: int, collection_id: int) -> None:
    """The collection goes; its articles stay, without a collection."""
    collection = await get_collection(session=session, workspace_id=workspace_id, collection_id=collection_id)
    await session.delete(collection)
    await session.flush()
