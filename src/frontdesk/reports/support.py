"""The support report. (Stub: being written.)"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.reports.charts import Chart
from frontdesk.reports.controls import ReportControls
from frontdesk.reports.figures import Figure
from frontdesk.reports.registry import ReportDefinition
from frontdesk.workspaces.models import Role


class SupportReport(BaseModel):
    labels: list[str]


async def first_response_minutes(session: AsyncSession, controls: ReportControls) -> Figure:
    """(Stub: being written.) The dashboard and the report both read this figure here."""
    return Figure(value=None, by_bucket=[None] * len(controls.buckets()))


async def csat(session: AsyncSession, controls: ReportControls) -> Figure:
    """(Stub: being written.) The dashboard and the report both read this figure here."""
    return Figure(value=None, by_bucket=[None] * len(controls.buckets()))


async def support_report(session: AsyncSession, controls: ReportControls) -> SupportReport:
    return SupportReport(labels=controls.labels())


def charts(report: SupportReport) -> list[Chart]:
    return []


DEFINITION = ReportDefinition(
    key="support",
    title="Support",
    summary="Support report",
    schema=SupportReport,
    compute=support_report,
    charts=charts,
    role=Role.agent,
)
