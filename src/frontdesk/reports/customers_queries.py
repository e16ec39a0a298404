"""The SQL behind the customers report: every query aggregates in the database, grouped by bucket label.

No ORM rows are loaded: each function returns a few hundred numbers at most (buckets x groups). Definitions
are in docs/reports.md, "Customers report"; the functions in ``customers.py`` turn these numbers into figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from frontdesk.commerce.models import CustomerFigures, LifecycleChange, Order, OrderLine, OrderStatus, ProductRange
from frontdesk.contacts.models import Contact
from frontdesk.reports.controls import MAX_DAYS, Bucketing, Granularity, ReportControls

UNKNOWN = "unknown"


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def completed_orders(controls: ReportControls, members: Select[Any] | None) -> list[Any]:
    """Completed orders of the workspace (of the segment's buyers, when a segment is chosen) in the period."""
    found = [Order.workspace_id == controls.workspace_id, Order.status == OrderStatus.completed.value]
    if members is not None:
        found.append(Order.buyer_id.in_(members))
    return [*found, *controls.within(Order.ordered_at)]


async def order_totals(session: AsyncSession, controls: ReportControls, members: Select[Any] | None) -> dict[str, int]:
    """Revenue (minor units) of completed orders per bucket label."""
    buckets = Bucketing(controls, dialect_of(session))
    bucket = buckets.key(Order.ordered_at).label("bucket")
    rows = await session.execute(
        select(bucket, func.coalesce(func.sum(Order.total_minor), 0))
        .where(*completed_orders(controls, members))
        .group_by(bucket)
    )
    return {buckets.label(key): int(total) for key, total in rows.all()}


async def first_orders(session: AsyncSession, controls: ReportControls, members: Select[Any] | None) -> dict[str, int]:
    """Customers whose first completed order ever falls in each bucket (from the kept-current customer figures)."""
    F = CustomerFigures
    buckets = Bucketing(controls, dialect_of(session))
    bucket = buckets.key(F.first_order_at).label("bucket")
    where = [F.workspace_id == controls.workspace_id, *controls.within(F.first_order_at)]
    if members is not None:
        where.append(F.contact_id.in_(members))
    rows = await session.execute(select(bucket, func.count()).where(*where).group_by(bucket))
    return {buckets.label(key): int(n) for key, n in rows.all()}


@dataclass
class BuyerCounts:
    """One bucket's (or the whole period's) completed orders and the customers who placed them."""

    orders: int = 0  # every completed order, also those whose buyer was erased
    customers: int = 0  # distinct buyers with a completed order
    returning: int = 0  # of those, whose first completed order ever lies before the bucket
    repeat: int = 0  # of those, with 2 or more completed orders up to the bucket's end
    erased: int = 0  # completed orders without a buyer (erased): revenue and orders, but no customer


async def buyer_counts(
    session: AsyncSession, controls: ReportControls, members: Select[Any] | None
) -> tuple[dict[str, BuyerCounts], BuyerCounts]:
    """Per bucket and over the whole period, in one statement (the per-buyer counts are computed once).

    A buyer active in a bucket has 2+ orders up to its end exactly when their first order lies before the
    bucket (so an earlier one exists) or they placed 2+ orders in it: no order before the first exists.
    """
    buckets = Bucketing(controls, dialect_of(session))
    F = CustomerFigures
    bucket = buckets.key(Order.ordered_at).label("bucket")
    per = (
        select(bucket, Order.buyer_id.label("buyer"), func.count().label("n"))
        .where(*completed_orders(controls, members))
        .group_by(bucket, Order.buyer_id)
        .cte("per_buyer_bucket")
    )
    first = buckets.key(F.first_order_at)
    known = per.c.buyer.is_not(None)
    by_bucket = (
        select(
            literal(False).label("whole"),
            per.c.bucket,
            func.sum(per.c.n),
            func.count(per.c.buyer),
            func.sum(case((and_(known, first < per.c.bucket), 1), else_=0)),
            func.sum(case((and_(known, or_(first < per.c.bucket, per.c.n >= 2)), 1), else_=0)),
            func.sum(case((known, 0), else_=per.c.n)),
        )
        .select_from(per.outerjoin(F, F.contact_id == per.c.buyer))
        .group_by(per.c.bucket)
    )
    buyers = select(per.c.buyer, func.sum(per.c.n).label("n")).where(known).group_by(per.c.buyer).subquery("per_buyer")
    earlier = F.first_order_at < controls.since
    whole = select(
        literal(True),
        null(),
        literal(0),
        func.count(buyers.c.buyer),
        func.coalesce(func.sum(case((earlier, 1), else_=0)), 0),
        func.coalesce(func.sum(case((or_(earlier, buyers.c.n >= 2), 1), else_=0)), 0),
        literal(0),
    ).select_from(buyers.outerjoin(F, F.contact_id == buyers.c.buyer))
    found: dict[str, BuyerCounts] = {}
    total = BuyerCounts()
    for is_whole, key, *numbers in (await session.execute(union_all(by_bucket, whole))).all():
        counts = BuyerCounts(*(int(n or 0) for n in numbers))
        if is_whole:
            total = counts
        else:
            found[buckets.label(key)] = counts
    # The whole period's orders are the buckets' sum, erased buyers' orders included.
    total.orders = sum(counts.orders for counts in found.values())
    total.erased = sum(counts.erased for counts in found.values())
    return found, total


@dataclass
class SplitRows:
    """Revenue (minor units) per (bucket, group) for each way of splitting it."""

    buyer_class: dict[tuple[str, str], int] = field(default_factory=dict)
    market: dict[tuple[str, str], int] = field(default_factory=dict)
    country: dict[tuple[str, str], int] = field(default_factory=dict)
    product_range: dict[tuple[str, str], int] = field(default_factory=dict)


async def revenue_splits(session: AsyncSession, controls: ReportControls, members: Select[Any] | None) -> SplitRows:
    """Completed orders' revenue by buyer class, by the buyer's market and country, and by product range."""
    buckets = Bucketing(controls, dialect_of(session))
    split = SplitRows()
    bucket = buckets.key(Order.ordered_at).label("bucket")
    rows = await session.execute(
        select(bucket, Order.buyer_class, Contact.market, Contact.country, func.sum(Order.total_minor))
        .select_from(Order)
        .outerjoin(Contact, Contact.id == Order.buyer_id)
        .where(*completed_orders(controls, members))
        .group_by(bucket, Order.buyer_class, Contact.market, Contact.country)
    )
    for key, buyer_class, market, country, total in rows.all():
        label = buckets.label(key)
        for into, key in ((split.buyer_class, buyer_class), (split.market, market), (split.country, country)):
            into[(label, key or UNKNOWN)] = into.get((label, key or UNKNOWN), 0) + int(total)
    names = dict(
        (await session.execute(
            select(ProductRange.id, ProductRange.name).where(ProductRange.workspace_id == controls.workspace_id)
        )).all()
    )  # fmt: skip
    line_bucket = buckets.key(Order.ordered_at).label("bucket")
    lines = await session.execute(
        select(line_bucket, OrderLine.range_id, func.sum(OrderLine.quantity * OrderLine.unit_price_minor))
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.workspace_id == controls.workspace_id, *completed_orders(controls, members))
        .group_by(line_bucket, OrderLine.range_id)
    )
    for key, range_id, total in lines.all():
        group = (buckets.label(key), names.get(range_id, f"range {range_id}"))
        split.product_range[group] = split.product_range.get(group, 0) + int(total)
    return split


@dataclass(frozen=True)
class StageSpan:
    """``contacts`` contacts were in ``stage`` from bucket ``start`` until just before bucket ``end``."""

    start: str  # a bucket label, or BEFORE
    end: str | None  # None: to the end of the period
    stage: str
    contacts: int
    first: bool  # the span begins with the contacts' first stage change


async def stage_spans(
    session: AsyncSession, controls: ReportControls, members: Select[Any] | None
) -> tuple[list[StageSpan], dict[str, int]]:
    """The lifecycle history as spans of buckets, and the contacts created per bucket (BEFORE: earlier).

    For each contact, the last change in each bucket holds until the bucket of its next change: a window
    over the history ordered by time, so merged histories (whose from_stage need not chain) count right.
    """
    buckets = Bucketing(controls, dialect_of(session))
    H = LifecycleChange
    where = [H.workspace_id == controls.workspace_id, H.changed_at < controls.until]
    if members is not None:
        where.append(H.contact_id.in_(members))
    bucket = buckets.key(H.changed_at)
    history = (
        select(
            bucket.label("bucket"),
            func.lead(bucket).over(partition_by=H.contact_id, order_by=(H.changed_at, H.id)).label("next"),
            func.min(bucket).over(partition_by=H.contact_id).label("first"),
            H.to_stage.label("stage"),
        )
        .where(*where)
        .subquery("history")
    )
    h = history.c
    rows = await session.execute(
        select(h.bucket, h.next, h.stage, h.bucket == h.first, func.count())
        .where(or_(h.next.is_(None), h.next != h.bucket))
        .group_by(h.bucket, h.next, h.stage, h.bucket == h.first)
    )
    spans = [
        StageSpan(buckets.label(start), None if end is None else buckets.label(end), stage, int(n), bool(first))
        for start, end, stage, first, n in rows.all()
    ]
    created_where = [Contact.workspace_id == controls.workspace_id, Contact.created_at < controls.until]
    if members is not None:
        created_where.append(Contact.id.in_(members))
    created_bucket = buckets.key(Contact.created_at).label("bucket")
    created = await session.execute(select(created_bucket, func.count()).where(*created_where).group_by(created_bucket))
    return spans, {buckets.label(key): int(n) for key, n in created.all()}


def month_controls(controls: ReportControls) -> ReportControls:
    """The controls widened to whole local months: the first of ``from``'s month to the last of ``to``'s.

    A period already as long as a report may be keeps its first day (its first month is then partial)
    rather than being refused for a length the user did not ask for.
    """
    following = date(controls.last_day.year + controls.last_day.month // 12, controls.last_day.month % 12 + 1, 1)
    last = following - timedelta(days=1)
    first = controls.first_day.replace(day=1)
    if (last - first).days + 1 > MAX_DAYS:
        first = controls.first_day
        last = min(last, first + timedelta(days=MAX_DAYS - 1))
    return replace(controls, first_day=first, last_day=last, granularity=Granularity.month)


async def cohort_counts(
    session: AsyncSession, months: ReportControls, members: Select[Any] | None
) -> dict[tuple[str, str], int]:
    """(cohort month, order month) -> the cohort's customers with a completed order in that month."""
    buckets = Bucketing(months, dialect_of(session))
    F = CustomerFigures
    cohort = buckets.key(F.first_order_at).label("cohort")
    month = buckets.key(Order.ordered_at).label("month")
    rows = await session.execute(
        select(cohort, month, func.count(func.distinct(Order.buyer_id)))
        .select_from(Order)
        .join(F, F.contact_id == Order.buyer_id)
        .where(
            *completed_orders(months, members), F.workspace_id == months.workspace_id, *months.within(F.first_order_at)
        )
        .group_by(cohort, month)
    )
    return {(buckets.label(c), buckets.label(m)): int(n) for c, m, n in rows.all()}


def stage_order(found: Sequence[str], known: Sequence[str]) -> list[str]:
    """The known stages in their order, then any other stage the history holds, alphabetically."""
    return [*known, *sorted(set(found) - set(known))]
