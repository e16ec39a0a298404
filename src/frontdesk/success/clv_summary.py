"""Each buyer's purchase summary for the purchase models, computed by the database in one pass over orders.

Following Fader, Hardie & Lee: a customer's completed orders on one calendar day of the workspace's time zone
are one purchase occasion. Per buyer: frequency = occasions - 1; recency = last occasion's day - first
occasion's day; age (T) = the as-of instant's local day - first occasion's day; monetary = mean revenue of
the repeat occasions (all revenue but the first occasion's, over frequency), 0 without repeats. Whole days.

The database groups orders by (buyer, local day), marks each buyer's first day with a window over that
grouping, and returns one row per buyer: a million buyers' rows, never five million orders. Revenue is each
order's total in the workspace currency's minor unit, as the customer figures count it (commerce/figures.py:
orders are checked to be in the workspace's currency when written).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Date, Float, Integer, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import Order, OrderStatus
from frontdesk.db import Base
from frontdesk.reports.controls import local_time_sql, zone_of
from frontdesk.workspaces.models import Workspace

ORDERS = Base.metadata.tables[Order.__tablename__]
EPOCH = date(1970, 1, 1)
# SQLite: julianday('1970-01-01') is 2440587.5 (Julian days begin at noon).
UNIX_EPOCH_JULIAN_DAY = 2440587.5


@dataclass(frozen=True)
class PurchaseSummary:
    contact_id: NDArray[np.int64]
    frequency: NDArray[np.float64]  # repeat occasions
    recency: NDArray[np.float64]  # days, first occasion -> last occasion
    age: NDArray[np.float64]  # days, first occasion -> as_of  (T)
    monetary: NDArray[np.float64]  # minor units, mean revenue of repeat occasions; 0.0 where frequency == 0

    def __len__(self) -> int:
        return len(self.contact_id)

    @property
    def repeat_customers(self) -> int:
        return int(np.count_nonzero(self.frequency > 0))


def local_day_number(moment: datetime, zone: ZoneInfo) -> int:
    """The local calendar day of ``moment`` in ``zone``, as days since 1970-01-01."""
    return (moment.astimezone(zone).date() - EPOCH).days


def _day_sql(column: Any, zone: ZoneInfo, dialect: str, since: datetime, until: datetime) -> Any:
    """Days since 1970-01-01 of each row's local calendar day, computed by the database."""
    if dialect == "postgresql":
        return cast(func.timezone(zone.key, column), Date) - literal(EPOCH, Date)
    local = local_time_sql(column, zone, dialect, since, until)
    return cast(func.julianday(func.substr(local, 1, 10)) - UNIX_EPOCH_JULIAN_DAY, Integer)


async def purchase_summary(*, session: AsyncSession, workspace_id: int, as_of: datetime) -> PurchaseSummary:
    """Every buyer's summary from their completed orders placed up to ``as_of`` (inclusive), in local days of
    the workspace's time zone; sorted by contact id."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    as_of = as_of.astimezone(UTC)
    workspace = await session.get(Workspace, workspace_id)
    zone = zone_of(workspace.time_zone if workspace is not None else "UTC")
    dialect = session.get_bind().dialect.name
    completed = (
        ORDERS.c.workspace_id == workspace_id,
        ORDERS.c.status == OrderStatus.completed.value,
        ORDERS.c.buyer_id.is_not(None),
        ORDERS.c.ordered_at <= as_of,
    )
    since = None
    if dialect != "postgresql":  # SQLite's offsets CASE covers the orders' span only
        since = await session.scalar(select(func.min(ORDERS.c.ordered_at)).where(*completed))
        if since is None:
            return _empty()
    day = _day_sql(ORDERS.c.ordered_at, zone, dialect, since or as_of, as_of)
    # A subquery first: grouping by the day expression directly would bind the zone twice, and PostgreSQL
    # does not see that two parameters are one expression.
    per_order = select(ORDERS.c.buyer_id.label("buyer"), day.label("day"), ORDERS.c.total_minor).where(*completed)
    orders = per_order.subquery("per_order")
    occasions = (
        select(orders.c.buyer, orders.c.day, func.sum(orders.c.total_minor).label("revenue"))
        .group_by(orders.c.buyer, orders.c.day)
        .subquery("occasions")
    )
    marked = select(
        occasions.c.buyer,
        occasions.c.day,
        occasions.c.revenue,
        func.min(occasions.c.day).over(partition_by=occasions.c.buyer).label("first_day"),
    ).subquery("marked")
    repeat_revenue = func.sum(case((marked.c.day > marked.c.first_day, marked.c.revenue), else_=0))
    per_buyer = (
        select(
            marked.c.buyer,
            func.count() - 1,
            func.max(marked.c.day) - func.min(marked.c.day),
            func.min(marked.c.day),
            cast(repeat_revenue, Float),  # PostgreSQL sums bigints as numeric: Decimal per row otherwise
        )
        .group_by(marked.c.buyer)
        .order_by(marked.c.buyer)
    )
    rows = (await session.execute(per_buyer)).all()
    if not rows:
        return _empty()
    buyer, frequency, recency, first_day, repeat = (np.asarray(column) for column in zip(*rows, strict=True))
    frequency = frequency.astype(np.float64)
    repeat = repeat.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(frequency > 0, repeat / np.maximum(frequency, 1.0), 0.0)
    return PurchaseSummary(
        contact_id=buyer.astype(np.int64),
        frequency=frequency,
        recency=recency.astype(np.float64),
        age=(local_day_number(as_of, zone) - first_day.astype(np.int64)).astype(np.float64),
        monetary=monetary,
    )


def _empty() -> PurchaseSummary:
    nothing = np.empty(0, dtype=np.float64)
    return PurchaseSummary(np.empty(0, dtype=np.int64), nothing, nothing.copy(), nothing.copy(), nothing.copy())
