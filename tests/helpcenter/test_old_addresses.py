"""Former addresses: an article, collection or workspace whose slug changed answers 301 at its old address, in one
hop to the live one, without ever revealing a draft or leading into another workspace."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.db import create_session_factory
from frontdesk.helpcenter import centers, help_collections, service
from frontdesk.helpcenter.models import (
    HelpCenter,
    HelpOldArticleSlug,
    HelpOldCollectionSlug,
    HelpOldWorkspaceSlug,
)
from frontdesk.settings import Settings
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle

HTML = {"Accept": "text/html"}


def _editor(workspace: WorkspaceHandle) -> Principal:
    return Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")


async def _slug_of(engine: AsyncEngine, workspace: WorkspaceHandle) -> str:
    async with create_session_factory(engine)() as session:
        found = await session.get(Workspace, workspace.id)
        assert found is not None
        return found.slug


async def _published(
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    slug: str,
    *,
    title: str = "How returns work",
    collection_id: int | None = None,
) -> int:
    """A published English article at ``slug``; its language version's id."""
    by = _editor(workspace)
    async with create_session_factory(engine).begin() as session:
        article = await service.do_create_article(
            session=session,
            workspace_id=workspace.id,
            by=by,
            locale="en",
            title=title,
            body=f"{title}.",
            slug=slug,
            collection_id=collection_id,
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=article.id, by=by)
        return article.id


async def _rename(engine: AsyncEngine, workspace: WorkspaceHandle, translation_id: int, slug: str) -> None:
    async with create_session_factory(engine).begin() as session:
        await service.do_update_translation(
            session=session, workspace_id=workspace.id, translation_id=translation_id, by=_editor(workspace), slug=slug
        )


async def _article_rows(engine: AsyncEngine, workspace: WorkspaceHandle) -> dict[str, int]:
    async with create_session_factory(engine)() as session:
        rows = await session.execute(
            select(HelpOldArticleSlug.slug, HelpOldArticleSlug.translation_id).where(
                HelpOldArticleSlug.workspace_id == workspace.id
            )
        )
        return {slug: translation_id for slug, translation_id in rows}


async def test_a_renamed_article_answers_301_at_its_old_address_and_200_at_the_new_one(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{await _slug_of(engine, workspace)}/en/articles"
    returns = await _published(engine, workspace, "returns")
    await _rename(engine, workspace, returns, "returns-policy")

    moved = await client.get(f"{base}/returns", headers=HTML)
    assert moved.status_code == 301 and moved.headers["location"] == f"{base}/returns-policy"
    # Revalidated, so a browser follows the page if it is renamed back later.
    assert moved.headers["cache-control"] == "no-cache"
    assert (await client.get(f"{base}/returns?utm_source=mail")).headers["location"] == (
        f"{base}/returns-policy?utm_source=mail"
    )
    page = await client.get(f"{base}/returns-policy", headers=HTML)
    assert page.status_code == 200 and "<h1>How returns work</h1>" in page.text
    assert await _article_rows(engine, workspace) == {"returns": returns}


async def test_every_former_slug_redirects_straight_to_the_live_one(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{await _slug_of(engine, workspace)}/en/articles"
    returns = await _published(engine, workspace, "a")
    await _rename(engine, workspace, returns, "b")
    await _rename(engine, workspace, returns, "c")
    for old in ("a", "b"):
        moved = await client.get(f"{base}/{old}")
        assert moved.status_code == 301 and moved.headers["location"] == f"{base}/c", old  # never via b
    assert (await client.get(f"{base}/c")).status_code == 200


async def test_renaming_back_serves_the_old_address_and_the_newer_one_redirects_to_it(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{await _slug_of(engine, workspace)}/en/articles"
    returns = await _published(engine, workspace, "a")
    await _rename(engine, workspace, returns, "b")
    await _rename(engine, workspace, returns, "a")
    assert (await client.get(f"{base}/a")).status_code == 200
    moved = await client.get(f"{base}/b")
    assert moved.status_code == 301 and moved.headers["location"] == f"{base}/a"
    assert await _article_rows(engine, workspace) == {"b": returns}  # the live slug is no former address


async def test_an_article_that_takes_a_former_slug_is_served_there_without_a_redirect(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{await _slug_of(engine, workspace)}/en/articles"
    returns = await _published(engine, workspace, "returns")
    await _rename(engine, workspace, returns, "returns-old")
    refunds = await _published(engine, workspace, "refunds", title="Refunds")
    await _rename(engine, workspace, returns, "returns-2026")
    # A new article created at a former slug, and another renamed onto one: the live page wins both times.
    await _published(engine, workspace, "returns", title="Returns, the new way")
    await _rename(engine, workspace, refunds, "returns-old")
    page = await client.get(f"{base}/returns", headers=HTML)
    assert page.status_code == 200 and "<h1>Returns, the new way</h1>" in page.text
    assert "<h1>Refunds</h1>" in (await client.get(f"{base}/returns-old", headers=HTML)).text
    assert (await client.get(f"{base}/refunds")).headers["location"] == f"{base}/returns-old"
    assert await _article_rows(engine, workspace) == {"refunds": refunds}


async def test_a_former_address_of_a_draft_or_withdrawn_article_is_not_found(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{await _slug_of(engine, workspace)}/en/articles"
    by = _editor(workspace)
    withdrawn = await _published(engine, workspace, "warranty")
    async with create_session_factory(engine).begin() as session:
        draft = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Gift cards", slug="gift-cards"
        )
        await service.do_unpublish(session=session, workspace_id=workspace.id, translation_id=withdrawn, by=by)
    await _rename(engine, workspace, draft.id, "gift-cards-2027")
    await _rename(engine, workspace, withdrawn, "warranty-2027")
    for path in ("gift-cards", "gift-cards-2027", "warranty", "warranty-2027"):
        response = await client.get(f"{base}/{path}", headers=HTML)
        assert response.status_code == 404 and "2027" not in response.text, path
        assert (await client.post(f"{base}/{path}/vote", data={"helpful": "yes"})).status_code == 404, path
    # Published again: the old address leads to it.
    async with create_session_factory(engine).begin() as session:
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=withdrawn, by=by)
    assert (await client.get(f"{base}/warranty")).headers["location"] == f"{base}/warranty-2027"


async def test_a_german_former_slug_redirects_only_within_german(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{await _slug_of(engine, workspace)}"
    by = _editor(workspace)
    english = await _published(engine, workspace, "returns")
    async with create_session_factory(engine).begin() as session:
        article_id = (
            await service.get_translation(session=session, workspace_id=workspace.id, translation_id=english)
        ).article_id
        german = await service.do_add_translation(
            session=session,
            workspace_id=workspace.id,
            article_id=article_id,
            by=by,
            locale="de",
            title="Rücksendungen",
            slug="ruecksendung",
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=german.id, by=by)
    await _rename(engine, workspace, german.id, "ruecksendungen")
    moved = await client.get(f"{base}/de/articles/ruecksendung")
    assert moved.status_code == 301 and moved.headers["location"] == f"{base}/de/articles/ruecksendungen"
    assert (await client.get(f"{base}/en/articles/ruecksendung")).status_code == 404
    assert (await client.get(f"{base}/en/articles/returns")).status_code == 200


async def test_a_renamed_collection_answers_301_where_its_page_exists(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    base = f"/help/{await _slug_of(engine, workspace)}"
    async with create_session_factory(engine).begin() as session:
        returns = await help_collections.do_create_collection(
            session=session, workspace_id=workspace.id, names={"en": "Returns"}, slug="returns"
        )
        empty = await help_collections.do_create_collection(
            session=session, workspace_id=workspace.id, names={"en": "Soon"}, slug="soon"
        )
    await _published(engine, workspace, "how-returns-work", collection_id=returns.id)
    async with create_session_factory(engine).begin() as session:
        for collection, slug in ((returns, "returns-and-refunds"), (empty, "later")):
            await help_collections.do_update_collection(
                session=session, workspace_id=workspace.id, collection_id=collection.id, slug=slug
            )
    moved = await client.get(f"{base}/en/collections/returns")
    assert moved.status_code == 301 and moved.headers["location"] == f"{base}/en/collections/returns-and-refunds"
    assert (await client.get(f"{base}/en/collections/returns-and-refunds")).status_code == 200
    # A collection without published articles has no page at either address; nor in a language it lacks.
    assert (await client.get(f"{base}/en/collections/soon")).status_code == 404
    assert (await client.get(f"{base}/de/collections/returns")).status_code == 404
    async with create_session_factory(engine)() as session:
        found = await session.execute(select(HelpOldCollectionSlug.slug, HelpOldCollectionSlug.collection_id))
        rows = {(slug, collection_id) for slug, collection_id in found}
    assert rows == {("returns", returns.id), ("soon", empty.id)}


async def test_a_renamed_workspace_redirects_every_page_to_the_same_page_at_its_new_address(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    old = await _slug_of(engine, workspace)
    returns = await _published(engine, workspace, "returns")
    async with create_session_factory(engine).begin() as session:
        await centers.do_change_workspace_slug(session=session, workspace_id=workspace.id, slug="acme")
    for path in ("/en", "/en/articles/returns", "/sitemap.xml", "/robots.txt", "/en/search?q=parcel"):
        moved = await client.get(f"/help/{old}{path}")
        assert moved.status_code == 301 and moved.headers["location"] == f"/help/acme{path}", path
        assert (await client.get(f"/help/acme{path}")).status_code == 200, path
    # The root picks a language: straight to the new home, once.
    root = await client.get(f"/help/{old}")
    assert root.status_code == 302 and root.headers["location"] == "/help/acme/en"
    # A vote from a page opened before the rename keeps its method and body.
    vote = await client.post(f"/help/{old}/en/articles/returns/vote", data={"helpful": "yes"})
    assert vote.status_code == 308 and vote.headers["location"] == "/help/acme/en/articles/returns/vote"
    # Workspace and article both renamed: one hop to the page's current address.
    await _rename(engine, workspace, returns, "returns-policy")
    moved = await client.get(f"/help/{old}/en/articles/returns")
    assert moved.status_code == 301 and moved.headers["location"] == "/help/acme/en/articles/returns-policy"
    # Unknown pages and languages stay 404, and a help center taken offline is not found at any address.
    assert (await client.get(f"/help/{old}/en/articles/nothing")).status_code == 404
    assert (await client.get(f"/help/{old}/fr")).status_code == 404
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, is_public=False))
    assert (await client.get(f"/help/{old}/en")).status_code == 404


async def test_renaming_a_workspace_back_and_taking_another_workspaces_former_slug(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    ours, theirs = await _slug_of(engine, workspace), await _slug_of(engine, other_workspace)
    await _published(engine, workspace, "returns", title="Our returns")
    await _published(engine, other_workspace, "returns", title="Their returns")
    async with create_session_factory(engine).begin() as session:
        await centers.do_change_workspace_slug(session=session, workspace_id=workspace.id, slug="acme")
        await centers.do_change_workspace_slug(session=session, workspace_id=workspace.id, slug=ours)
        await centers.do_change_workspace_slug(session=session, workspace_id=other_workspace.id, slug="rival")
        await centers.do_change_workspace_slug(session=session, workspace_id=workspace.id, slug=theirs)
    # The live slug wins: the other workspace's former address now is ours, and its former row is gone.
    assert "Our returns" in (await client.get(f"/help/{theirs}/en/articles/returns", headers=HTML)).text
    for old in ("acme", ours):
        assert (await client.get(f"/help/{old}/en")).headers["location"] == f"/help/{theirs}/en", old
    async with create_session_factory(engine)() as session:
        found = await session.execute(select(HelpOldWorkspaceSlug.slug, HelpOldWorkspaceSlug.workspace_id))
        rows = {(slug, workspace_id) for slug, workspace_id in found}
    assert rows == {("acme", workspace.id), (ours, workspace.id)}


async def test_on_a_custom_domain_a_former_address_redirects_to_the_root_form(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="help.acme.example"))
        collection = await help_collections.do_create_collection(
            session=session, workspace_id=workspace.id, names={"en": "Returns"}, slug="returns"
        )
    returns = await _published(engine, workspace, "returns", collection_id=collection.id)
    await _rename(engine, workspace, returns, "returns-policy")
    async with create_session_factory(engine).begin() as session:
        await help_collections.do_update_collection(
            session=session, workspace_id=workspace.id, collection_id=collection.id, slug="returns-and-refunds"
        )
        await centers.do_change_workspace_slug(session=session, workspace_id=workspace.id, slug="acme")
    on_domain = {"Host": "help.acme.example", **HTML}
    article = await client.get("/en/articles/returns?ref=chat", headers=on_domain)
    assert article.status_code == 301 and article.headers["location"] == "/en/articles/returns-policy?ref=chat"
    collection_page = await client.get("/en/collections/returns", headers=on_domain)
    assert collection_page.headers["location"] == "/en/collections/returns-and-refunds"
    assert (await client.get("/en/articles/returns-policy", headers=on_domain)).status_code == 200
    # The workspace's slug is no part of the custom domain's addresses: they did not move.
    assert (await client.get("/en", headers=on_domain)).status_code == 200


async def test_former_slugs_of_another_workspace_never_lead_into_this_one(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    ours = await _slug_of(engine, workspace)
    theirs = await _published(engine, other_workspace, "returns")
    await _published(engine, workspace, "shipping")
    await _rename(engine, other_workspace, theirs, "returns-policy")
    async with create_session_factory(engine).begin() as session:
        collection = await help_collections.do_create_collection(
            session=session, workspace_id=other_workspace.id, names={"en": "Returns"}, slug="returns-c"
        )
        await help_collections.do_update_collection(
            session=session, workspace_id=other_workspace.id, collection_id=collection.id, slug="returns-d"
        )
    for path in ("/en/articles/returns", "/en/articles/returns-policy", "/en/collections/returns-c"):
        assert (await client.get(f"/help/{ours}{path}")).status_code == 404, path


_examples = itertools.count()


@pytest.fixture
async def roomy_client(engine: AsyncEngine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests the per-address rate limit never stops (the property test makes hundreds)."""
    app = create_app(settings.model_copy(update={"ip_request_burst": 100_000}), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(renames=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=6))
async def test_every_slug_an_article_ever_had_is_live_or_one_redirect_from_it(
    roomy_client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, renames: list[str]
) -> None:
    prefix = f"x{next(_examples)}-"  # the workspace outlives each example: each gets slugs of its own
    base = f"/help/{await _slug_of(engine, workspace)}/en/articles"
    translation_id = await _published(engine, workspace, f"{prefix}start")
    ever, live = {f"{prefix}start"}, f"{prefix}start"
    for name in renames:
        live = prefix + name
        ever.add(live)
        await _rename(engine, workspace, translation_id, live)
    for slug in sorted(ever):
        response = await roomy_client.get(f"{base}/{slug}")
        if slug == live:
            assert response.status_code == 200, (renames, slug)
        else:
            assert response.status_code == 301, (renames, slug)
            assert response.headers["location"] == f"{base}/{live}", (renames, slug)
    rows = {slug: found for slug, found in (await _article_rows(engine, workspace)).items() if slug.startswith(prefix)}
    assert rows == dict.fromkeys(ever - {live}, translation_id)
