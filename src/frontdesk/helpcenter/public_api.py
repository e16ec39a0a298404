"""The public help center API: published articles for a business's own site or app, without a key.

``/api/v1/public/{site_key}/help/…``, where ``site_key`` is the widget token (as for the public reviews,
reviews/api.py). It shows what the public help center shows (public_views, public_listing): published copies
only, and only while the help center is public. Anything else (an unknown site key, a private help center, a
draft, a withdrawn version, another workspace's article, a language the help center has no pages in) is a 404
naming the field. Any site may read the answers, errors included (``Access-Control-Allow-Origin: *``, added to
every ``/api/v1/public/`` response by middleware.SecurityHeaders), and caches may keep them for a minute.
Requests are limited per IP address (middleware.PUBLIC_PREFIXES).

Nothing here is logged for the help center reports: a caller of the API has no visitor session, it may be a
server fetching on many visitors' behalf, and answers kept by caches would not be counted anyway.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from frontdesk.conversations.visitors import settings_for_widget_token
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import NotFound
from frontdesk.helpcenter import addresses, help_collections, public_listing, search, service
from frontdesk.helpcenter import public_views as views
from frontdesk.helpcenter.markdown import absolute_links
from frontdesk.helpcenter.models import HelpCollection
from frontdesk.helpcenter.schemas import (
    PublicArticleListItem,
    PublicArticlePage,
    PublicArticleRead,
    PublicCollectionList,
    PublicCollectionRead,
    PublicCollectionRef,
    PublicSearchHit,
    PublicSearchResults,
)
from frontdesk.workspaces.models import Workspace

router = APIRouter(prefix="/api/v1/public/{site_key}/help", tags=["public"])
# As the reviews' public summary: a minute in any cache. A withdrawn article may so stay readable here for up
# to a minute, where the public pages (which revalidate every time) drop it at once.
PUBLIC_CACHE = "public, max-age=60"
MAX_SEARCH_RESULTS = 50

SiteKey = Annotated[
    str,
    Path(max_length=64, description="The widget token: data-frontdesk of the widget's script tag (Settings → Chat)"),
]
LocaleQuery = Annotated[
    str | None, Query(min_length=2, max_length=10, description="A language code: en or de. Default: the help center's")
]
LocalePath = Annotated[str, Path(min_length=2, max_length=10, description="A language code: en or de")]
Cursor = Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")]


async def open_public_help_center(site_key: SiteKey, session: DbSession, response: Response) -> views.HelpCenterView:
    """The help center of the site key's workspace, when it is public; NotFound naming ``site_key`` otherwise."""
    try:
        chat = await settings_for_widget_token(session=session, token=site_key)
    except NotFound:
        raise NotFound(views.NO_HELP_CENTER, field="site_key") from None
    workspace = await session.get(Workspace, chat.workspace_id)
    assert workspace is not None  # its chat settings exist
    center = await views.help_center_of(session=session, workspace=workspace, field="site_key")
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return center


PublicHelpCenter = Annotated[views.HelpCenterView, Depends(open_public_help_center)]


def _locale(center: views.HelpCenterView, locale: str | None) -> str:
    """The language asked for, else the help center's default; one the public pages exist in (else 404)."""
    return views.check_public_locale(center, locale or center.center.default_locale)


def _site(request: Request, center: views.HelpCenterView) -> addresses.Site:
    """The help center's public address: its custom domain when it has one."""
    return addresses.public_site(str(request.base_url), center.workspace.slug, center.center.custom_domain)


def _collection_ref(center: views.HelpCenterView, collection: HelpCollection, locale: str) -> PublicCollectionRef:
    name = views.collection_name(collection, locale, center.center.default_locale)
    return PublicCollectionRef(id=collection.id, slug=collection.slug, name=name)


@router.get(
    "/collections",
    response_model=PublicCollectionList,
    summary="Collections with articles published in a language, in their order; no key needed",
)
async def public_collections(
    request: Request, session: DbSession, center: PublicHelpCenter, locale: LocaleQuery = None
) -> PublicCollectionList:
    locale = _locale(center, locale)
    site = _site(request, center)
    rows = await public_listing.published_collections(session=session, workspace_id=center.workspace.id, locale=locale)
    return PublicCollectionList(
        locale=locale,
        items=[
            PublicCollectionRead(
                **_collection_ref(center, collection, locale).model_dump(),
                description=views.collection_description(collection, locale, center.center.default_locale),
                position=collection.position,
                article_count=count,
                url=site.absolute(site.collection(locale, collection.slug)),
            )
            for collection, count in rows
        ],
    )


@router.get(
    "/articles",
    response_model=PublicArticlePage,
    summary="Articles published in a language, newest first; no key needed",
)
async def public_articles(
    request: Request,
    session: DbSession,
    center: PublicHelpCenter,
    locale: LocaleQuery = None,
    collection: Annotated[
        str | None, Query(min_length=1, max_length=160, description="A collection's slug, or its id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=public_listing.MAX_PAGE)] = 20,
    cursor: Cursor = None,
) -> PublicArticlePage:
    locale = _locale(center, locale)
    workspace_id = center.workspace.id
    collection_id = None
    if collection is not None:
        found = await public_listing.public_collection(
            session=session, workspace_id=workspace_id, locale=locale, ref=collection
        )
        collection_id = found.id
    versions, next_cursor = await public_listing.published_page(
        session=session,
        workspace_id=workspace_id,
        locale=locale,
        collection_id=collection_id,
        limit=limit,
        cursor=cursor,
    )
    collections = await public_listing.collections_by_id(
        session=session, workspace_id=workspace_id, ids={v.collection_id for v in versions if v.collection_id}
    )
    site = _site(request, center)
    items = [
        PublicArticleListItem(
            article_id=version.article_id,
            locale=version.locale,
            slug=version.slug,
            title=version.title,
            description=version.description,
            collection=(
                _collection_ref(center, collections[version.collection_id], locale)
                if version.collection_id in collections
                else None
            ),
            position=version.position,
            published_at=version.published_at,
            url=site.article_url(version.locale, version.slug),
        )
        for version in versions
    ]
    return PublicArticlePage(locale=locale, items=items, next_cursor=next_cursor)


@router.get(
    "/articles/{article_id}/{locale}",
    response_model=PublicArticleRead,
    summary="A published article in one language, with its HTML; no key needed",
)
async def public_article(
    article_id: PathId, locale: LocalePath, request: Request, session: DbSession, center: PublicHelpCenter
) -> PublicArticleRead:
    locale = _locale(center, locale)
    workspace_id = center.workspace.id
    translation = await public_listing.published_version(
        session=session, workspace_id=workspace_id, article_id=article_id, locale=locale
    )
    assert translation.published_at is not None  # only published versions are found
    article = await service.get_article(session=session, workspace_id=workspace_id, article_id=article_id)
    collection = None
    if article.collection_id is not None:
        collection = await help_collections.get_collection(
            session=session, workspace_id=workspace_id, collection_id=article.collection_id
        )
    versions = await views.published_versions(session=session, workspace_id=workspace_id, article_id=article_id)
    site = _site(request, center)
    return PublicArticleRead(
        article_id=article_id,
        locale=locale,
        slug=translation.slug,
        title=translation.published_title or "",
        description=translation.published_description or "",
        collection=_collection_ref(center, collection, locale) if collection else None,
        position=article.position,
        published_at=translation.published_at,
        url=site.article_url(locale, translation.slug),
        # Shown on the business's own site: its links and images must still reach this server.
        html=absolute_links(translation.published_html or "", str(request.base_url)),
        other_languages={other: site.article_url(other, slug) for other, slug in versions.items() if other != locale},
    )


@router.get(
    "/search",
    response_model=PublicSearchResults,
    summary="Search published articles, with highlighted snippets; no key needed (not logged)",
)
async def public_search(
    request: Request,
    session: DbSession,
    center: PublicHelpCenter,
    q: Annotated[str, Query(min_length=1, max_length=search.MAX_QUERY)],
    locale: LocaleQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_RESULTS)] = 10,
) -> PublicSearchResults:
    locale = _locale(center, locale)
    found = await search.search_articles(
        session=session, workspace_id=center.workspace.id, locale=locale, query=q, limit=limit
    )
    site = _site(request, center)
    return PublicSearchResults(
        query=found.query,
        corrected_query=found.corrected_query,
        locale=locale,
        total=found.total,
        items=[PublicSearchHit.of(hit, site.article_url(hit.locale, hit.slug)) for hit in found.hits],
    )
