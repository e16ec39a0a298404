"""The help center report: self-service rate, top searches, searches without a result, the articles most often
voted "no", and content gaps. Definitions: docs/help-center.md, "Reports".

Each figure is computed by one function here; the API (``/api/v1/reports/help-center``), its CSV and the console
page are made from ``DEFINITION`` in the reports registry, so they show the same numbers.

Self-service rate (the one definition; docs/help-center.md says the same): widget sessions started in the
period in which the visitor searched, opened an article and started no conversation within 24 hours of the first
opening, against all *decided* widget sessions with a search started in the period. A session is *pending*, and
counted in neither number, while its 24 hours after the first opening are not over and it has no conversation
(the page says how many), so today's rate does not rise and then fall as chats arrive; every other session with
a search is decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.db import utcnow
from frontdesk.helpcenter.gaps import EXAMPLES, QUESTION_CAP, content_gaps
from frontdesk.helpcenter.models import HelpSearch, HelpSession, HelpTranslation, HelpVote
from frontdesk.reports.charts import Chart, Series
from frontdesk.reports.controls import ReportControls
from frontdesk.reports.figures import rate
from frontdesk.reports.registry import ReportDefinition
from frontdesk.workspaces.models import Role

CHAT_WINDOW = timedelta(hours=24)
TOP = 20  # rows of each list
VISITOR_SOURCES = ("widget", "help_center")  # agents' searches from the inbox are not visitors' questions


class SelfServiceRow(BaseModel):
    searched_sessions: int = Field(
        description="Widget sessions with a search started in the period, pending ones left out (denominator)"
    )
    self_served: int = Field(
        description="Of those, an article was opened and no chat followed within 24 hours of the first opening"
    )
    pending: int = Field(
        description="Sessions whose 24 hours after the first opened article have not ended yet "
        "and that have no chat so far: in neither number"
    )
    rate: float | None = Field(description="self_served per 100 searched_sessions, 2 decimals; empty without any")


class TopSearch(BaseModel):
    query: str = Field(description="The query lower-cased with spaces collapsed")
    searches: int
    without_result: int = Field(description="How many of these searches found nothing")
    no_result_share: float | None = Field(description="without_result per 100 searches, 2 decimals")
    last_searched_at: datetime


class NoResultSearch(BaseModel):
    query: str
    searches: int
    last_searched_at: datetime


class VotedArticle(BaseModel):
    article_id: int
    translation_id: int
    locale: str
    title: str
    yes: int = Field(description="'Yes' votes, widget and public help center")
    no: int = Field(description="'No' votes, widget and public help center (the ranking)")
    no_share: float | None = Field(description="no per 100 votes, 2 decimals")
    widget_yes: int = Field(description="'Yes' votes from the widget (one per visitor session)")
    widget_no: int = Field(description="'No' votes from the widget (one per visitor session)")
    public_yes: int = Field(description="'Yes' votes from the public help center (anonymous: not one per person)")
    public_no: int = Field(description="'No' votes from the public help center (anonymous: not one per person)")
    editor_path: str = Field(description="The article's page in the console")


class GapGroup(BaseModel):
    label: str = Field(description="The group's most common terms")
    questions: int
    examples: list[str] = Field(description=f"Up to {EXAMPLES} of the questions, as the visitors wrote them")
    conversation_ids: list[int]


class HelpCenterReport(BaseModel):
    labels: list[str] = Field(description="The buckets, in order; self_service_by_bucket follows them")
    first_day: date
    last_day: date
    granularity: str
    time_zone: str
    self_service: SelfServiceRow = Field(description="Over the whole period (sessions by when they started)")
    self_service_by_bucket: list[SelfServiceRow]
    searches: int = Field(description="Visitors' searches in the period (widget and public help center)")
    searches_without_result: int
    top_searches: list[TopSearch] = Field(description=f"The {TOP} most frequent queries, most first")
    no_result_searches: list[NoResultSearch] = Field(description=f"The {TOP} most frequent queries that found nothing")
    most_no_votes: list[VotedArticle] = Field(description=f"The {TOP} articles with the most 'no' votes in the period")
    questions_read: int = Field(description=f"Chat questions read for content gaps (the latest {QUESTION_CAP})")
    questions_unanswered: int = Field(description="Of those, how many no published article answers")
    questions_ungrouped: int = Field(description="Unanswered questions like no other one")
    content_gaps: list[GapGroup] = Field(description="Unanswered questions grouped by topic, biggest first")


@dataclass
class _Tally:
    searched: int = 0
    served: int = 0
    pending: int = 0

    def row(self) -> SelfServiceRow:
        decided = self.searched - self.pending
        return SelfServiceRow(
            searched_sessions=decided, self_served=self.served, pending=self.pending, rate=rate(self.served, decided)
        )


async def self_service(
    session: AsyncSession, controls: ReportControls, *, now: datetime | None = None
) -> tuple[SelfServiceRow, list[SelfServiceRow]]:
    """The self-service rate over the period and per bucket (each session in the bucket it started in)."""
    now = now or utcnow()
    sessions = (
        await session.execute(
            select(HelpSession.id, HelpSession.started_at, HelpSession.first_opened_at).where(
                HelpSession.workspace_id == controls.workspace_id,
                HelpSession.source == "widget",
                HelpSession.searched.is_(True),
                *controls.within(HelpSession.started_at),
            )
        )
    ).all()
    # The first conversation of the session's visitor at or after the first opening (24 hours are checked below,
    # in Python, so no database needs interval arithmetic).
    chats = dict(
        (
            await session.execute(
                select(HelpSession.id, func.min(Conversation.created_at))
                .join(
                    Conversation,
                    (Conversation.visitor_id == HelpSession.visitor_id)
                    & (Conversation.workspace_id == HelpSession.workspace_id)
                    & (Conversation.created_at >= HelpSession.first_opened_at),
                )
                .where(
                    HelpSession.workspace_id == controls.workspace_id,
                    HelpSession.source == "widget",
                    HelpSession.searched.is_(True),
                    *controls.within(HelpSession.started_at),
                )
                .group_by(HelpSession.id)
            )
        ).all()
    )
    whole = _Tally()
    by_label = {label: _Tally() for label in controls.labels()}
    for session_id, started_at, opened_at in sessions:
        tallies = (whole, by_label[controls.bucket_label(started_at)])
        chat_at = chats.get(session_id)
        chatted = chat_at is not None and opened_at is not None and chat_at <= opened_at + CHAT_WINDOW
        for tally in tallies:
            tally.searched += 1
            if opened_at is not None and not chatted:
                if opened_at + CHAT_WINDOW > now:
                    tally.pending += 1
                else:
                    tally.served += 1
    return whole.row(), [tally.row() for tally in by_label.values()]


async def search_counts(session: AsyncSession, controls: ReportControls) -> tuple[int, int]:
    """Visitors' searches in the period, and how many of them found nothing."""
    total, empty = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(case((HelpSearch.result_count == 0, 1), else_=0)), 0)).where(
                HelpSearch.workspace_id == controls.workspace_id,
                HelpSearch.source.in_(VISITOR_SOURCES),
                *controls.within(HelpSearch.created_at),
            )
        )
    ).one()
    return int(total), int(empty)


async def top_searches(session: AsyncSession, controls: ReportControls, *, only_empty: bool = False) -> list[TopSearch]:
    """The most frequent normalised queries (``only_empty``: of the searches that found nothing)."""
    conditions = [
        HelpSearch.workspace_id == controls.workspace_id,
        HelpSearch.source.in_(VISITOR_SOURCES),
        *controls.within(HelpSearch.created_at),
    ]
    if only_empty:
        conditions.append(HelpSearch.result_count == 0)
    searches = func.count().label("searches")
    rows = await session.execute(
        select(
            HelpSearch.normalized_query,
            searches,
            func.sum(case((HelpSearch.result_count == 0, 1), else_=0)),
            func.max(HelpSearch.created_at),
        )
        .where(*conditions)
        .group_by(HelpSearch.normalized_query)
        .order_by(searches.desc(), HelpSearch.normalized_query)
        .limit(TOP)
    )
    return [
        TopSearch(
            query=query,
            searches=count,
            without_result=int(empty or 0),
            no_result_share=rate(int(empty or 0), count),
            last_searched_at=last,
        )
        for query, count, empty, last in rows
    ]


async def most_no_votes(session: AsyncSession, controls: ReportControls) -> list[VotedArticle]:
    """Articles (one row per language version) by "no" votes given in the period, most first. The public help
    center's votes are counted apart: it sets no cookie, so each of its votes makes a session of its own."""

    def votes(helpful: bool, source: str) -> Any:
        return func.sum(case(((HelpVote.helpful.is_(helpful)) & (HelpSession.source == source), 1), else_=0))

    yes = func.sum(case((HelpVote.helpful.is_(True), 1), else_=0))
    no = func.sum(case((HelpVote.helpful.is_(False), 1), else_=0)).label("no")
    rows = await session.execute(
        select(
            HelpTranslation,
            votes(True, "widget"),
            votes(False, "widget"),
            votes(True, "help_center"),
            votes(False, "help_center"),
            yes,
            no,
        )
        .join(HelpVote, HelpVote.translation_id == HelpTranslation.id)
        .join(HelpSession, HelpSession.id == HelpVote.session_id)
        .where(HelpVote.workspace_id == controls.workspace_id, *controls.within(HelpVote.updated_at))
        .group_by(HelpTranslation.id)
        .having(no > 0)
        .order_by(no.desc(), HelpTranslation.id)
        .limit(TOP)
    )
    found = []
    for translation, *counts in rows:
        widget_yes, widget_no, public_yes, public_no, all_yes, all_no = (int(count or 0) for count in counts)
        found.append(
            VotedArticle(
                article_id=translation.article_id,
                translation_id=translation.id,
                locale=translation.locale,
                title=translation.published_title or translation.title,
                yes=all_yes,
                no=all_no,
                no_share=rate(all_no, all_yes + all_no),
                widget_yes=widget_yes,
                widget_no=widget_no,
                public_yes=public_yes,
                public_no=public_no,
                editor_path=f"/console/help/articles/{translation.article_id}/{translation.locale}",
            )
        )
    return found


async def help_center_report(session: AsyncSession, controls: ReportControls) -> HelpCenterReport:
    whole, by_bucket = await self_service(session, controls)
    total, empty = await search_counts(session, controls)
    gaps = await content_gaps(session, controls)
    return HelpCenterReport(
        labels=controls.labels(),
        first_day=controls.first_day,
        last_day=controls.last_day,
        granularity=controls.granularity.value,
        time_zone=controls.time_zone,
        self_service=whole,
        self_service_by_bucket=by_bucket,
        searches=total,
        searches_without_result=empty,
        top_searches=await top_searches(session, controls),
        no_result_searches=[
            NoResultSearch(query=row.query, searches=row.searches, last_searched_at=row.last_searched_at)
            for row in await top_searches(session, controls, only_empty=True)
        ],
        most_no_votes=await most_no_votes(session, controls),
        questions_read=gaps.questions_read,
        questions_unanswered=gaps.unanswered,
        questions_ungrouped=gaps.ungrouped,
        content_gaps=[
            GapGroup(
                label=group.label,
                questions=len(group.questions),
                examples=[question.text for question in group.questions[:EXAMPLES]],
                conversation_ids=[question.conversation_id for question in group.questions],
            )
            for group in gaps.groups
        ],
    )


def charts(report: HelpCenterReport) -> list[Chart]:
    def day(moment: datetime) -> str:
        return moment.date().isoformat()

    return [
        Chart(
            key="self-service-rate",
            title="Self-service rate",
            kind="line",
            unit="%",
            labels=report.labels,
            series=[Series("Self-service rate", [row.rate for row in report.self_service_by_bucket])],
            extra_rows=[
                Series(
                    "Widget sessions with a search", [row.searched_sessions for row in report.self_service_by_bucket]
                ),
                Series("Self-served", [row.self_served for row in report.self_service_by_bucket]),
                Series("Pending (24 hours not over)", [row.pending for row in report.self_service_by_bucket]),
            ],
            note="Widget sessions with a search in which an article was opened and no chat followed within 24 hours "
            "of the first opening, against all widget sessions with a search; pending sessions (24 hours not over, "
            "no chat yet) are in neither number.",
        ),
        Chart(
            key="top-searches",
            title="Top searches",
            kind="table",
            labels=["searches", "without result", "without result (%)"],
            series=[
                Series(
                    f"{row.query} (last {day(row.last_searched_at)})",
                    [row.searches, row.without_result, row.no_result_share],
                )
                for row in report.top_searches
            ],
        ),
        Chart(
            key="no-result-searches",
            title="Searches with no result",
            kind="table",
            labels=["searches"],
            series=[
                Series(f"{row.query} (last {day(row.last_searched_at)})", [row.searches])
                for row in report.no_result_searches
            ],
        ),
        Chart(
            key="most-no-votes",
            title="Articles with the most “no” votes",
            kind="table",
            labels=["yes", "no", "no (%)", "widget yes", "widget no", "public yes", "public no"],
            series=[
                Series(
                    f"{row.title} ({row.locale})",
                    [row.yes, row.no, row.no_share, row.widget_yes, row.widget_no, row.public_yes, row.public_no],
                )
                for row in report.most_no_votes
            ],
            note="Widget votes count once per visitor session; public help center votes are anonymous (no cookie), "
            "so one person can vote more than once there.",
        ),
        Chart(
            key="content-gaps",
            title="Content gaps",
            kind="table",
            labels=["questions"],
            series=[Series(group.label, [group.questions]) for group in report.content_gaps],
            note=f"Chat questions no article answers, grouped by topic (the latest {QUESTION_CAP} conversations of "
            "the period are read). Example questions: “Details and example questions” above.",
        ),
    ]


DEFINITION = ReportDefinition(
    key="help-center",
    title="Help center",
    summary="Help center report: self-service rate, top searches, searches with no result, 'no' votes, content gaps",
    schema=HelpCenterReport,
    compute=help_center_report,
    charts=charts,
    role=Role.agent,
)
