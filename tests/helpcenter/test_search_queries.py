"""Whatever a visitor types, search answers (results or none) and never fails, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.helpcenter import listing, search, service
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle

# Pieces of FTS5 and tsquery syntax, and words the articles contain, mixed into arbitrary text.
SYNTAX = ['"', "'", "*", ":", "(", ")", "{", "}", "^", "-", "+", "&", "|", "!", "<->", "NEAR", "AND", "OR", "NOT"]
WORDS = ["refund", "refnud", "Rücksendung", "rucksendungen", "title", "scope", "body", "w1en", "the", "über"]
TOKENS = st.one_of(st.sampled_from(SYNTAX), st.sampled_from(WORDS), st.text(max_size=12))
QUERIES = st.one_of(st.text(max_size=250), st.lists(TOKENS, max_size=12).map(" ".join))
MARK = re.compile(r"</?mark>")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=QUERIES,
    locale=st.sampled_from(["en", "de"]),
    offset=st.integers(min_value=-2, max_value=3),
    as_you_type=st.booleans(),
)
async def test_any_query_gives_results_or_none_and_never_fails(
    engine: AsyncEngine, workspace: WorkspaceHandle, query: str, locale: str, offset: int, as_you_type: bool
) -> None:
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    async with create_session_factory(engine).begin() as session:
        _, existing = await listing.list_translations(session=session, workspace_id=workspace.id)
        if not existing:
            for title, locale_ in [("When will I get my refund?", "en"), ("Rücksendung eines Artikels", "de")]:
                article = await service.do_create_article(
                    session=session,
                    workspace_id=workspace.id,
                    by=by,
                    locale=locale_,
                    title=title,
                    body=f"{title} & <b>",
                )
                await service.do_publish(session=session, workspace_id=workspace.id, translation_id=article.id, by=by)
    async with create_session_factory(engine)() as session:
        results = await search.search_articles(
            session=session,
            workspace_id=workspace.id,
            locale=locale,
            query=query,
            limit=5,
            offset=offset,
            as_you_type=as_you_type,
        )
    assert len(results.query) <= search.MAX_QUERY and results.total >= len(results.hits)
    event("found" if results.hits else "nothing found")
    for hit in results.hits:
        # Only <mark> tags were added to escaped text.
        assert html.unescape(MARK.sub("", hit.snippet_html)).replace("…", "") in f"{hit.title} & <b>"
        assert "<b>" not in hit.snippet_html
