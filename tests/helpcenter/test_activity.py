"""Logged searches keep the question, not the visitor's address, phone, order number or links."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.helpcenter import activity
from frontdesk.helpcenter.models import HelpSearch
from frontdesk.helpcenter.search import SearchResults
from tests.factories import WorkspaceHandle


@given(
    before=st.sampled_from(["where is my order", "Rücksendung für", ""]),
    email=st.emails(),
    number=st.from_regex(r"\+?[0-9]{2,4}[ -]?[0-9]{3,4}[ -]?[0-9]{3,5}", fullmatch=True),
)
def test_addresses_and_long_numbers_never_reach_the_log(before: str, email: str, number: str) -> None:
    stored = activity.stored_query(f"{before} {email} order {number} please")
    assert email not in stored and email.lower() not in activity.normalize_query(f"{before} {email}")
    assert number not in stored
    assert stored.startswith(" ".join(before.split()))


def test_the_question_itself_is_kept() -> None:
    assert activity.stored_query("  Size 42   shoes, return policy 2026 ") == "Size 42 shoes, return policy 2026"
    assert activity.normalize_query("Return  POLICY") == "return policy"


async def test_a_logged_search_stores_the_cleaned_query(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    async with create_session_factory(engine).begin() as session:
        await activity.log_search(
            session=session,
            workspace_id=workspace.id,
            source="help_center",
            locale="en",
            results=SearchResults(query="where is order 100234? ana.berg@example.com, +46 70 123 45 67"),
            help_session=None,
        )
    async with create_session_factory(engine)() as session:
        row = (await session.scalars(select(HelpSearch))).one()
    assert row.query == "where is order [number]? [email], [number]"
    assert row.normalized_query == "where is order [number]? [email], [number]"
