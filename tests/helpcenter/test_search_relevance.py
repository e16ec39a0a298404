"""Search finds the answer: the fixture's queries put the expected article first, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.helpcenter import search, service
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle
from tests.helpcenter.relevance_fixture import ARTICLES, QUERIES, FixtureArticle, create_fixture_articles


def _editor(workspace: WorkspaceHandle) -> Principal:
    return Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")


async def test_every_fixture_query_finds_its_article_first(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    assert len(ARTICLES) >= 30 and sum(a.locale == "de" for a in ARTICLES) >= 6
    async with create_session_factory(engine).begin() as session:
        ids = await create_fixture_articles(session=session, workspace_id=workspace.id, by=_editor(workspace))
    misses = []
    async with create_session_factory(engine)() as session:
        for case in QUERIES:
            results = await search.search_articles(
                session=session, workspace_id=workspace.id, locale=case.locale, query=case.query, limit=3
            )
            first = results.hits[0].translation_id if results.hits else None
            if first != ids[case.expected]:
                names = {v: k for k, v in ids.items()}
                misses.append((case.query, case.expected, [names[h.translation_id] for h in results.hits]))
    share = 1 - len(misses) / len(QUERIES)
    assert misses == [] and share == 1.0


async def test_a_typo_is_corrected_and_said_so_but_a_stemmed_form_is_not(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        await create_fixture_articles(session=session, workspace_id=workspace.id, by=_editor(workspace))
    async with create_session_factory(engine)() as session:
        typo = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="  when is my   refnud coming "
        )
        assert typo.query == "when is my refnud coming"
        assert typo.corrected_query == "when is my refund coming"
        assert "<mark>refund</mark>" in typo.hits[0].title_html
        stemmed = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="refunded"
        )
        assert stemmed.corrected_query is None and stemmed.total >= 2
        german = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="de", query="Passwrot vergessen"
        )
        assert german.corrected_query == "Passwort vergessen"
        correct = await search.search_articles(session=session, workspace_id=workspace.id, locale="en", query="refund")
        assert correct.corrected_query is None


async def test_as_you_type_the_last_word_matches_the_words_it_begins(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        ids = await create_fixture_articles(session=session, workspace_id=workspace.id, by=_editor(workspace))
    async with create_session_factory(engine)() as session:
        typing = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="when is my refu", as_you_type=True
        )
        assert typing.hits[0].translation_id == ids["refunds"] and typing.corrected_query is None
        assert "<mark>refund</mark>" in typing.hits[0].title_html
        finished = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="when is my refu ", as_you_type=True
        )
        assert finished.hits == []  # a whole word now, and no article has it
        german = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="de", query="Rücks", as_you_type=True
        )
        assert german.hits[0].translation_id == ids["de-returns"]


async def test_only_stop_words_or_nothing_finds_nothing(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    async with create_session_factory(engine).begin() as session:
        await create_fixture_articles(session=session, workspace_id=workspace.id, by=_editor(workspace))
    async with create_session_factory(engine)() as session:
        for query in ["how do I", "   ", "", "the and of", "?!*"]:
            results = await search.search_articles(session=session, workspace_id=workspace.id, locale="en", query=query)
            assert results.hits == [] and results.total == 0, query


async def test_paging_counts_every_match(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    async with create_session_factory(engine).begin() as session:
        await create_fixture_articles(session=session, workspace_id=workspace.id, by=_editor(workspace))
    async with create_session_factory(engine)() as session:
        everything = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="order parcel", limit=100
        )
        assert everything.total == len(everything.hits) >= 5
        page = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="order parcel", limit=2, offset=2
        )
        assert page.total == everything.total
        assert [h.translation_id for h in page.hits] == [h.translation_id for h in everything.hits[2:4]]


async def test_drafts_unpublished_other_workspaces_and_other_languages_are_never_found(
    engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    by = _editor(workspace)
    async with create_session_factory(engine).begin() as session:
        draft = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Secret launch plans"
        )
        withdrawn = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Launch of the spring collection"
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=withdrawn.id, by=by)
        await service.do_unpublish(session=session, workspace_id=workspace.id, translation_id=withdrawn.id, by=by)
        changed = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Opening hours"
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=changed.id, by=by)
        await service.do_update_translation(
            session=session, workspace_id=workspace.id, translation_id=changed.id, by=by, title="Launch party hours"
        )
        german = await service.do_add_translation(
            session=session, workspace_id=workspace.id, article_id=changed.article_id, by=by, locale="de",
            title="Öffnungszeiten zum Launch",
        )  # fmt: skip
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=german.id, by=by)
        await create_fixture_articles(
            session=session,
            workspace_id=other_workspace.id,
            by=_editor(other_workspace),
            articles=[FixtureArticle("theirs", "en", "Launch day", "Our launch.")],
        )
        deleted = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Launch countdown"
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=deleted.id, by=by)
        await service.do_delete_article(session=session, workspace_id=workspace.id, article_id=deleted.article_id)
    async with create_session_factory(engine)() as session:
        english = await search.search_articles(session=session, workspace_id=workspace.id, locale="en", query="launch")
        assert english.hits == [] and english.total == 0
        hours = await search.search_articles(session=session, workspace_id=workspace.id, locale="en", query="hours")
        assert [h.title for h in hours.hits] == ["Opening hours"]  # the published copy, not the working copy
        deutsch = await search.search_articles(session=session, workspace_id=workspace.id, locale="de", query="launch")
        assert [h.translation_id for h in deutsch.hits] == [german.id]
        unknown = await search.search_articles(session=session, workspace_id=workspace.id, locale="fr", query="launch")
        assert unknown.hits == []
    assert draft.id != withdrawn.id


async def test_snippets_mark_matched_words_and_escape_the_text(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    by = _editor(workspace)
    filler = " ".join(["Our team answers every message in the order it arrives."] * 12)
    body = f"{filler}\n\nRefunds for `<b>bold</b>` orders & gifts: we refunded 3 orders today. {filler}"
    async with create_session_factory(engine).begin() as session:
        article = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Money back <fast> & easy", body=body
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=article.id, by=by)
    async with create_session_factory(engine)() as session:
        results = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="refund <script>"
        )
    (hit,) = results.hits
    snippet = hit.snippet_html
    assert "<mark>Refunds</mark>" in snippet and "<mark>refunded</mark>" in snippet
    assert "&lt;b&gt;bold&lt;/b&gt;" in snippet and "&amp; gifts" in snippet and "<b>" not in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.split()) <= 40
    assert hit.title_html == "Money back &lt;fast&gt; &amp; easy" and hit.title == "Money back <fast> & easy"
