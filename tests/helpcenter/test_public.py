"""The public help center: only published copies reach visitors, with SEO basics, search, votes and a custom domain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.errors import InvalidInput
from frontdesk.helpcenter import centers, help_collections, search, service
from frontdesk.helpcenter.models import HelpCenter, HelpImage, HelpSearch, HelpSession, HelpVote
from frontdesk.settings import get_settings
from frontdesk.storage.base import new_key
from frontdesk.storage.registry import configured
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle

HTML = {"Accept": "text/html"}
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass
class HelpContent:
    slug: str  # the workspace's
    returns_en: str
    returns_de: str
    shipping: str
    unreleased: str
    withdrawn: str
    unsafe: str
    returns_translation_id: int


async def _workspace_slug(engine: AsyncEngine, workspace_id: int) -> str:
    async with create_session_factory(engine)() as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        return workspace.slug


async def make_content(engine: AsyncEngine, workspace: WorkspaceHandle) -> HelpContent:
    """A published article in English and German, a published one with a changed working copy, a draft,
    a withdrawn one and one whose Markdown tries to run script."""
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    ws = workspace.id
    async with create_session_factory(engine).begin() as session:
        returns = await help_collections.do_create_collection(
            session=session, workspace_id=ws, names={"en": "Returns", "de": "Rücksendungen"}, slug="returns"
        )
        returns_en = await service.do_create_article(
            session=session,
            workspace_id=ws,
            by=by,
            locale="en",
            title="How returns work",
            description="Send an order back within 30 days.",
            body="## Step one\n\nPack the parcel.",
            collection_id=returns.id,
        )
        returns_de = await service.do_add_translation(
            session=session,
            workspace_id=ws,
            article_id=returns_en.article_id,
            by=by,
            locale="de",
            title="So funktionieren Rücksendungen",
            body="Paket packen.",
        )
        shipping = await service.do_create_article(
            session=session,
            workspace_id=ws,
            by=by,
            locale="en",
            title="Shipping times",
            body="Parcels arrive in two days.",
            collection_id=returns.id,
        )
        unreleased = await service.do_create_article(
            session=session, workspace_id=ws, by=by, locale="en", title="Unreleased giftcards", body="Secret plans."
        )
        withdrawn = await service.do_create_article(
            session=session, workspace_id=ws, by=by, locale="en", title="Withdrawn warranty", body="Old terms."
        )
        unsafe = await service.do_create_article(
            session=session,
            workspace_id=ws,
            by=by,
            locale="en",
            title="Unsafe markup",
            body=(
                "Hello <script>alert('s')</script>\n\n[click](javascript:alert('j'))\n\n"
                '<img src="x" onerror="alert(\'i\')">\n\n![pic](javascript:alert(1))'
            ),
        )
        for version in (returns_en, returns_de, shipping, withdrawn, unsafe):
            await service.do_publish(session=session, workspace_id=ws, translation_id=version.id, by=by)
        await service.do_unpublish(session=session, workspace_id=ws, translation_id=withdrawn.id, by=by)
        await service.do_update_translation(
            session=session,
            workspace_id=ws,
            translation_id=shipping.id,
            by=by,
            title="Shipping times draftonly",
            body="Parcels arrive whenever draftonly.",
        )
        content = HelpContent(
            slug="",
            returns_en=returns_en.slug,
            returns_de=returns_de.slug,
            shipping=shipping.slug,
            unreleased=unreleased.slug,
            withdrawn=withdrawn.slug,
            unsafe=unsafe.slug,
            returns_translation_id=returns_en.id,
        )
    content.slug = await _workspace_slug(engine, ws)
    return content


@pytest.fixture
async def content(engine: AsyncEngine, workspace: WorkspaceHandle) -> HelpContent:
    return await make_content(engine, workspace)


class _ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def _elements(page: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = _ElementCollector()
    collector.feed(page)
    return collector.elements


def _head_links(page: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page))


async def test_drafts_and_unpublished_changes_are_never_public(
    client: httpx.AsyncClient, content: HelpContent, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{content.slug}"
    home = (await client.get(f"{base}/en", headers=HTML)).text
    collection = (await client.get(f"{base}/en/collections/returns", headers=HTML)).text
    article = (await client.get(f"{base}/en/articles/{content.shipping}", headers=HTML)).text
    sitemap = (await client.get(f"{base}/sitemap.xml")).text
    # The public API (no key) shows the same copies: tests/helpcenter/test_public_api.py has the details.
    async with create_session_factory(workspace.engine)() as session:
        site_key = (await get_chat_settings(session=session, workspace_id=workspace.id)).widget_token
        await session.commit()
    api = f"/api/v1/public/{site_key}/help"
    api_list = await client.get(f"{api}/articles")
    shipping_id = next(item["article_id"] for item in api_list.json()["items"] if item["slug"] == content.shipping)
    api_answers = [
        (await client.get(f"{api}/collections")).text,
        api_list.text,
        (await client.get(f"{api}/articles/{shipping_id}/en")).text,
        (await client.get(f"{api}/search", params={"q": "shipping parcels"})).text,
    ]
    for page in (home, collection, article, sitemap, *api_answers):
        assert "draftonly" not in page
        assert "Unreleased" not in page and content.unreleased not in page
        assert "Withdrawn" not in page and content.withdrawn not in page
    assert "Shipping times" in home and "Shipping times" in collection
    assert "<h1>Shipping times</h1>" in article and "Parcels arrive in two days." in article
    for slug in (content.unreleased, content.withdrawn):
        assert (await client.get(f"{base}/en/articles/{slug}", headers=HTML)).status_code == 404
        vote = await client.post(f"{base}/en/articles/{slug}/vote", data={"helpful": "yes"})
        assert vote.status_code == 404
    for query in ("unreleased", "withdrawn", "draftonly"):
        found = (await client.get(f"{base}/en/search", params={"q": query}, headers=HTML)).text
        assert "No article matches your search." in found
        assert (await client.get(f"{api}/search", params={"q": query})).json()["items"] == []
    # The only alternates are the published language versions.
    assert set(_head_links(article)) == set()
    assert set(_head_links((await client.get(f"{base}/en/articles/{content.returns_en}")).text)) == {
        "en",
        "de",
        "x-default",
    }


async def test_markup_that_could_run_script_is_not_executable_on_the_public_page(
    client: httpx.AsyncClient, content: HelpContent
) -> None:
    page = (await client.get(f"/help/{content.slug}/en/articles/{content.unsafe}", headers=HTML)).text
    elements = _elements(page)
    assert "script" not in {tag for tag, _ in elements}  # not the article's, and the page has none of its own
    for tag, attributes in elements:
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)
    # What was refused stays visible as text, not as markup.
    assert "&lt;img src=&#34;x&#34; onerror" in page or '&lt;img src="x" onerror' in page


async def test_seo_title_description_canonical_and_hreflang_pairs(
    client: httpx.AsyncClient, content: HelpContent, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{content.slug}"
    english = (await client.get(f"{base}/en/articles/{content.returns_en}", headers=HTML)).text
    german = (await client.get(f"{base}/de/articles/{content.returns_de}", headers=HTML)).text
    assert content.returns_en != content.returns_de
    assert f"<title>How returns work \N{EN DASH} {workspace.name} Help Center</title>" in english
    assert '<meta name="description" content="Send an order back within 30 days.">' in english
    assert '<meta property="og:title" content="How returns work' in english
    assert '<html lang="en">' in english and '<html lang="de">' in german
    en_url = f"http://testserver{base}/en/articles/{content.returns_en}"
    de_url = f"http://testserver{base}/de/articles/{content.returns_de}"
    assert f'<link rel="canonical" href="{en_url}">' in english
    assert f'<link rel="canonical" href="{de_url}">' in german
    expected = {"en": en_url, "de": de_url, "x-default": en_url}
    assert _head_links(english) == expected and _head_links(german) == expected
    # Without a description, the meta description is the start of the text.
    assert '<meta name="description" content="Paket packen.">' in german
    assert re.search(r'Updated <time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">\d{1,2} [A-Z][a-z]+ \d{4}</time>', english)


async def test_sitemap_lists_exactly_the_published_pages_with_lastmod_and_alternates(
    client: httpx.AsyncClient, content: HelpContent
) -> None:
    response = await client.get(f"/help/{content.slug}/sitemap.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    base = f"http://testserver/help/{content.slug}"
    urls = {url.findtext(f"{SITEMAP}loc"): url for url in root.findall(f"{SITEMAP}url")}
    assert set(urls) == {
        f"{base}/en",
        f"{base}/de",
        f"{base}/en/collections/returns",
        f"{base}/de/collections/returns",
        f"{base}/en/articles/{content.returns_en}",
        f"{base}/de/articles/{content.returns_de}",
        f"{base}/en/articles/{content.shipping}",
        f"{base}/en/articles/{content.unsafe}",
    }
    for url in urls.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", url.findtext(f"{SITEMAP}lastmod") or "")
    pair = urls[f"{base}/de/articles/{content.returns_de}"].findall(f"{XHTML}link")
    assert {(link.get("hreflang"), link.get("href")) for link in pair} == {
        ("en", f"{base}/en/articles/{content.returns_en}"),
        ("de", f"{base}/de/articles/{content.returns_de}"),
        ("x-default", f"{base}/en/articles/{content.returns_en}"),
    }
    assert urls[f"{base}/en/articles/{content.shipping}"].findall(f"{XHTML}link") == []


async def test_home_lists_collections_in_the_language_and_redirects_to_the_best_language(
    client: httpx.AsyncClient, content: HelpContent
) -> None:
    base = f"/help/{content.slug}"
    assert (await client.get(base)).headers["location"] == f"{base}/en"
    german = await client.get(base, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert german.status_code == 302 and german.headers["location"] == f"{base}/de"
    home = (await client.get(f"{base}/de", headers=HTML)).text
    assert "Rücksendungen" in home and "So funktionieren Rücksendungen" in home and "Shipping" not in home
    assert f'href="{base}/en" hreflang="en"' in home  # the language switcher
    english = (await client.get(f"{base}/en", headers=HTML)).text
    assert "Other articles" in english and "Unsafe markup" in english and "2 articles" in english
    assert (await client.get(f"{base}/fr", headers=HTML)).status_code == 404


async def test_search_page_logs_the_search_and_pages_its_results(
    client: httpx.AsyncClient, content: HelpContent, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{content.slug}"
    empty = await client.get(f"{base}/en/search", headers=HTML)
    assert empty.status_code == 200 and 'name="q"' in empty.text
    found = await client.get(f"{base}/en/search", params={"q": "returns"}, headers=HTML)
    assert found.status_code == 200
    assert f'href="{base}/en/articles/{content.returns_en}">How returns work</a>' in found.text
    await client.get(f"{base}/en/search", params={"q": "nothingmatchesthis"}, headers=HTML)
    async with create_session_factory(engine)() as session:
        searches = list(await session.scalars(select(HelpSearch).order_by(HelpSearch.id)))
    assert [(s.workspace_id, s.source, s.locale, s.query, s.result_count > 0) for s in searches] == [
        (workspace.id, "help_center", "en", "returns", True),
        (workspace.id, "help_center", "en", "nothingmatchesthis", False),
    ]
    assert searches[1].result_count == 0
    # A bad page number reads as the first page: a public page answers HTML, never a JSON 422.
    bad_page = await client.get(f"{base}/en/search", params={"q": "x", "page": "0"}, headers=HTML)
    assert bad_page.status_code == 200 and bad_page.headers["content-type"].startswith("text/html")


async def test_a_vote_is_recorded_in_a_session_of_its_own_and_thanks_the_visitor(
    client: httpx.AsyncClient, content: HelpContent, engine: AsyncEngine
) -> None:
    path = f"/help/{content.slug}/en/articles/{content.returns_en}"
    response = await client.post(f"{path}/vote", data={"helpful": "no"})
    assert response.status_code == 303 and response.headers["location"] == f"{path}?voted=1#vote"
    thanked = await client.get(f"{path}?voted=1", headers=HTML)
    assert "Thank you for your answer." in thanked.text
    assert (await client.post(f"{path}/vote", data={"helpful": "maybe"})).status_code == 422
    async with create_session_factory(engine)() as session:
        votes = list(await session.scalars(select(HelpVote)))
        sessions = list(await session.scalars(select(HelpSession)))
    assert [(v.translation_id, v.helpful) for v in votes] == [(content.returns_translation_id, False)]
    assert [(s.source, s.visitor_id, s.locale) for s in sessions] == [("help_center", None, "en")]


async def test_unknown_private_and_foreign_help_centers_are_not_found(
    client: httpx.AsyncClient,
    content: HelpContent,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
) -> None:
    assert (await client.get("/help/no-such-workspace/en", headers=HTML)).status_code == 404
    other_slug = await _workspace_slug(engine, other_workspace.id)
    # Another workspace's article under this workspace's address, and the reverse, are not found.
    assert (await client.get(f"/help/{other_slug}/en/articles/{content.returns_en}")).status_code == 404
    assert (await client.get(f"/help/{content.slug}/en/articles/{content.returns_en}")).status_code == 200
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, is_public=False))
    for path in ("", "/en", f"/en/articles/{content.returns_en}", "/en/search?q=returns", "/sitemap.xml"):
        assert (await client.get(f"/help/{content.slug}{path}", headers=HTML)).status_code == 404, path


async def test_a_custom_domain_serves_the_help_center_at_its_root_and_other_hosts_do_not(
    client: httpx.AsyncClient, content: HelpContent, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="help.acme.example", title="Acme Answers"))
    on_domain = {"Host": "help.acme.example:8443", **HTML}
    root = await client.get("/", headers=on_domain)
    assert root.status_code == 302 and root.headers["location"] == "/en"
    home = await client.get("/en", headers=on_domain)
    assert home.status_code == 200 and "<h1>Acme Answers</h1>" in home.text
    assert f'href="/en/articles/{content.returns_en}"' in home.text
    article = await client.get(f"/en/articles/{content.returns_en}", headers=on_domain)
    assert article.status_code == 200
    assert f'<link rel="canonical" href="http://help.acme.example/en/articles/{content.returns_en}">' in article.text
    sitemap = ElementTree.fromstring((await client.get("/sitemap.xml", headers=on_domain)).content)
    assert f"http://help.acme.example/en/articles/{content.returns_en}" in {
        url.findtext(f"{SITEMAP}loc") for url in sitemap.findall(f"{SITEMAP}url")
    }
    # The normal host keeps its own root (the console) and has no help center at /en.
    console = await client.get("/", headers=HTML)
    assert console.headers.get("location", "") != "/en"
    assert (await client.get("/en", headers=HTML)).status_code == 404
    assert (await client.get("/en", headers={"Host": "other.example", **HTML})).status_code == 404


async def test_an_image_is_served_with_its_type_and_a_long_cache_and_unknown_keys_are_not_found(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    png, svg = new_key(), new_key()
    await configured().put(png, b"\x89PNG\r\n\x1a\nrest", content_type="image/png")
    await configured().put(svg, b"<svg><script>alert(1)</script></svg>", content_type="image/svg+xml")
    async with create_session_factory(engine).begin() as session:
        for key, kind in ((png, "image/png"), (svg, "image/svg+xml")):
            session.add(HelpImage(workspace_id=workspace.id, storage_key=key, filename="a", content_type=kind, size=12))
    response = await client.get(f"/help-images/{png}")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "max-age=31536000" in response.headers["cache-control"]
    script_image = await client.get(f"/help-images/{svg}")
    assert script_image.headers["content-type"] == "application/octet-stream"
    assert script_image.headers["content-disposition"] == "attachment"
    assert (await client.get(f"/help-images/{new_key()}")).status_code == 404
    assert (await client.get("/help-images/..%2Fsecrets")).status_code == 404


async def test_the_widget_colour_brands_the_pages_and_search_results_page_and_correct(
    client: httpx.AsyncClient,
    content: HelpContent,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    async with create_session_factory(engine).begin() as session:
        chat = await get_chat_settings(session=session, workspace_id=workspace.id)
        chat.color, chat.allowed_origins = "#aa3300", ["https://shop.acme.example"]
        for number in range(12):
            tip = await service.do_create_article(
                session=session, workspace_id=workspace.id, by=by, locale="en", title=f"Parceltip number {number}"
            )
            await service.do_publish(session=session, workspace_id=workspace.id, translation_id=tip.id, by=by)
    base = f"/help/{content.slug}/en"
    home = (await client.get(base, headers=HTML)).text
    assert '<body style="--accent: #aa3300">' in home
    first = (await client.get(f"{base}/search", params={"q": "parceltip"}, headers=HTML)).text
    second = (await client.get(f"{base}/search", params={"q": "parceltip", "page": "2"}, headers=HTML)).text
    assert first.count('<li>\n    <a href="') == 10 and second.count('<li>\n    <a href="') == 2
    assert "1 / 2" in first and 'rel="next" href="/help/' in first and 'rel="prev"' in second
    # Reading on is the same search: it is logged once.
    async with create_session_factory(engine)() as session:
        assert [s.result_count for s in await session.scalars(select(HelpSearch))] == [12]
    nothing = (await client.get(f"{base}/search", params={"q": "nothingatall"}, headers=HTML)).text
    assert 'href="https://shop.acme.example">Contact us</a>' in nothing

    async def corrected(**arguments: object) -> search.SearchResults:
        return search.SearchResults(query="retrns", hits=[], total=0, corrected_query="returns")

    monkeypatch.setattr(search, "search_articles", corrected)
    shown = (await client.get(f"{base}/search", params={"q": "retrns"}, headers=HTML)).text
    assert "Showing results for <strong>returns</strong>" in shown


async def test_a_custom_domain_serves_only_its_own_help_center(
    client: httpx.AsyncClient,
    content: HelpContent,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
) -> None:
    other = await make_content(engine, other_workspace)
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="help.acme.example"))
    on_domain = {"Host": "help.acme.example", **HTML}
    # Another tenant's articles, the console, the API and the widget's endpoints are not served there.
    for path in (
        f"/help/{other.slug}/en/articles/{other.returns_en}",
        f"/help/{other.slug}/en",
        "/console/login",
        "/login",
        "/api/v1/help/articles",
        "/widget.js",
    ):
        assert (await client.get(path, headers=on_domain)).status_code == 404, path
    # Its own /help/SLUG form goes to the root form; never to another host.
    own = await client.get(f"/help/{content.slug}/en/articles/{content.returns_en}?x=1", headers=on_domain)
    assert own.status_code == 308 and own.headers["location"] == f"/en/articles/{content.returns_en}?x=1"
    assert (await client.get(f"/help/{content.slug}//evil.example", headers=on_domain)).status_code == 404
    for path in ("/healthz", f"/en/articles/{content.returns_en}"):
        assert (await client.get(path, headers=on_domain)).status_code == 200, path
    assert (await client.get("/static/no-such-file.css", headers=on_domain)).status_code == 404  # static, passed
    assert (await client.get(f"/help/{other.slug}/en", headers=HTML)).status_code == 200  # the normal host


async def test_the_canonical_on_the_normal_host_points_at_the_custom_domain(
    client: httpx.AsyncClient, content: HelpContent, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="help.acme.example"))
    base = f"/help/{content.slug}"
    page = (await client.get(f"{base}/en/articles/{content.returns_en}", headers=HTML)).text
    en_url = f"http://help.acme.example/en/articles/{content.returns_en}"
    assert f'<link rel="canonical" href="{en_url}">' in page
    assert _head_links(page)["de"] == f"http://help.acme.example/de/articles/{content.returns_de}"
    assert f'href="{base}/en/collections/returns"' in page  # links stay on the host the visitor is on
    home = (await client.get(f"{base}/en", headers=HTML)).text
    assert '<link rel="canonical" href="http://help.acme.example/en">' in home
    sitemap = ElementTree.fromstring((await client.get(f"{base}/sitemap.xml")).content)
    assert en_url in {url.findtext(f"{SITEMAP}loc") for url in sitemap.findall(f"{SITEMAP}url")}


@pytest.mark.parametrize("voted", ["2", "abc", "-1", "1" * 30])
async def test_a_bad_voted_value_is_ignored_and_the_page_stays_html(
    client: httpx.AsyncClient, content: HelpContent, voted: str
) -> None:
    path = f"/help/{content.slug}/en/articles/{content.returns_en}"
    page = await client.get(path, params={"voted": voted}, headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Thank you for your answer." not in page.text
    search = await client.get(f"/help/{content.slug}/en/search", params={"q": "returns", "page": "x"}, headers=HTML)
    assert search.status_code == 200 and search.headers["content-type"].startswith("text/html")


async def test_heading_ids_are_prefixed_so_they_cannot_clash_with_the_page(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    async with create_session_factory(engine).begin() as session:
        article = await service.do_create_article(
            session=session,
            workspace_id=workspace.id,
            by=by,
            locale="en",
            title="Voting guide",
            body="## Vote\n\nSee [how](#search) below.\n\n## Search\n\nText.",
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=article.id, by=by)
    slug = await _workspace_slug(engine, workspace.id)
    page = (await client.get(f"/help/{slug}/en/articles/{article.slug}", headers=HTML)).text
    ids = [value for _, attributes in _elements(page) for name, value in attributes if name == "id"]
    assert len(ids) == len(set(ids)), ids  # the page's own <section id="vote"> stays unique
    assert '<h3 id="h-vote">Vote</h3>' in page and '<h3 id="h-search">Search</h3>' in page
    assert '<a href="#h-search"' in page


@pytest.mark.parametrize(
    "domain", ["console.frontdesk.example", "CONSOLE.frontdesk.example.", "localhost", "127.0.0.1", "[::1]", "10.0.0.8"]
)
async def test_the_console_host_localhost_and_addresses_are_refused_as_a_custom_domain(
    session: AsyncSession, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch, domain: str
) -> None:
    monkeypatch.setenv("FRONTDESK_PUBLIC_URL", "https://console.frontdesk.example")
    get_settings.cache_clear()
    try:
        with pytest.raises(InvalidInput) as refused:
            await centers.do_update_help_center(
                session=session,
                workspace_id=workspace.id,
                title="",
                intro="",
                default_locale="en",
                is_public=True,
                widget_suggestions=True,
                custom_domain=domain,
            )
        assert refused.value.status_code == 422 and refused.value.errors[0]["field"] == "custom_domain"
        assert centers.check_host_name("help.frontdesk.example") == "help.frontdesk.example"
    finally:
        get_settings.cache_clear()


async def test_the_console_host_is_never_rewritten_even_if_stored_as_a_domain(
    client: httpx.AsyncClient, content: HelpContent, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    # A row saved before the check existed (or written by hand) must not take over the console's "/".
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="127.0.0.1"))
    console_host = {"Host": "127.0.0.1:8000", **HTML}  # settings.public_url's host
    assert (await client.get("/", headers=console_host)).headers.get("location", "") != "/en"
    assert (await client.get("/en", headers=console_host)).status_code == 404
    assert (await client.get("/login", headers=console_host)).status_code == 200
