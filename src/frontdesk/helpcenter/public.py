"""The public help center: /help/WORKSPACE-SLUG (and a custom domain's root), server-rendered.

No JavaScript and no cookie: every page is plain HTML with one stylesheet, a search is a GET form and a vote a
POST form answered with a redirect. Only published copies are shown (helpcenter.public_views). On a custom
domain ``middleware.HelpCenterDomains`` rewrites the path to ``/help/SLUG/…`` and marks the request, so
the links and canonical URLs built here drop the ``/help/SLUG`` prefix.

A page reached by a former slug (of its article, its collection or the workspace: helpcenter.old_addresses)
answers 301 with its current address on the same host, once everything a 404 depends on has been checked, so a
former address reveals no more than the current one and every redirect is a single hop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select

from frontdesk.deps import DbSession
from frontdesk.errors import NotFound
from frontdesk.helpcenter import activity, addresses, help_collections, public_listing, search, service
from frontdesk.helpcenter import public_views as views
from frontdesk.helpcenter.models import HelpImage, HelpTranslation
from frontdesk.inputs import whole_number
from frontdesk.storage.base import FileMissing, valid_key
from frontdesk.web.console import templates

router = APIRouter(include_in_schema=False)

# Set in the ASGI scope by middleware.HelpCenterDomains when the request came to a help center's own host name.
CUSTOM_HOST_KEY = "frontdesk.help_host"
RESULTS_PER_PAGE = 10
MAX_PAGE = 50
# Served inline only when the bytes are an image browsers cannot run script in (SVG can carry script).
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"}
IMAGE_CACHE = "public, max-age=31536000, immutable"  # a key names one upload's bytes forever
# Pages revalidate on every visit: a withdrawn article must leave at once (no shared cache keeps it), and each
# article view is counted. The sitemap, read by crawlers, may be a few minutes old.
PAGE_CACHE = "no-cache"
SITEMAP_CACHE = "public, max-age=300"
# Redirects from former addresses are revalidated too: a browser that kept one for good would loop once the
# editor renames the page back (A -> B, then B -> A).
MOVED_CACHE = "no-cache"


def _site(request: Request, view: views.HelpCenterView) -> views.Site:
    """Where this request's links point: the custom domain's root when it came there, else ``/help/SLUG``."""
    host = request.scope.get(CUSTOM_HOST_KEY)
    if host:
        return addresses.on_domain(str(request.base_url), host)
    return addresses.on_host(str(request.base_url), view.workspace.slug)


async def _open(request: Request, session: DbSession, workspace_slug: str) -> tuple[views.HelpCenterView, bool]:
    """The help center, and whether the request named it by a former slug. On its custom domain the slug is the
    middleware's (whose host map may be a few seconds old after a rename): the host is the address there."""
    view = await views.open_help_center(session=session, workspace_slug=workspace_slug)
    return view, view.by_old_slug and not request.scope.get(CUSTOM_HOST_KEY)


def _moved(request: Request, path: str) -> Response:
    """301 to ``path`` (on this host, query kept) for a page; 308 for a form post, which must stay a POST."""
    query = request.url.query
    status = 301 if request.method in ("GET", "HEAD") else 308
    location = path + (f"?{query}" if query else "")
    return RedirectResponse(location, status_code=status, headers={"Cache-Control": MOVED_CACHE})


def _canonical(request: Request, view: views.HelpCenterView) -> views.Site:
    """Where search engines should send visitors: the custom domain when the help center has one, from either host."""
    return addresses.public_site(str(request.base_url), view.workspace.slug, view.center.custom_domain)


def _page(request: Request, template: str, view: views.HelpCenterView, locale: str, **context: Any) -> Response:
    response = templates.TemplateResponse(
        request,
        f"public/help/{template}",
        {"center": view, "locale": locale, "t": views.TEXTS[locale], "language_name": views.language_name, **context},
    )
    response.headers["Cache-Control"] = PAGE_CACHE
    return response


@router.get("/help/{workspace_slug}")
async def help_center_root(request: Request, workspace_slug: str, session: DbSession) -> Response:
    view, _ = await _open(request, session, workspace_slug)
    locale = views.preferred_locale(view, request.headers.get("accept-language", ""))
    # The choice depends on the visitor's languages: a temporary redirect, never cached for everyone (and from a
    # former slug straight to the current home).
    return RedirectResponse(_site(request, view).home(locale), status_code=302, headers={"Vary": "Accept-Language"})


@router.get("/help/{workspace_slug}/sitemap.xml")
async def sitemap(request: Request, workspace_slug: str, session: DbSession) -> Response:
    view, moved = await _open(request, session, workspace_slug)
    if moved:
        return _moved(request, _site(request, view).path("sitemap.xml"))
    body = await views.sitemap_xml(session=session, view=view, site=_canonical(request, view))
    return Response(body, media_type="application/xml", headers={"Cache-Control": SITEMAP_CACHE})


@router.get("/help/{workspace_slug}/robots.txt")
async def robots(request: Request, workspace_slug: str, session: DbSession) -> Response:
    view, moved = await _open(request, session, workspace_slug)
    site = _site(request, view)
    if moved:
        return _moved(request, site.path("robots.txt"))
    sitemap_url = site.absolute(site.path("sitemap.xml"))
    return PlainTextResponse(f"User-agent: *\nDisallow: {site.path('*', 'search')}\nSitemap: {sitemap_url}\n")


@router.get("/help/{workspace_slug}/{locale}")
async def home(request: Request, workspace_slug: str, locale: str, session: DbSession) -> Response:
    view, moved = await _open(request, session, workspace_slug)
    views.check_public_locale(view, locale)
    site = _site(request, view)
    if moved:
        return _moved(request, site.home(locale))
    sections = await views.home_sections(session=session, view=view, locale=locale)
    languages = {other: site.home(other) for other in view.locales}
    canon = _canonical(request, view)
    return _page(
        request,
        "home.html",
        view,
        locale,
        site=site,
        sections=sections,
        shown_per_section=views.ARTICLES_PER_COLLECTION_ON_HOME,
        canonical=canon.absolute(canon.home(locale)),
        alternates=views.alternates(canon, {o: canon.home(o) for o in view.locales}, view.center.default_locale),
        languages=languages,
        description=view.center.intro,
    )


@router.get("/help/{workspace_slug}/{locale}/collections/{slug}")
async def collection_page(
    request: Request, workspace_slug: str, locale: str, slug: str, session: DbSession
) -> Response:
    view, moved = await _open(request, session, workspace_slug)
    views.check_public_locale(view, locale)
    site = _site(request, view)
    collection, renamed = await views.public_collection(session=session, workspace_id=view.workspace.id, slug=slug)
    articles = await public_listing.published_in_order(
        session=session, workspace_id=view.workspace.id, locale=locale, collection_id=collection.id
    )
    if not articles:
        raise NotFound("this collection has no articles in this language", field="slug")
    if moved or renamed:
        return _moved(request, site.collection(locale, collection.slug))
    found_in = await views.collection_locales(
        session=session, workspace_id=view.workspace.id, collection_id=collection.id
    )
    languages = {other: site.collection(other, collection.slug) for other in found_in}
    canon = _canonical(request, view)
    default = view.center.default_locale
    return _page(
        request,
        "collection.html",
        view,
        locale,
        site=site,
        name=views.collection_name(collection, locale, default),
        collection_description=views.collection_description(collection, locale, default),
        articles=articles,
        canonical=canon.absolute(canon.collection(locale, collection.slug)),
        alternates=views.alternates(canon, {o: canon.collection(o, collection.slug) for o in found_in}, default),
        languages=languages,
        description=views.collection_description(collection, locale, default),
    )


async def _published(
    request: Request, session: DbSession, workspace_slug: str, locale: str, slug: str
) -> tuple[views.HelpCenterView, HelpTranslation, bool]:
    """The help center and the published version at this address, and whether either was named by a former slug."""
    view, moved = await _open(request, session, workspace_slug)
    views.check_public_locale(view, locale)
    translation, renamed = await views.public_article(
        session=session, workspace_id=view.workspace.id, locale=locale, slug=slug
    )
    return view, translation, moved or renamed


@router.get("/help/{workspace_slug}/{locale}/articles/{slug}")
async def article_page(
    request: Request,
    workspace_slug: str,
    locale: str,
    slug: str,
    session: DbSession,
    # Only "1" (set by the vote's redirect) thanks the visitor; anything else is ignored, never a JSON error.
    voted: str = "",
) -> Response:
    view, translation, moved = await _published(request, session, workspace_slug, locale, slug)
    site = _site(request, view)
    if moved:
        return _moved(request, site.article(locale, translation.slug))
    assert translation.published_at is not None  # only published versions are found
    collection = None
    article = await service.get_article(
        session=session, workspace_id=view.workspace.id, article_id=translation.article_id
    )
    if article.collection_id is not None:
        collection = await help_collections.get_collection(
            session=session, workspace_id=view.workspace.id, collection_id=article.collection_id
        )
    versions = await views.published_versions(
        session=session, workspace_id=view.workspace.id, article_id=translation.article_id
    )
    languages = {other: site.article(other, other_slug) for other, other_slug in versions.items()}
    canon = _canonical(request, view)
    default = view.center.default_locale
    await activity.log_view(session=session, translation=translation, source="help_center", help_session=None)
    await session.commit()
    return _page(
        request,
        "article.html",
        view,
        locale,
        site=site,
        translation=translation,
        collection=collection,
        collection_name=views.collection_name(collection, locale, default) if collection else "",
        updated=views.long_date(translation.published_at, locale),
        canonical=canon.article_url(locale, translation.slug),
        alternates=views.alternates(canon, {o: canon.article(o, s) for o, s in versions.items()}, default),
        languages=languages,
        description=views.meta_description(translation.published_description, translation.published_text),
        voted=voted == "1",
    )


@router.post("/help/{workspace_slug}/{locale}/articles/{slug}/vote")
async def vote(
    request: Request,
    workspace_slug: str,
    locale: str,
    slug: str,
    session: DbSession,
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
) -> Response:
    """An anonymous answer: no cookie, so each vote is a session of its own (no CSRF: there is nothing to abuse
    that posting directly could not do; the per-address rate limit bounds it)."""
    view, translation, moved = await _published(request, session, workspace_slug, locale, slug)
    site = _site(request, view)
    if moved:  # a page open since before the rename: the vote goes to the article's current address
        return _moved(request, site.article(locale, translation.slug) + "/vote")
    help_session = await activity.current_session(
        session=session, workspace_id=view.workspace.id, visitor_id=None, source="help_center", locale=locale
    )
    await activity.record_vote(
        session=session, translation=translation, help_session=help_session, helpful=helpful == "yes"
    )
    await session.commit()
    return RedirectResponse(site.article(locale, translation.slug) + "?voted=1#vote", status_code=303)


@router.get("/help/{workspace_slug}/{locale}/search")
async def search_page(
    request: Request,
    workspace_slug: str,
    locale: str,
    session: DbSession,
    q: Annotated[str, Query(max_length=search.MAX_QUERY)] = "",
    page_number: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    # A public page answers HTML: a bad page number reads as the first page, never a JSON 422.
    number = whole_number(page_number, max_digits=5)
    page = min(MAX_PAGE, max(1, number)) if number is not None else 1
    view, moved = await _open(request, session, workspace_slug)
    views.check_public_locale(view, locale)
    site = _site(request, view)
    if moved:
        return _moved(request, site.search(locale))
    query = " ".join(q.split())
    results = None
    if query:
        results = await search.search_articles(
            session=session,
            workspace_id=view.workspace.id,
            locale=locale,
            query=query,
            limit=RESULTS_PER_PAGE,
            offset=(page - 1) * RESULTS_PER_PAGE,
        )
        # The first page is the search; further pages are the same search read on, not new queries.
        if page == 1:
            await activity.log_search(
                session=session,
                workspace_id=view.workspace.id,
                source="help_center",
                locale=locale,
                results=results,
                help_session=None,
            )
            await session.commit()
    pages = 0 if results is None else min(MAX_PAGE, -(-results.total // RESULTS_PER_PAGE))
    response = _page(
        request,
        "search.html",
        view,
        locale,
        site=site,
        query=query,
        results=results,
        page=page,
        pages=pages,
        canonical=_canonical(request, view).absolute(_canonical(request, view).search(locale)),
        alternates=[],
        languages={other: site.search(other) for other in view.locales},
        description="",
    )
    response.headers["Cache-Control"] = "no-store"  # every search is logged: a cached page would skip the count
    return response


@router.get("/help-images/{storage_key}")
async def help_image(request: Request, storage_key: str, session: DbSession) -> Response:
    """An article image's bytes; any type other than a plain raster image is sent as a download."""
    found = None
    if valid_key(storage_key):
        found = await session.scalar(select(HelpImage).where(HelpImage.storage_key == storage_key))
    if found is None:
        raise NotFound("there is no such image", field="storage_key")
    try:
        data = await request.app.state.storage.get(found.storage_key)
    except FileMissing:
        raise NotFound("there is no such image", field="storage_key") from None
    headers = {"Cache-Control": IMAGE_CACHE, "X-Content-Type-Options": "nosniff"}
    if found.content_type in INLINE_IMAGE_TYPES:
        return Response(data, media_type=found.content_type, headers=headers)
    headers["Content-Disposition"] = "attachment"
    return Response(data, media_type="application/octet-stream", headers=headers)
