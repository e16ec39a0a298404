"""The plain-Python reference of the customers report: every figure computed from the raw rows alone.

It does not read ``customer_figures`` and uses none of the report's helpers: the local calendar, the buckets
and the rounding are written out again here, as the docs define them (docs/reports.md, "Customers report").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import LifecycleChange, Order, OrderLine, ProductRange
from frontdesk.contacts.models import Contact
from frontdesk.reports.controls import Granularity

STAGES = ["prospect", "new", "returning", "regular", "occasional", "lapsed", "churned"]
SEGMENTS: dict[str | None, Any] = {
    None: lambda c: True,
    'country = "DE"': lambda c: c.country == "DE",
    'market = "b2b"': lambda c: c.market == "b2b",
    'country = "JP"': lambda c: False,  # a segment with no members
}


def local(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def label(day: date, granularity: Granularity) -> str:
    if granularity is Granularity.day:
        return day.isoformat()
    if granularity is Granularity.month:
        return day.strftime("%Y-%m")
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def buckets(first: date, last: date, granularity: Granularity, zone: str) -> list[tuple[str, datetime, datetime]]:
    """(label, start, end) of every bucket, the first and last clipped to the period, walking day by day."""
    found: dict[str, list[date]] = {}
    day = first
    while day <= last:
        found.setdefault(label(day, granularity), []).append(day)
        day += timedelta(days=1)
    return [(key, local(days[0], 0, 0, zone), local(days[-1] + timedelta(days=1), 0, 0, zone))
            for key, days in found.items()]  # fmt: skip


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def per(part: float, whole: int) -> float | None:
    return round(part / whole, 2) if whole else None


@dataclass
class Rows:
    contacts: dict[int, Any]  # id -> row with country, market, created_at
    orders: list[Any]  # id, buyer_id, status, total_minor, buyer_class, ordered_at
    lines: list[Any]  # order_id, range name, quantity, unit_price_minor
    history: list[Any]  # contact_id, to_stage, changed_at, id


def reference(
    rows: Rows, first: date, last: date, granularity: Granularity, zone: str, segment: str | None
) -> dict[str, Any]:
    keep = SEGMENTS[segment]
    members = {cid for cid, c in rows.contacts.items() if keep(c)}
    done = [o for o in rows.orders if o.status == "completed" and (segment is None or o.buyer_id in members)]
    first_order: dict[int, datetime] = {}
    for o in rows.orders:  # a customer's first completed order ever, whatever the segment
        if o.status == "completed" and o.buyer_id is not None:
            first_order[o.buyer_id] = min(first_order.get(o.buyer_id, o.ordered_at), o.ordered_at)
    spans = buckets(first, last, granularity, zone)
    since, until = spans[0][1], spans[-1][2]

    def figures_in(start: datetime, end: datetime) -> dict[str, Any]:
        inside = [o for o in done if start <= o.ordered_at < end]
        buyers = {o.buyer_id for o in inside if o.buyer_id is not None}
        returning = {b for b in buyers if first_order[b] < start}
        repeat = {b for b in buyers if sum(1 for o in done if o.buyer_id == b and o.ordered_at < end) >= 2}
        new = {b for b, at in first_order.items() if start <= at < end and (segment is None or b in members)}
        takings = sum(o.total_minor for o in inside)
        known = sum(1 for o in inside if o.buyer_id is not None)
        return {
            "new_customers": len(new),
            "returning_customers": len(returning),
            "active_customers": len(buyers),
            "repeat_customers": len(repeat),
            "repeat_purchase_rate": rate(len(repeat), len(buyers)),
            "orders": len(inside),
            "revenue": takings / 100,
            "average_order_value": per(takings / 100, len(inside)),
            "orders_per_customer": per(known, len(buyers)),
        }

    whole = figures_in(since, until)
    parts = [figures_in(start, end) for _, start, end in spans]
    expected: dict[str, Any] = {"labels": [key for key, _, _ in spans]}
    for name, value in whole.items():
        expected[name] = {"value": value, "by_bucket": [part[name] for part in parts]}

    def split(group_of: Any, fixed: list[str], amounts: list[tuple[Any, int]]) -> list[dict[str, Any]]:
        groups: dict[str, list[int]] = {name: [0] * len(spans) for name in fixed}
        for o, amount in amounts:
            for i, (_, start, end) in enumerate(spans):
                if start <= o.ordered_at < end:
                    groups.setdefault(group_of(o), [0] * len(spans))[i] += amount
        found = [{"name": name, "value": sum(v) / 100, "by_bucket": [a / 100 for a in v]} for name, v in groups.items()]
        if fixed:
            return sorted(found, key=lambda s: fixed.index(s["name"]) if s["name"] in fixed else len(fixed))
        return sorted(found, key=lambda s: (-s["value"], s["name"]))

    def contact_field(name: str) -> Any:
        def of(o: Any) -> str:
            contact = rows.contacts.get(o.buyer_id)
            return (getattr(contact, name) if contact is not None else None) or "unknown"

        return of

    whole_orders = [(o, o.total_minor) for o in done]
    expected["revenue_by_buyer_class"] = split(lambda o: o.buyer_class, ["consumer", "reseller"], whole_orders)
    expected["revenue_by_market"] = split(contact_field("market"), ["b2c", "b2b", "unknown"], whole_orders)
    expected["revenue_by_country"] = split(contact_field("country"), [], whole_orders)
    by_id = {o.id: o for o in done}
    expected["revenue_by_range"] = _range_split(spans, rows, by_id)

    stages = {stage: [0] * len(spans) for stage in STAGES}
    for i, (_, _, end) in enumerate(spans):
        for cid, c in rows.contacts.items():
            if c.created_at >= end or (segment is not None and cid not in members):
                continue
            changes = sorted(
                (h.changed_at, h.id, h.to_stage) for h in rows.history if h.contact_id == cid and h.changed_at < end
            )
            stage = changes[-1][2] if changes else "prospect"
            stages.setdefault(stage, [0] * len(spans))[i] += 1
    expected["lifecycle"] = [{"stage": s, "value": v[-1], "by_bucket": v} for s, v in stages.items()]

    expected["cohorts"] = cohort_reference(rows, done, first_order, first, last, zone, segment, members)
    return expected


def _range_split(
    spans: list[tuple[str, datetime, datetime]], rows: Rows, by_id: dict[int, Any]
) -> list[dict[str, Any]]:
    groups: dict[str, list[int]] = {}
    for line in rows.lines:
        o = by_id.get(line.order_id)
        if o is None:
            continue
        for i, (_, start, end) in enumerate(spans):
            if start <= o.ordered_at < end:
                groups.setdefault(line.range_name, [0] * len(spans))[i] += line.quantity * line.unit_price_minor
    found = [{"name": name, "value": sum(v) / 100, "by_bucket": [a / 100 for a in v]} for name, v in groups.items()]
    return sorted(found, key=lambda s: (-s["value"], s["name"]))


def cohort_reference(
    rows: Rows, done: list[Any], first_order: dict[int, datetime], first: date, last: date, zone: str,
    segment: str | None, members: set[int],
) -> list[dict[str, Any]]:  # fmt: skip
    tz = ZoneInfo(zone)

    def month_of(at: datetime) -> tuple[int, int]:
        day = at.astimezone(tz).date()
        return day.year, day.month

    months: list[tuple[int, int]] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    found = []
    for i, cohort in enumerate(months):
        people = {b for b, at in first_order.items() if month_of(at) == cohort and (segment is None or b in members)}
        active = [len({o.buyer_id for o in done if o.buyer_id in people and month_of(o.ordered_at) == later})
                  for later in months[i:]]  # fmt: skip
        found.append({"cohort": f"{cohort[0]:04d}-{cohort[1]:02d}", "customers": len(people), "active": active})
    return found


async def read_rows(session: AsyncSession, workspace_id: int) -> Rows:
    async def rows(*columns: Any, where: Any, join: Any = None) -> list[Any]:
        statement = select(*columns).where(where)
        if join is not None:
            statement = statement.join(*join)
        return list((await session.execute(statement)).all())

    contacts = await rows(
        Contact.id, Contact.country, Contact.market, Contact.created_at, where=Contact.workspace_id == workspace_id
    )
    orders = await rows(
        Order.id, Order.buyer_id, Order.status, Order.total_minor, Order.buyer_class, Order.ordered_at,
        where=Order.workspace_id == workspace_id,
    )  # fmt: skip
    lines = await rows(
        OrderLine.order_id, ProductRange.name.label("range_name"), OrderLine.quantity, OrderLine.unit_price_minor,
        where=OrderLine.workspace_id == workspace_id, join=(ProductRange, ProductRange.id == OrderLine.range_id),
    )  # fmt: skip
    history = await rows(
        LifecycleChange.contact_id, LifecycleChange.to_stage, LifecycleChange.changed_at, LifecycleChange.id,
        where=LifecycleChange.workspace_id == workspace_id,
    )  # fmt: skip
    return Rows({row.id: row for row in contacts}, orders, lines, history)
