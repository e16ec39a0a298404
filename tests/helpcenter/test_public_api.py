"""The public help center API (/api/v1/public/{site_key}/help/…): published copies only, without a key, while the
help center is public; anything else is a 404 naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.helpcenter import centers, help_collections, service
from frontdesk.helpcenter.markdown import absolute_links
from frontdesk.helpcenter.models import HelpArticleView, HelpCenter, HelpSearch, HelpSession, HelpTranslation
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle
from tests.helpcenter.test_public import HelpContent, make_content

SECRET = "zanzibarsecret"  # written into working copies only: it must never reach a public answer


async def site_key_of(workspace: WorkspaceHandle) -> str:
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        await session.commit()
        return settings.widget_token


@pytest.fixture
async def content(engine: AsyncEngine, workspace: WorkspaceHandle) -> HelpContent:
    return await make_content(engine, workspace)


@pytest.fixture
async def api(workspace: WorkspaceHandle) -> str:
    return f"/api/v1/public/{await site_key_of(workspace)}/help"


def _editor(workspace_id: int) -> Principal:
    return Principal(workspace_id=workspace_id, role=Role.editor, label="Edith Editor")


async def _article_ids(engine: AsyncEngine, workspace_id: int) -> dict[tuple[str, str], int]:
    """(locale, slug) -> article id of every version of the workspace."""
    async with create_session_factory(engine)() as session:
        rows = await session.execute(
            select(HelpTranslation.locale, HelpTranslation.slug, HelpTranslation.article_id).where(
                HelpTranslation.workspace_id == workspace_id
            )
        )
        return {(locale, slug): article_id for locale, slug, article_id in rows}


def _field(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    return str(errors[0]["field"])


async def _publish_many(engine: AsyncEngine, workspace_id: int, count: int) -> set[int]:
    """``count`` published English articles, and as many drafts; the published ones' article ids."""
    by = _editor(workspace_id)
    published = set()
    async with create_session_factory(engine).begin() as session:
        for number in range(count):
            version = await service.do_create_article(
                session=session, workspace_id=workspace_id, by=by, locale="en", title=f"Topic {number}", body="Text."
            )
            await service.do_publish(session=session, workspace_id=workspace_id, translation_id=version.id, by=by)
            published.add(version.article_id)
            await service.do_create_article(
                session=session, workspace_id=workspace_id, by=by, locale="en", title=f"Draft {number}", body="Soon."
            )
    return published


async def test_lists_only_published_versions_in_the_language_with_their_public_urls(
    client: httpx.AsyncClient, content: HelpContent, api: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    ids = await _article_ids(engine, workspace.id)
    base = f"http://testserver/help/{content.slug}"
    collections = await client.get(f"{api}/collections")  # no key
    assert collections.status_code == 200, collections.text
    assert collections.json()["locale"] == "en"
    [returns] = collections.json()["items"]
    assert {k: v for k, v in returns.items() if k != "id"} == {
        "slug": "returns",
        "name": "Returns",
        "description": "",
        "position": 0,
        "article_count": 2,  # How returns work, Shipping times (the withdrawn and draft ones are in no collection)
        "url": f"{base}/en/collections/returns",
    }
    german = (await client.get(f"{api}/collections", params={"locale": "de"})).json()
    assert [(c["name"], c["article_count"], c["url"]) for c in german["items"]] == [
        ("Rücksendungen", 1, f"{base}/de/collections/returns")
    ]

    page = await client.get(f"{api}/articles")
    assert page.status_code == 200 and page.json()["next_cursor"] is None
    items = page.json()["items"]
    assert [(i["locale"], i["slug"], i["title"]) for i in items] == [
        ("en", content.unsafe, "Unsafe markup"),
        ("en", content.shipping, "Shipping times"),  # the published title, not the working copy's
        ("en", content.returns_en, "How returns work"),
    ]
    first = items[-1]
    assert first["article_id"] == ids[("en", content.returns_en)]
    assert first["description"] == "Send an order back within 30 days."
    assert first["collection"] == {"id": returns["id"], "slug": "returns", "name": "Returns"}
    assert first["url"] == f"{base}/en/articles/{content.returns_en}"
    assert items[0]["collection"] is None
    de_items = (await client.get(f"{api}/articles", params={"locale": "de"})).json()["items"]
    assert [(i["slug"], i["title"], i["collection"]["name"]) for i in de_items] == [
        (content.returns_de, "So funktionieren Rücksendungen", "Rücksendungen")
    ]
    # A collection by its slug or its id: its published articles only.
    for ref in ("returns", str(returns["id"])):
        in_returns = (await client.get(f"{api}/articles", params={"collection": ref})).json()["items"]
        assert [i["slug"] for i in in_returns] == [content.shipping, content.returns_en], ref
    unknown = await client.get(f"{api}/articles", params={"collection": "nothing-here"})
    assert unknown.status_code == 404 and _field(unknown) == "collection"


async def test_an_article_is_its_published_copy_and_working_copies_never_show(
    client: httpx.AsyncClient, content: HelpContent, api: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    ids = await _article_ids(engine, workspace.id)
    returns_id = ids[("en", content.returns_en)]
    # Published, then reworked with a secret word in every field of the working copy; and a draft collection.
    by = _editor(workspace.id)
    async with create_session_factory(engine).begin() as session:
        english = await service.get_translation_in(
            session=session, workspace_id=workspace.id, article_id=returns_id, locale="en"
        )
        await service.do_update_translation(
            session=session,
            workspace_id=workspace.id,
            translation_id=english.id,
            by=by,
            title=f"Returns {SECRET}",
            description=f"About {SECRET}",
            body=f"## {SECRET}\n\nPack the {SECRET} parcel.",
        )
        drafts = await help_collections.do_create_collection(
            session=session, workspace_id=workspace.id, names={"en": f"Plans {SECRET}"}, slug="plans"
        )
        await service.do_create_article(
            session=session,
            workspace_id=workspace.id,
            by=by,
            locale="en",
            title=f"Upcoming {SECRET}",
            body=SECRET,
            collection_id=drafts.id,
        )
    async with create_session_factory(engine)() as session:
        stored = await session.get(HelpTranslation, english.id)
        assert stored is not None and stored.published_html is not None
        published_html = stored.published_html

    article = await client.get(f"{api}/articles/{returns_id}/en")
    assert article.status_code == 200, article.text
    body = article.json()
    assert body["html"] == absolute_links(published_html, "http://testserver") and "Pack the parcel." in body["html"]
    assert (body["title"], body["description"]) == ("How returns work", "Send an order back within 30 days.")
    assert body["other_languages"] == {"de": f"http://testserver/help/{content.slug}/de/articles/{content.returns_de}"}
    assert body["collection"]["slug"] == "returns" and body["published_at"]
    german = await client.get(f"{api}/articles/{returns_id}/de")
    assert german.json()["other_languages"] == {"en": body["url"]}

    answers = [
        article,
        german,
        await client.get(f"{api}/collections"),
        await client.get(f"{api}/articles"),
        await client.get(f"{api}/articles", params={"limit": 1}),
        await client.get(f"{api}/search", params={"q": "returns parcel"}),
        await client.get(f"{api}/articles", params={"collection": "plans"}),
    ]
    for answer in answers:
        assert SECRET not in answer.text and "draftonly" not in answer.text and "Unreleased" not in answer.text
    assert answers[-1].status_code == 404 and _field(answers[-1]) == "collection"  # drafts only: not public
    searched = (await client.get(f"{api}/search", params={"q": SECRET})).json()  # the query itself is echoed
    assert (searched["total"], searched["items"], searched["corrected_query"]) == (0, [], None)
    # Drafts and withdrawn versions are not found, like articles that do not exist.
    for slug in (content.unreleased, content.withdrawn):
        hidden = await client.get(f"{api}/articles/{ids[('en', slug)]}/en")
        assert hidden.status_code == 404 and _field(hidden) == "article_id", slug
    assert (await client.get(f"{api}/articles/{ids[('en', content.shipping)]}/de")).status_code == 404


async def test_a_collection_is_found_by_a_former_slug_and_named_in_the_default_language_failing_its_own(
    client: httpx.AsyncClient, content: HelpContent, api: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        [returns] = await help_collections.list_collections(session=session, workspace_id=workspace.id)
        await help_collections.do_update_collection(
            session=session,
            workspace_id=workspace.id,
            collection_id=returns.id,
            names={"en": "Returns"},  # no German name any more
            descriptions=None,
            slug="returns-and-refunds",
            position=None,
        )
    items = (await client.get(f"{api}/articles", params={"collection": "returns"})).json()["items"]
    assert [i["slug"] for i in items] == [content.shipping, content.returns_en]
    assert {i["collection"]["slug"] for i in items} == {"returns-and-refunds"}
    [german] = (await client.get(f"{api}/collections", params={"locale": "de"})).json()["items"]
    assert (german["name"], german["url"]) == (
        "Returns",
        f"http://testserver/help/{content.slug}/de/collections/returns-and-refunds",
    )


async def test_a_private_help_center_and_an_unknown_site_key_are_not_found_everywhere(
    client: httpx.AsyncClient, content: HelpContent, api: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    returns_id = (await _article_ids(engine, workspace.id))[("en", content.returns_en)]
    paths = ["/collections", "/articles", f"/articles/{returns_id}/en", "/search?q=returns"]
    for path in paths:
        assert (await client.get(api + path)).status_code == 200, path
        unknown = await client.get(f"/api/v1/public/fdw_nope/help{path}")
        assert unknown.status_code == 404 and _field(unknown) == "site_key", path
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, is_public=False))
    for path in paths:
        private = await client.get(api + path)
        assert private.status_code == 404 and _field(private) == "site_key", path
        unknown = await client.get(f"/api/v1/public/fdw_nope/help{path}")
        assert private.json()["detail"] == unknown.json()["detail"], "a private help center is told apart from none"
        assert "Returns" not in private.text


async def test_another_workspaces_article_is_not_found_with_this_site_key(
    client: httpx.AsyncClient,
    content: HelpContent,
    api: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
) -> None:
    [theirs] = await _publish_many(engine, other_workspace.id, 1)
    their_api = f"/api/v1/public/{await site_key_of(other_workspace)}/help"
    assert (await client.get(f"{their_api}/articles/{theirs}/en")).status_code == 200
    foreign = await client.get(f"{api}/articles/{theirs}/en")
    assert foreign.status_code == 404 and _field(foreign) == "article_id"
    ours = (await _article_ids(engine, workspace.id))[("en", content.returns_en)]
    assert (await client.get(f"{their_api}/articles/{ours}/en")).status_code == 404
    their_list = (await client.get(f"{their_api}/articles")).json()["items"]
    assert [item["article_id"] for item in their_list] == [theirs]
    our_returns = (await client.get(f"{api}/collections")).json()["items"][0]["id"]
    elsewhere = await client.get(f"{their_api}/articles", params={"collection": str(our_returns)})
    assert elsewhere.status_code == 404 and _field(elsewhere) == "collection"


async def test_search_finds_published_copies_only_marks_snippets_and_is_not_logged(
    client: httpx.AsyncClient, content: HelpContent, api: str, engine: AsyncEngine
) -> None:
    found = await client.get(f"{api}/search", params={"q": "arrive"})
    assert found.status_code == 200, found.text
    data = found.json()
    assert data["locale"] == "en" and data["total"] == 1 and data["corrected_query"] is None
    [hit] = data["items"]
    # What the public sees of a hit, and no more (the keyed API's hit adds the version's id).
    public_fields = {"article_id", "locale", "slug", "title", "description", "snippet_html", "url", "published_at"}
    assert set(hit) == public_fields
    assert hit["slug"] == content.shipping and hit["title"] == "Shipping times"
    assert "<mark>arrive</mark> in two days" in hit["snippet_html"] and "draftonly" not in hit["snippet_html"]
    assert hit["url"] == f"http://testserver/help/{content.slug}/en/articles/{content.shipping}"
    german = (await client.get(f"{api}/search", params={"q": "Paket", "locale": "de"})).json()
    assert [h["slug"] for h in german["items"]] == [content.returns_de]
    for query in ("unreleased", "withdrawn", "draftonly", "secret plans"):
        nothing = (await client.get(f"{api}/search", params={"q": query})).json()
        assert nothing["total"] == 0 and nothing["items"] == [], query
    await client.get(f"{api}/articles/{hit['article_id']}/en")
    async with create_session_factory(engine)() as session:
        for table in (HelpSearch, HelpSession, HelpArticleView):
            assert await session.scalar(select(func.count()).select_from(table)) == 0, table.__tablename__


async def test_pagination_walks_every_published_version_exactly_once(
    client: httpx.AsyncClient, api: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    published = await _publish_many(engine, workspace.id, 7)
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params: dict[str, str | int] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = await client.get(f"{api}/articles", params=params)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 3
        seen += [item["article_id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7 and set(seen) == published
    assert seen == sorted(seen, reverse=True)  # newest first


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/articles", {"locale": "fr"}, 404, "locale"),
        ("/collections", {"locale": "xx"}, 404, "locale"),
        ("/search", {"q": "returns", "locale": "fr"}, 404, "locale"),
        ("/articles", {"locale": "e"}, 422, "locale"),
        ("/articles", {"locale": "e" * 11}, 422, "locale"),
        ("/articles", {"limit": 0}, 422, "limit"),
        ("/articles", {"limit": 101}, 422, "limit"),
        ("/articles", {"limit": "ten"}, 422, "limit"),
        ("/articles", {"cursor": "not-a-cursor"}, 422, "cursor"),
        ("/articles", {"collection": "x" * 161}, 422, "collection"),
        # Digits int() refuses or reads otherwise, and an id past the largest: no collection, never a server error.
        ("/articles", {"collection": "²"}, 404, "collection"),
        ("/articles", {"collection": "١٢"}, 404, "collection"),
        ("/articles", {"collection": "9" * 19}, 404, "collection"),
        ("/search", {"q": "returns", "limit": 51}, 422, "limit"),
        ("/search", {}, 422, "q"),
        ("/search", {"q": "x" * 201}, 422, "q"),
        ("/articles/1/fr", {}, 404, "locale"),
        ("/articles/0/en", {}, 422, "article_id"),
        ("/articles/99999999/en", {}, 404, "article_id"),
        ("/collections", {"unknown": "1"}, 422, "unknown"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    content: HelpContent,
    api: str,
    path: str,
    params: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = await client.get(api + path, params=params)
    assert response.status_code == status, response.text
    assert _field(response) == field


async def test_the_default_language_is_the_help_centers_and_an_empty_one_is_listed_empty(
    client: httpx.AsyncClient, content: HelpContent, api: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        await centers.do_update_help_center(
            session=session,
            workspace_id=workspace.id,
            title="",
            intro="",
            default_locale="de",
            is_public=True,
            widget_suggestions=True,
            custom_domain=None,
        )
    page = (await client.get(f"{api}/articles")).json()
    assert page["locale"] == "de" and [i["slug"] for i in page["items"]] == [content.returns_de]
    assert (await client.get(f"{api}/search", params={"q": "Paket"})).json()["locale"] == "de"


async def test_urls_use_the_custom_domain_when_the_help_center_has_one(
    client: httpx.AsyncClient, content: HelpContent, api: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, is_public=True, custom_domain="help.acme.example"))
    [returns] = (await client.get(f"{api}/collections")).json()["items"]
    assert returns["url"] == "http://help.acme.example/en/collections/returns"
    items = (await client.get(f"{api}/articles")).json()["items"]
    slugs = (content.returns_en, content.shipping, content.unsafe)
    assert {i["url"] for i in items} == {f"http://help.acme.example/en/articles/{slug}" for slug in slugs}
    hits = (await client.get(f"{api}/search", params={"q": "returns"})).json()["items"]
    assert hits and all(h["url"].startswith("http://help.acme.example/en/articles/") for h in hits)


async def test_any_site_may_read_answers_and_errors_and_caches_keep_answers_a_minute(
    client: httpx.AsyncClient, content: HelpContent, api: str
) -> None:
    site = {"Origin": "https://shop.example"}
    for path in ("/collections", "/articles", "/search?q=returns"):
        answer = await client.get(api + path, headers=site)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["cache-control"] == "public, max-age=60"
    for refused in (
        await client.get(f"{api}/articles/99999999/en", headers=site),
        await client.get(f"{api}/articles", params={"limit": 0}, headers=site),
        await client.get("/api/v1/public/fdw_nope/help/articles", headers=site),
    ):
        assert refused.status_code in (404, 422)
        assert refused.headers["access-control-allow-origin"] == "*"
        assert "public" not in refused.headers.get("cache-control", "")  # a refusal is not kept for everyone


async def test_public_operations_are_documented_under_the_public_tag_without_a_key(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    paths = {path: item for path, item in spec["paths"].items() if path.startswith("/api/v1/public/{site_key}/help/")}
    assert set(paths) == {
        "/api/v1/public/{site_key}/help/collections",
        "/api/v1/public/{site_key}/help/articles",
        "/api/v1/public/{site_key}/help/articles/{article_id}/{locale}",
        "/api/v1/public/{site_key}/help/search",
    }
    for item in paths.values():
        assert item["get"]["tags"] == ["public"] and not item["get"].get("security")
        assert {"404", "422", "429"} <= set(item["get"]["responses"])
