"""The feedback report. (Stub: being written.)"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.reports.charts import Chart
from frontdesk.reports.controls import ReportControls
from frontdesk.reports.figures import Figure
from frontdesk.reports.registry import ReportDefinition
from frontdesk.workspaces.models import Role


class FeedbackReport(BaseModel):
    labels: list[str]


async def nps(session: AsyncSession, controls: ReportControls) -> Figure:
    """(Stub: being written.) The dashboard and the report both read this figure here."""
    return Figure(value=None, by_bucket=[None] * len(controls.buckets()))


async def complaint_rate(session: AsyncSession, controls: ReportControls) -> Figure:
    """(Stub: being written.) The dashboard and the report both read this figure here."""
    return Figure(value=None, by_bucket=[None] * len(controls.buckets()))


async def feedback_report(session: AsyncSession, controls: ReportControls) -> FeedbackReport:
    return FeedbackReport(labels=controls.labels())


def charts(report: FeedbackReport) -> list[Chart]:
    return []


DEFINITION = ReportDefinition(
    key="feedback",
    title="Feedback",
    summary="Feedback report",
    schema=FeedbackReport,
    compute=feedback_report,
    charts=charts,
    role=Role.admin,
)
