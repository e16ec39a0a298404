"""The help center report against hand counts: top and no-result searches, "no" votes, content gaps; and the
same numbers in the API, its CSV and the console pages, for the roles that read reports."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.db import create_session_factory
from frontdesk.helpcenter import activity, gaps, reports
from frontdesk.helpcenter.gaps import terms
from frontdesk.helpcenter.search import SearchResults
from frontdesk.reports.controls import ReportControls
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.helpcenter.test_reports_self_service import at, published_article
from tests.workspaces.test_console_auth import login

PARAMS = {"from": "2026-03-01", "to": "2026-03-31", "granularity": "month", "tz": "UTC"}


async def _activity(workspace: WorkspaceHandle, other: WorkspaceHandle) -> dict[str, int]:
    """Searches and votes in March 2026, with some outside the period, from the inbox or another workspace."""
    async with create_session_factory(workspace.engine).begin() as session:
        returns = await published_article(session, workspace.id, "How returns work")
        shipping = await published_article(session, workspace.id, "Shipping times")
        foreign = await published_article(session, other.id, "How returns work")

        async def search(query: str, found: int, when: str, source: str = "widget", ws: int = workspace.id) -> None:
            help_session = await activity.current_session(
                session=session, workspace_id=ws, visitor_id=None, source=source, locale="en", now=at(when)
            )
            await activity.log_search(
                session=session,
                workspace_id=ws,
                source=source,
                locale="en",
                results=SearchResults(query=query, total=found),
                help_session=help_session,
                now=at(when),
            )

        await search("Return policy", 2, "2026-03-02T10:00")
        await search("return  POLICY", 0, "2026-03-20T10:00", source="help_center")
        await search("return policy", 1, "2026-03-03T10:00")
        await search("klarna", 0, "2026-03-04T10:00")
        await search("Klarna", 0, "2026-03-25T08:00")
        await search("shipping", 3, "2026-03-05T10:00")
        await search("klarna", 0, "2026-03-06T10:00", source="inbox")  # an agent's search: not a visitor's
        await search("klarna", 0, "2026-04-02T10:00")  # after the period
        await search("klarna", 0, "2026-03-07T10:00", ws=other.id)

        async def vote(translation_id: int, helpful: bool, when: str) -> None:
            help_session = await activity.current_session(
                session=session, workspace_id=workspace.id, visitor_id=None, source="widget", locale="en", now=at(when)
            )
            translation = returns if translation_id == returns.id else shipping
            await activity.record_vote(
                session=session, translation=translation, help_session=help_session, helpful=helpful, now=at(when)
            )

        for helpful in (False, False, False, True):
            await vote(returns.id, helpful, "2026-03-10T10:00")
        await vote(shipping.id, False, "2026-03-11T10:00")
        await vote(shipping.id, True, "2026-03-11T11:00")
        await vote(shipping.id, True, "2026-03-12T11:00")
        await vote(shipping.id, False, "2026-02-12T11:00")  # before the period
        help_session = await activity.current_session(
            session=session,
            workspace_id=other.id,
            visitor_id=None,
            source="widget",
            locale="en",
            now=at("2026-03-10T10:00"),
        )
        await activity.record_vote(
            session=session, translation=foreign, help_session=help_session, helpful=False, now=at("2026-03-10T10:00")
        )
        return {"returns_article": returns.article_id, "shipping_article": shipping.article_id}


async def _ask(workspace: WorkspaceHandle, *questions: str) -> None:
    """Conversations started with these first messages, dated 15 March 2026."""
    for question in questions:
        conversation_id = await workspace.conversation(question)
        async with create_session_factory(workspace.engine).begin() as session:
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(created_at=at("2026-03-15T12:00"))
            )


async def test_searches_and_votes_equal_the_hand_count(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    ids = await _activity(workspace, other_workspace)
    response = await client.get("/api/v1/reports/help-center", params=PARAMS, headers=workspace.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    # 6 visitors' searches in March (the inbox's, April's and the other workspace's are not), 3 found nothing.
    assert (report["searches"], report["searches_without_result"]) == (6, 3)
    top = [
        (row["query"], row["searches"], row["without_result"], row["no_result_share"]) for row in report["top_searches"]
    ]
    assert top == [("return policy", 3, 1, 33.33), ("klarna", 2, 2, 100.0), ("shipping", 1, 0, 0.0)]
    assert report["top_searches"][0]["last_searched_at"].startswith("2026-03-20T10:00")
    empty = [(row["query"], row["searches"], row["last_searched_at"][:16]) for row in report["no_result_searches"]]
    assert empty == [("klarna", 2, "2026-03-25T08:00"), ("return policy", 1, "2026-03-20T10:00")]
    voted = [(row["title"], row["locale"], row["yes"], row["no"], row["no_share"]) for row in report["most_no_votes"]]
    assert voted == [("How returns work", "en", 1, 3, 75.0), ("Shipping times", "en", 2, 1, 33.33)]
    assert report["most_no_votes"][0]["editor_path"] == f"/console/help/articles/{ids['returns_article']}/en"

    # The CSV holds the same rows.
    response = await client.get("/api/v1/reports/help-center.csv", params=PARAMS, headers=workspace.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert ["top-searches", "return policy (last 2026-03-20)", "searches", "3", ""] in rows
    assert ["most-no-votes", "How returns work (en)", "no", "3", ""] in rows
    assert ["whole-period", "Searches without result", "whole period", "3", ""] in rows

    # The other workspace sees only its own search and vote.
    response = await client.get("/api/v1/reports/help-center", params=PARAMS, headers=other_workspace.headers)
    other = response.json()
    assert other["searches"] == 1 and [row["no"] for row in other["most_no_votes"]] == [1]


async def test_content_gaps_group_unanswered_questions_by_topic(
    engine: AsyncEngine, client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        await published_article(session, workspace.id, "How returns work")
    await _ask(
        workspace,
        "Can I get an invoice for my company?",
        "I need an invoice with our company VAT number",
        "Do you send invoices to companies?",
        "Can I pay with Klarna?",
        "Is Klarna available, pay later?",
        "Klarna pay in 30 days possible?",
        "How do returns work?",  # the article answers it: not a gap
        "Hello?",  # asks nothing
    )
    response = await client.get("/api/v1/reports/help-center", params=PARAMS, headers=workspace.headers)
    report = response.json()
    assert (report["questions_read"], report["questions_unanswered"], report["questions_ungrouped"]) == (8, 6, 0)
    groups = {group["label"]: group for group in report["content_gaps"]}
    assert len(groups) == 2, groups
    invoices, klarna = report["content_gaps"]  # equal sizes: by label; terms every question used first
    assert invoices["questions"] == 3 and invoices["label"].startswith("company, invoice")
    assert klarna["questions"] == 3 and klarna["label"].startswith("klarna, pay")
    assert "Can I pay with Klarna?" in klarna["examples"] and len(klarna["examples"]) == 3
    assert not any("returns" in example for group in groups.values() for example in group["examples"])


def test_terms_are_the_searchs_stems_without_stop_words() -> None:
    assert terms("Do you send INVOICES to companies?") == terms("send invoice company")
    assert terms("shipping") == terms("shipped") == terms("Ship") == ["ship"]  # the stem the index holds
    assert terms("Wie kann ich meine Rechnung ändern?", "german") == ["rechnung", "and"]  # Snowball, folded
    assert terms("Hello? Thanks!") == []


async def test_shipping_questions_are_answered_by_a_shipping_article(
    engine: AsyncEngine, client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        await published_article(session, workspace.id, "When is my order shipped")
    await _ask(workspace, "Shipping, when?", "Has my order shipped yet?", "Ship order today")
    response = await client.get("/api/v1/reports/help-center", params=PARAMS, headers=workspace.headers)
    report = response.json()
    assert (report["questions_read"], report["questions_unanswered"]) == (3, 0), report


async def test_a_question_is_searched_in_the_visitors_language_when_articles_exist_in_it(
    engine: AsyncEngine, client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        await published_article(session, workspace.id, "Rechnung ändern", locale="de")
    await _ask(workspace, "Wie kann ich meine Rechnung ändern?", "Rechnung ändern bitte")
    async with create_session_factory(engine).begin() as session:
        await session.execute(update(Conversation).values(context={"language": "de-DE"}))
    await _ask(workspace, "Rechnung ändern?")  # no reported language: the default (English) has no such article
    response = await client.get("/api/v1/reports/help-center", params=PARAMS, headers=workspace.headers)
    report = response.json()
    assert (report["questions_read"], report["questions_unanswered"]) == (3, 1), report


async def test_a_question_from_a_german_browser_written_in_english_is_answered_by_the_english_article(
    engine: AsyncEngine, client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        await published_article(session, workspace.id, "When is my order shipped")
        await published_article(session, workspace.id, "Rechnung ändern", locale="de")
    await _ask(workspace, "Has my order shipped yet?", "Has my order shipped? It is for my mother")
    async with create_session_factory(engine).begin() as session:
        await session.execute(update(Conversation).values(context={"language": "de-DE"}))
    response = await client.get("/api/v1/reports/help-center", params=PARAMS, headers=workspace.headers)
    report = response.json()
    assert (report["questions_read"], report["questions_unanswered"]) == (2, 0), report


def test_gap_labels_hold_no_stop_word_of_either_language() -> None:
    assert terms("Has it arrived? Is my parcel late?", "german") == terms("arrived parcel late", "german")


async def test_the_pages_show_the_report_to_agents_and_the_api_needs_a_reader(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await _activity(workspace, other_workspace)
    await _ask(workspace, "Can I get an invoice for my company?", "Do you send invoices to companies?")
    await login(client, await workspace.add_agent(Role.agent))
    page = await client.get("/reports/help-center", params=PARAMS)
    assert page.status_code == 200
    assert "Self-service rate" in page.text and "Top searches" in page.text and "return policy" in page.text
    assert 'href="/reports/help-center/details?from=2026-03-01' in page.text
    details = await client.get("/reports/help-center/details", params=PARAMS)
    assert details.status_code == 200
    assert "“Can I get an invoice for my company?”" in details.text  # example questions, for agents
    assert "/console/help/articles/" in details.text and "klarna" in details.text
    csv_download = await client.get("/reports/help-center.csv", params=PARAMS)
    assert csv_download.status_code == 200 and "top-searches" in csv_download.text
    bad = await client.get("/reports/help-center/details", params={**PARAMS, "to": "2026-02-01"})
    assert bad.status_code == 422 and "ends before it begins" in bad.text

    viewer = await workspace.key_with_role(Role.viewer)
    assert (await client.get("/api/v1/reports/help-center", params=PARAMS, headers=viewer)).status_code == 403
    assert (await client.get("/api/v1/reports/help-center", params=PARAMS)).status_code == 401
    client.cookies.clear()
    await login(client, await workspace.add_agent(Role.viewer))
    assert (await client.get("/reports/help-center/details", params=PARAMS)).status_code == 403


async def test_no_votes_are_split_into_widget_and_public_help_center_votes(
    engine: AsyncEngine, client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        article = await published_article(session, workspace.id, "How returns work")
        votes = [("widget", False), ("widget", True), ("help_center", False), ("help_center", False)]
        for minute, (source, helpful) in enumerate(votes):
            when = f"2026-03-10T10:0{minute}"
            help_session = await activity.current_session(
                session=session, workspace_id=workspace.id, visitor_id=None, source=source, locale="en", now=at(when)
            )
            await activity.record_vote(
                session=session, translation=article, help_session=help_session, helpful=helpful, now=at(when)
            )
    response = await client.get("/api/v1/reports/help-center", params=PARAMS, headers=workspace.headers)
    (row,) = response.json()["most_no_votes"]
    assert (row["yes"], row["no"], row["no_share"]) == (1, 3, 75.0)
    assert (row["widget_yes"], row["widget_no"], row["public_yes"], row["public_no"]) == (1, 1, 0, 2)
    response = await client.get("/api/v1/reports/help-center.csv", params=PARAMS, headers=workspace.headers)
    rows = list(csv.reader(io.StringIO(response.text)))
    assert ["most-no-votes", "How returns work (en)", "public no", "2", ""] in rows


async def test_each_page_runs_the_gap_analysis_once_and_searches_each_question_once(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _ask(workspace, "Do you send invoices?", "do you SEND invoices", "Klarna?")
    analyses: list[int] = []
    searches: list[str] = []
    real_gaps, real_search = reports.content_gaps, gaps.search_articles

    async def counted_gaps(session: AsyncSession, controls: ReportControls) -> gaps.Gaps:
        analyses.append(controls.workspace_id)
        return await real_gaps(session, controls)

    async def counted_search(**kwargs: Any) -> SearchResults:
        searches.append(kwargs["query"])
        return await real_search(**kwargs)

    monkeypatch.setattr(reports, "content_gaps", counted_gaps)
    monkeypatch.setattr(gaps, "search_articles", counted_search)
    await login(client, await workspace.add_agent(Role.agent))
    for path in ("/reports/help-center", "/reports/help-center/details"):
        analyses.clear()
        searches.clear()
        assert (await client.get(path, params=PARAMS)).status_code == 200
        assert analyses == [workspace.id], path
        assert len(searches) == 2, searches  # the two invoice questions have the same terms
