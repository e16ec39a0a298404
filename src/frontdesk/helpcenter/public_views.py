"""What the public help center pages show: only published copies, never a working copy or a draft.

Every query here filters on ``published_at IS NOT NULL`` and reads the ``published_*`` columns: a draft, and
the unpublished changes of a published article, stay out of pages, search results, the sitemap and the
hreflang alternates alike. Addresses are built by ``Site`` so the same pages work under ``/help/SLUG`` and at
the root of a custom domain.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree import ElementTree

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import ChatSettings
from frontdesk.errors import NotFound
from frontdesk.helpcenter import addresses, centers, help_collections, old_addresses, public_listing, service
from frontdesk.helpcenter.models import (
    LANGUAGE_NAMES,
    LANGUAGES,
    HelpArticle,
    HelpCenter,
    HelpCollection,
    HelpTranslation,
)
from frontdesk.helpcenter.public_listing import PublishedVersion
from frontdesk.workspaces.models import Workspace

DEFAULT_ACCENT = "#2456d3"  # the widget's default colour (ChatSettings.color)
ARTICLES_PER_COLLECTION_ON_HOME = 5
META_DESCRIPTION_LENGTH = 155

# The few words of the pages themselves, in each language an article can be written in.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "search": "Search",
        "search_placeholder": "Search for answers",
        "updated": "Updated",
        "other_articles": "Other articles",
        "articles": "articles",
        "article": "article",
        "all_articles": "All articles",
        "helpful": "Was this article helpful?",
        "yes": "Yes",
        "no": "No",
        "thanks": "Thank you for your answer.",
        "results_for": "Results for",
        "showing_for": "Showing results for",
        "no_results": "No article matches your search.",
        "contact": "Contact us",
        "contact_hint": "Try other words, or ask us directly:",
        "previous": "Previous",
        "next": "Next",
        "other_languages": "Also in",
        "home": "Help center",
        "nothing_yet": "There are no articles yet.",
    },
    "de": {
        "search": "Suchen",
        "search_placeholder": "Antworten suchen",
        "updated": "Aktualisiert am",
        "other_articles": "Weitere Artikel",
        "articles": "Artikel",
        "article": "Artikel",
        "all_articles": "Alle Artikel",
        "helpful": "War dieser Artikel hilfreich?",
        "yes": "Ja",
        "no": "Nein",
        "thanks": "Vielen Dank für Ihre Antwort.",
        "results_for": "Ergebnisse für",
        "showing_for": "Ergebnisse für",
        "no_results": "Kein Artikel passt zu Ihrer Suche.",
        "contact": "Kontakt",
        "contact_hint": "Versuchen Sie andere Wörter, oder fragen Sie uns direkt:",
        "previous": "Zurück",
        "next": "Weiter",
        "other_languages": "Auch auf",
        "home": "Hilfe",
        "nothing_yet": "Noch keine Artikel.",
    },
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
}  # fmt: skip


def long_date(moment: datetime, locale: str) -> str:
    """12 March 2026 / 12. März 2026: written out, so no reader confuses day and month."""
    month = MONTHS.get(locale, MONTHS["en"])[moment.month - 1]
    return f"{moment.day}. {month} {moment.year}" if locale == "de" else f"{moment.day} {month} {moment.year}"


def meta_description(description: str | None, text: str | None) -> str:
    """The published description, else the start of the text cut at a word (search engines show ~155 chars)."""
    if description and description.strip():
        return description.strip()
    words = " ".join((text or "").split())
    if len(words) <= META_DESCRIPTION_LENGTH:
        return words
    return words[:META_DESCRIPTION_LENGTH].rsplit(" ", 1)[0] + "…"


Site = addresses.Site


@dataclass
class HelpCenterView:
    workspace: Workspace
    center: HelpCenter
    title: str
    accent: str
    locales: list[str]  # languages with at least one published article
    website: str | None  # the business's own site (the widget's first allowed origin): "contact us" links there
    # Reached by a slug the workspace had before: the page answers with a redirect to its current address.
    by_old_slug: bool = False


async def open_help_center(*, session: AsyncSession, workspace_slug: str) -> HelpCenterView:
    """The public help center of a workspace, by its slug or a former one (``by_old_slug``); NotFound for an
    unknown slug or a help center that is not public."""
    workspace = await session.scalar(select(Workspace).where(Workspace.slug == workspace_slug))
    by_old_slug = workspace is None
    if workspace is None:
        workspace = await old_addresses.workspace(session=session, slug=workspace_slug)
    if workspace is None:
        raise NotFound(NO_HELP_CENTER, field="workspace")
    return await help_center_of(session=session, workspace=workspace, by_old_slug=by_old_slug)


# One answer for "no such address" and "not public": a private help center is not told apart from none.
NO_HELP_CENTER = "there is no help center here"


async def help_center_of(
    *, session: AsyncSession, workspace: Workspace, by_old_slug: bool = False, field: str = "workspace"
) -> HelpCenterView:
    """The workspace's public help center; NotFound (naming ``field``) when it is not public."""
    center = await centers.get_help_center(session=session, workspace_id=workspace.id)
    if not center.is_public:
        raise NotFound(NO_HELP_CENTER, field=field)
    # Read, not conversations.visitors.get_chat_settings: that one creates the row, and a GET writes nothing.
    chat = await session.get(ChatSettings, workspace.id)
    return HelpCenterView(
        workspace=workspace,
        center=center,
        title=center.title or f"{workspace.name} Help Center",
        accent=chat.color if chat is not None else DEFAULT_ACCENT,
        locales=await centers.published_locales(session=session, workspace_id=workspace.id),
        website=chat.allowed_origins[0] if chat is not None and chat.allowed_origins else None,
        by_old_slug=by_old_slug,
    )


def check_public_locale(view: HelpCenterView, locale: str) -> str:
    """A language of the help center: one with published articles, or its default language (an empty home)."""
    if locale not in LANGUAGES or (locale not in view.locales and locale != view.center.default_locale):
        raise NotFound(f"this help center has no {locale!r} pages", field="locale")
    return locale


def preferred_locale(view: HelpCenterView, accept_language: str) -> str:
    """The best Accept-Language match among the published languages; the default language otherwise."""
    candidates = view.locales or [view.center.default_locale]
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in candidates and quality > 0:
            wanted.append((-quality, index, language))
    if wanted:
        return min(wanted)[2]
    return view.center.default_locale if view.center.default_locale in candidates else candidates[0]


@dataclass
class CollectionSection:
    collection: HelpCollection | None  # None: "Other articles"
    name: str
    description: str
    articles: list[PublishedVersion] = field(default_factory=list)


def collection_name(collection: HelpCollection, locale: str, default_locale: str) -> str:
    names = collection.names
    return names.get(locale) or names.get(default_locale) or next(iter(names.values()), collection.slug)


def collection_description(collection: HelpCollection, locale: str, default_locale: str) -> str:
    return collection.descriptions.get(locale) or collection.descriptions.get(default_locale) or ""


async def home_sections(*, session: AsyncSession, view: HelpCenterView, locale: str) -> list[CollectionSection]:
    """Collections with published articles in the language (in their order), then "Other articles"."""
    articles = await public_listing.published_in_order(session=session, workspace_id=view.workspace.id, locale=locale)
    by_collection: dict[int | None, list[PublishedVersion]] = defaultdict(list)
    for article in articles:
        by_collection[article.collection_id].append(article)
    default = view.center.default_locale
    sections = [
        CollectionSection(
            collection,
            collection_name(collection, locale, default),
            collection_description(collection, locale, default),
            by_collection[collection.id],
        )
        for collection in await help_collections.list_collections(session=session, workspace_id=view.workspace.id)
        if by_collection.get(collection.id)
    ]
    if by_collection.get(None):
        sections.append(CollectionSection(None, TEXTS[locale]["other_articles"], "", by_collection[None]))
    return sections


async def public_collection(*, session: AsyncSession, workspace_id: int, slug: str) -> tuple[HelpCollection, bool]:
    """The collection at ``slug``, or the one that had it before (then ``True``: the page redirects)."""
    found = await session.scalar(
        select(HelpCollection).where(HelpCollection.workspace_id == workspace_id, HelpCollection.slug == slug)
    )
    if found is not None:
        return found, False
    former = await old_addresses.collection(session=session, workspace_id=workspace_id, slug=slug)
    if former is None:
        raise NotFound("there is no such collection", field="slug")
    return former, True


async def public_article(
    *, session: AsyncSession, workspace_id: int, locale: str, slug: str
) -> tuple[HelpTranslation, bool]:
    """The published version at ``slug``, or the published one that had it before in the same language (then
    ``True``: the page redirects). A draft is not found at either, so a former address reveals nothing more."""
    found = await service.published_by_slug(session=session, workspace_id=workspace_id, locale=locale, slug=slug)
    if found is not None:
        return found, False
    former = await old_addresses.published_article(session=session, workspace_id=workspace_id, locale=locale, slug=slug)
    if former is None:
        raise NotFound("there is no such article", field="slug")
    return former, True


async def collection_locales(*, session: AsyncSession, workspace_id: int, collection_id: int) -> list[str]:
    """Languages in which the collection has published articles (its page exists only in those)."""
    found = set(
        await session.scalars(
            select(HelpTranslation.locale)
            .join(HelpArticle, HelpArticle.id == HelpTranslation.article_id)
            .where(
                HelpTranslation.workspace_id == workspace_id,
                HelpArticle.collection_id == collection_id,
                HelpTranslation.published_at.is_not(None),
            )
            .distinct()
        )
    )
    return [locale for locale in LANGUAGES if locale in found]


async def published_versions(*, session: AsyncSession, workspace_id: int, article_id: int) -> dict[str, str]:
    """{locale: slug} of an article's published language versions: its hreflang alternates."""
    rows = await session.execute(
        select(HelpTranslation.locale, HelpTranslation.slug).where(
            HelpTranslation.workspace_id == workspace_id,
            HelpTranslation.article_id == article_id,
            HelpTranslation.published_at.is_not(None),
        )
    )
    found: dict[str, str] = {locale: slug for locale, slug in rows}
    return {locale: found[locale] for locale in LANGUAGES if locale in found}


def alternates(site: Site, paths: dict[str, str], default_locale: str) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) for each language version, and x-default (the default language's, else the first);
    nothing for a page in one language only (there is no alternate to point at)."""
    if len(paths) < 2:
        return []
    links = [(locale, site.absolute(path)) for locale, path in paths.items()]
    fallback = paths.get(default_locale) or next(iter(paths.values()))
    return [*links, ("x-default", site.absolute(fallback))]


async def sitemap_xml(*, session: AsyncSession, view: HelpCenterView, site: Site) -> bytes:
    """Every public page (homes, collections, articles) in every language, with lastmod and hreflang alternates."""
    workspace_id, default = view.workspace.id, view.center.default_locale
    rows = (
        await session.execute(
            select(
                HelpTranslation.article_id,
                HelpTranslation.locale,
                HelpTranslation.slug,
                HelpTranslation.published_at,
                HelpArticle.collection_id,
            )
            .join(HelpArticle, HelpArticle.id == HelpTranslation.article_id)
            .where(HelpTranslation.workspace_id == workspace_id, HelpTranslation.published_at.is_not(None))
            .order_by(HelpTranslation.article_id, HelpTranslation.locale)
        )
    ).all()
    pages: list[tuple[dict[str, str], dict[str, datetime]]] = []
    articles: dict[int, tuple[dict[str, str], dict[str, datetime]]] = {}
    homes: dict[str, datetime] = {}
    collections: dict[int, dict[str, datetime]] = defaultdict(dict)
    for article_id, locale, slug, published_at, collection_id in rows:
        assert published_at is not None  # filtered above
        paths, lastmods = articles.setdefault(article_id, ({}, {}))
        paths[locale], lastmods[locale] = site.article(locale, slug), published_at
        homes[locale] = max(homes.get(locale, published_at), published_at)
        if collection_id is not None:
            seen = collections[collection_id]
            seen[locale] = max(seen.get(locale, published_at), published_at)
    pages.append(({locale: site.home(locale) for locale in homes}, homes))
    slugs: dict[int, str] = {
        collection_id: slug
        for collection_id, slug in await session.execute(
            select(HelpCollection.id, HelpCollection.slug).where(HelpCollection.workspace_id == workspace_id)
        )
    }
    for collection_id, lastmods in collections.items():
        pages.append(({locale: site.collection(locale, slugs[collection_id]) for locale in lastmods}, lastmods))
    pages.extend(articles.values())

    ElementTree.register_namespace("", SITEMAP_NS)
    ElementTree.register_namespace("xhtml", XHTML_NS)
    urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for paths, lastmods in pages:
        ordered = {locale: paths[locale] for locale in LANGUAGES if locale in paths}
        links = alternates(site, ordered, default)
        for locale, path in ordered.items():
            url = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = site.absolute(path)
            ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmods[locale].strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            for hreflang, href in links:
                link = ElementTree.SubElement(url, f"{{{XHTML_NS}}}link")
                link.set("rel", "alternate")
                link.set("hreflang", hreflang)
                link.set("href", href)
    document: bytes = ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return document


SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


async def custom_domains(*, session: AsyncSession) -> dict[str, str]:
    """{host name: workspace slug} of every public help center on a custom domain."""
    rows = await session.execute(
        select(func.lower(HelpCenter.custom_domain), Workspace.slug)
        .join(Workspace, Workspace.id == HelpCenter.workspace_id)
        .where(HelpCenter.custom_domain.is_not(None), HelpCenter.is_public.is_(True))
    )
    return {host: slug for host, slug in rows if host}


def language_name(locale: str) -> str:
    return LANGUAGE_NAMES.get(locale, locale)
