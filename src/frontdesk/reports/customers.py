"""The customers report. (Stub: being written.)"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.reports.charts import Chart
from frontdesk.reports.controls import ReportControls
from frontdesk.reports.figures import Figure
from frontdesk.reports.registry import ReportDefinition
from frontdesk.workspaces.models import Role


class CustomersReport(BaseModel):
    labels: list[str]


async def new_customers(session: AsyncSession, controls: ReportControls) -> Figure:
    """(Stub: being written.) The dashboard and the report both read this figure here."""
    return Figure(value=None, by_bucket=[None] * len(controls.buckets()))


async def repeat_purchase_rate(session: AsyncSession, controls: ReportControls) -> Figure:
    """(Stub: being written.) The dashboard and the report both read this figure here."""
    return Figure(value=None, by_bucket=[None] * len(controls.buckets()))


async def revenue(session: AsyncSession, controls: ReportControls) -> Figure:
    """(Stub: being written.) The dashboard and the report both read this figure here."""
    return Figure(value=None, by_bucket=[None] * len(controls.buckets()))


async def customers_report(session: AsyncSession, controls: ReportControls) -> CustomersReport:
    return CustomersReport(labels=controls.labels())


def charts(report: CustomersReport) -> list[Chart]:
    return []


DEFINITION = ReportDefinition(
    key="customers",
    title="Customers",
    summary="Customers report",
    schema=CustomersReport,
    compute=customers_report,
    charts=charts,
    role=Role.admin,
)


class Cohort(BaseModel):
    cohort: str  # YYYY-MM, the local month of the customers' first completed order
    customers: int
    active: list[int]  # active[k]: the cohort's customers with a completed order in month cohort + k


class CohortReport(BaseModel):
    cohorts: list[Cohort]


async def cohorts(session: AsyncSession, controls: ReportControls) -> CohortReport:
    return CohortReport(cohorts=[])
