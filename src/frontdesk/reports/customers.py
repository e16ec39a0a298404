"""The customers report: new and returning customers, repeat purchases, retention cohorts, lifecycle stages,
revenue and how it splits, average order value and orders per customer (docs/reports.md, "Customers report").

Each figure is computed by one function here; the report, its charts and CSV, the API and the dashboard all
call it. Only completed orders count, anywhere: a refunded or cancelled order counts in no period.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.models import BuyerClass, Lifecycle
from frontdesk.commerce.schemas import from_minor
from frontdesk.contacts.models import Market
from frontdesk.reports import customers_queries as q
from frontdesk.reports.charts import Chart
from frontdesk.reports.controls import BEFORE, ReportControls, segment_members
from frontdesk.reports.customers_charts import customer_charts
from frontdesk.reports.figures import Figure, rate, ratio
from frontdesk.reports.registry import ReportDefinition
from frontdesk.workspaces.models import Role


class Split(BaseModel):
    """One group of a revenue split: its revenue over the period and per bucket, in major units."""

    name: str
    value: float
    by_bucket: list[float]


class StageCounts(BaseModel):
    """Contacts in one lifecycle stage at the end of each bucket; ``value``: at the end of the period."""

    stage: str
    value: int
    by_bucket: list[int]


class Cohort(BaseModel):
    cohort: str  # YYYY-MM, the local month of the customers' first completed order
    customers: int
    active: list[int]  # active[k]: the cohort's customers with a completed order in month cohort + k


class CohortShares(Cohort):
    shares: list[float | None]  # shares[k]: percent of the cohort's customers active in month cohort + k


class CohortReport(BaseModel):
    cohorts: list[Cohort]


class CustomersReport(BaseModel):
    labels: list[str]
    first_day: date
    last_day: date
    granularity: str
    time_zone: str
    segment: str | None
    currency: str
    new_customers: Figure
    returning_customers: Figure
    active_customers: Figure  # customers with a completed order
    repeat_customers: Figure
    repeat_purchase_rate: Figure  # percent
    orders: Figure  # completed orders
    revenue: Figure  # major units of ``currency``
    average_order_value: Figure
    orders_per_customer: Figure
    revenue_by_buyer_class: list[Split]
    revenue_by_market: list[Split]
    revenue_by_country: list[Split]
    revenue_by_range: list[Split]
    lifecycle: list[StageCounts]
    cohort_months: list[str]  # the matrix's columns: M0, M1, ...
    cohorts: list[CohortShares]


async def _members(session: AsyncSession, controls: ReportControls) -> Select[Any] | None:
    return await segment_members(session=session, controls=controls)


def _per_bucket(controls: ReportControls, found: Mapping[str, float]) -> list[float]:
    return [found.get(label, 0) for label in controls.labels()]


async def new_customers(session: AsyncSession, controls: ReportControls) -> Figure:
    """Customers whose first completed order ever falls in the period (in each bucket)."""
    found = await q.first_orders(session, controls, await _members(session, controls))
    return Figure(value=sum(found.values()), by_bucket=list(_per_bucket(controls, found)))


async def _repeat(
    session: AsyncSession, controls: ReportControls, members: Select[Any] | None
) -> tuple[dict[str, q.BuyerCounts], q.BuyerCounts, Figure]:
    by_bucket, whole = await q.buyer_counts(session, controls, members)
    empty = q.BuyerCounts()
    figure = Figure(
        value=rate(whole.repeat, whole.customers),
        by_bucket=[rate(c.repeat, c.customers) for c in (by_bucket.get(label, empty) for label in controls.labels())],
    )
    return by_bucket, whole, figure


async def repeat_purchase_rate(session: AsyncSession, controls: ReportControls) -> Figure:
    """Percent of the customers with a completed order in the period (bucket) who have 2 or more completed
    orders up to its end; ``None`` when nobody bought."""
    return (await _repeat(session, controls, await _members(session, controls)))[2]


async def _currency(session: AsyncSession, workspace_id: int) -> str:
    return (await get_commerce_settings(session=session, workspace_id=workspace_id)).currency


def major(amount: int, currency: str) -> float:
    """Minor units (summed as integers) as the currency's major units."""
    return float(from_minor(amount, currency))


async def revenue(session: AsyncSession, controls: ReportControls) -> Figure:
    """The sum of completed orders' totals, in the workspace currency's major units."""
    currency = await _currency(session, controls.workspace_id)
    found = await q.order_totals(session, controls, await _members(session, controls))
    return Figure(
        value=major(sum(found.values()), currency),
        by_bucket=[major(found.get(label, 0), currency) for label in controls.labels()],
    )


def _splits(controls: ReportControls, rows: dict[tuple[str, str], int], currency: str, fixed: list[str]) -> list[Split]:
    """Every group that has a completed order (``fixed`` groups always), the largest first."""
    labels = controls.labels()
    groups = {*fixed, *(group for _, group in rows)}
    found = [
        Split(
            name=group,
            value=major(sum(rows.get((label, group), 0) for label in labels), currency),
            by_bucket=[major(rows.get((label, group), 0), currency) for label in labels],
        )
        for group in groups
    ]
    if fixed:
        return sorted(found, key=lambda split: fixed.index(split.name) if split.name in fixed else len(fixed))
    return sorted(found, key=lambda split: (-split.value, split.name))


def _lifecycle(controls: ReportControls, spans: list[q.StageSpan], created: dict[str, int]) -> list[StageCounts]:
    """Contacts per stage at the end of each bucket: the stage of their last change before it, else prospect.

    A contact counts from its creation; one whose first change lies in a bucket stops being a prospect
    without history there.
    """
    labels = controls.labels()
    index = {label: i for i, label in enumerate(labels)}
    size = len(labels)
    stages = q.stage_order([span.stage for span in spans], [stage.value for stage in Lifecycle])
    # Each span adds its contacts from its first bucket up to (not including) its end: a difference array,
    # summed once, so the work is one step per span and per bucket (not per span and bucket).
    deltas = {stage: [0] * (size + 1) for stage in stages}
    first_changes = [0] * size
    for span in spans:
        start = 0 if span.start == BEFORE else index[span.start]
        end = size if span.end is None else index[span.end]
        deltas[span.stage][start] += span.contacts
        deltas[span.stage][end] -= span.contacts
        if span.first:
            first_changes[start] += span.contacts
    counts = {stage: list(itertools.accumulate(deltas[stage][:size])) for stage in stages}
    created_by = [0] * size
    for label, n in created.items():
        created_by[0 if label == BEFORE else index[label]] += n
    # Contacts without a change yet are prospects: created so far, less those whose first change came so far.
    for i, (created_so_far, changed_so_far) in enumerate(
        zip(itertools.accumulate(created_by), itertools.accumulate(first_changes), strict=True)
    ):
        counts[Lifecycle.prospect.value][i] += created_so_far - changed_so_far
    return [StageCounts(stage=s, value=counts[s][-1] if size else 0, by_bucket=counts[s]) for s in stages]


async def _cohorts(session: AsyncSession, controls: ReportControls, members: Select[Any] | None) -> list[Cohort]:
    months = q.month_controls(controls)
    found = await q.cohort_counts(session, months, members)
    labels = months.labels()
    return [
        Cohort(
            cohort=cohort,
            customers=found.get((cohort, cohort), 0),
            active=[found.get((cohort, month), 0) for month in labels[i:]],
        )
        for i, cohort in enumerate(labels)
    ]


async def cohorts(session: AsyncSession, controls: ReportControls) -> CohortReport:
    """The retention matrix by local month of first completed order, for the months from ``from`` to ``to``."""
    return CohortReport(cohorts=await _cohorts(session, controls, await _members(session, controls)))


async def customers_report(session: AsyncSession, controls: ReportControls) -> CustomersReport:
    members = await _members(session, controls)
    currency = await _currency(session, controls.workspace_id)
    labels = controls.labels()
    new = await new_customers(session, controls)
    by_bucket, whole, repeat_rate = await _repeat(session, controls, members)
    takings = await revenue(session, controls)
    empty = q.BuyerCounts()
    buckets = [by_bucket.get(label, empty) for label in labels]
    splits = await q.revenue_splits(session, controls, members)
    spans, created = await q.stage_spans(session, controls, members)
    matrix = await _cohorts(session, controls, members)
    longest = len(matrix[0].active) if matrix else 0
    return CustomersReport(
        labels=labels,
        first_day=controls.first_day,
        last_day=controls.last_day,
        granularity=controls.granularity.value,
        time_zone=controls.time_zone,
        segment=controls.segment,
        currency=currency,
        new_customers=new,
        returning_customers=Figure(value=whole.returning, by_bucket=[c.returning for c in buckets]),
        active_customers=Figure(value=whole.customers, by_bucket=[c.customers for c in buckets]),
        repeat_customers=Figure(value=whole.repeat, by_bucket=[c.repeat for c in buckets]),
        repeat_purchase_rate=repeat_rate,
        orders=Figure(value=whole.orders, by_bucket=[c.orders for c in buckets]),
        revenue=takings,
        average_order_value=Figure(
            value=ratio(takings.value or 0, whole.orders),
            by_bucket=[ratio(value or 0, c.orders) for value, c in zip(takings.by_bucket, buckets, strict=True)],
        ),
        orders_per_customer=Figure(
            value=ratio(whole.orders - whole.erased, whole.customers),
            by_bucket=[ratio(c.orders - c.erased, c.customers) for c in buckets],
        ),
        revenue_by_buyer_class=_splits(controls, splits.buyer_class, currency, [c.value for c in BuyerClass]),
        revenue_by_market=_splits(controls, splits.market, currency, [m.value for m in Market] + [q.UNKNOWN]),
        revenue_by_country=_splits(controls, splits.country, currency, []),
        revenue_by_range=_splits(controls, splits.product_range, currency, []),
        lifecycle=_lifecycle(controls, spans, created),
        cohort_months=[f"M{k}" for k in range(longest)],
        cohorts=[CohortShares(**c.model_dump(), shares=[rate(n, c.customers) for n in c.active]) for c in matrix],
    )


def charts(report: CustomersReport) -> list[Chart]:
    return customer_charts(report)


DEFINITION = ReportDefinition(
    key="customers",
    title="Customers",
    summary="Customers report: new and returning customers, repeat purchases, cohorts, lifecycle, revenue",
    schema=CustomersReport,
    compute=customers_report,
    charts=charts,
    role=Role.admin,
)
