"""The reports there are, and how a request's query becomes a report's controls.

Each report is one ``ReportDefinition``: the function that computes its figures (the only code that does),
the function that turns those figures into charts, and the least role that may read it. The API (JSON and
CSV), the console page and its CSV download are all made from the definition, so they show the same numbers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.inputs import BoundedDate
from frontdesk.reports.charts import Chart, charts_csv, whole_period_table
from frontdesk.reports.controls import Granularity, ReportControls, zone_of
from frontdesk.workspaces.models import Role, Workspace

ReportT = TypeVar("ReportT", bound=BaseModel)


ReportDate = BoundedDate


@dataclass(frozen=True)
class ReportQuery:
    """The controls as a request gives them; missing ones take the workspace's defaults."""

    first_day: date | None
    last_day: date | None
    granularity: Granularity
    time_zone: str | None
    segment: str | None


def report_query(
    from_: Annotated[
        ReportDate | None, Query(alias="from", description="First local day (YYYY-MM-DD); default: 12 months back")
    ] = None,
    to: Annotated[ReportDate | None, Query(description="Last local day, included (YYYY-MM-DD); default: today")] = None,
    granularity: Annotated[Granularity, Query(description="Buckets: day, ISO week or calendar month")] = (
        Granularity.month
    ),
    tz: Annotated[str | None, Query(max_length=64, description="IANA time zone; default: the workspace's")] = None,
    segment: Annotated[
        str | None,
        Query(max_length=2000, description="A saved segment's id, a built-in's key, or a rule"),
    ] = None,
) -> ReportQuery:
    return ReportQuery(from_, to, granularity, tz, segment)


async def workspace_time_zone(session: AsyncSession, workspace_id: int) -> str:
    return (await session.scalar(select(Workspace.time_zone).where(Workspace.id == workspace_id))) or "UTC"


def default_first_day(last_day: date) -> date:
    """Twelve calendar months ending with ``last_day``'s month."""
    months = last_day.year * 12 + last_day.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1)


async def controls_for(*, session: AsyncSession, workspace_id: int, query: ReportQuery) -> ReportControls:
    """The controls of a request: its own values, else the workspace's zone, today and twelve months back."""
    time_zone = query.time_zone or await workspace_time_zone(session, workspace_id)
    zone = zone_of(time_zone)
    last_day = query.last_day or datetime.now(zone).date()
    first_day = query.first_day or default_first_day(last_day)
    if query.granularity is Granularity.day and query.first_day is None:
        first_day = max(first_day, last_day - timedelta(days=89))
    return ReportControls(
        workspace_id=workspace_id,
        first_day=first_day,
        last_day=last_day,
        granularity=query.granularity,
        time_zone=time_zone,
        segment=query.segment.strip() if query.segment and query.segment.strip() else None,
    )


@dataclass(frozen=True)
class ReportDefinition(Generic[ReportT]):
    key: str  # /reports/KEY in the console, /api/v1/reports/KEY in the API
    title: str
    summary: str
    schema: type[ReportT]
    compute: Callable[[AsyncSession, ReportControls], Awaitable[ReportT]]
    charts: Callable[[ReportT], list[Chart]]
    role: Role  # the least role that may read it

    async def figures(self, session: AsyncSession, controls: ReportControls) -> tuple[ReportT, list[Chart]]:
        report = await self.compute(session, controls)
        return report, [whole_period_table(report), *self.charts(report)]

    async def csv(self, session: AsyncSession, controls: ReportControls) -> tuple[str, dict[str, str]]:
        """The report as CSV (every table of its page) and the headers naming the download."""
        _, charts = await self.figures(session, controls)
        filename = f"{self.key}-{controls.first_day}-{controls.last_day}.csv"
        return charts_csv(charts), {"Content-Disposition": f'attachment; filename="{filename}"'}
