"""Per-customer figures and lifecycle stages, kept current as orders arrive.

Whenever orders are written (created, refunded, cancelled), the buyers they touch are refreshed: their
completed orders are aggregated in the database, the lifecycle stage is derived from the result, and a stage
that changed is written to the history. Work is proportional to the customers touched, never to the whole
workspace. ``refresh_workspace`` redoes every customer (stages also move as time passes: lapsed, churned)
and then the RFM scores, which are relative to the whole workspace; ``frontdesk analytics refresh`` and
imports call it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, delete, distinct, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import (
    BuyerClass,
    CommerceSettings,
    CustomerFigures,
    CustomerRange,
    Lifecycle,
    LifecycleChange,
    Order,
    OrderLine,
    OrderStatus,
)
from frontdesk.db import Base, utcnow

CHUNK = 2000  # contact ids per statement: well under either database's limit on bound parameters
FIGURES = Base.metadata.tables[CustomerFigures.__tablename__]
RANGES = Base.metadata.tables[CustomerRange.__tablename__]


@dataclass(frozen=True)
class LifecycleRules:
    lapsed_after_days: int = 180
    churned_after_days: int = 365
    frequency_window_days: int = 365
    regular_min_orders: int = 4
    occasional_max_orders: int = 1

    @classmethod
    def of(cls, settings: CommerceSettings) -> LifecycleRules:
        return cls(
            lapsed_after_days=settings.lapsed_after_days,
            churned_after_days=settings.churned_after_days,
            frequency_window_days=settings.frequency_window_days,
            regular_min_orders=settings.regular_min_orders,
            occasional_max_orders=settings.occasional_max_orders,
        )


def lifecycle_stage(
    *, orders: int, last_order_at: datetime | None, recent_orders: int, now: datetime, rules: LifecycleRules
) -> Lifecycle:
    """The stage a customer is in, from their completed orders (see docs/segments.md for the table)."""
    if orders == 0 or last_order_at is None:
        return Lifecycle.prospect
    idle_days = (now - last_order_at).days
    if idle_days >= rules.churned_after_days:
        return Lifecycle.churned
    if idle_days >= rules.lapsed_after_days:
        return Lifecycle.lapsed
    if orders == 1:
        return Lifecycle.new
    if recent_orders >= rules.regular_min_orders:
        return Lifecycle.regular
    if recent_orders <= rules.occasional_max_orders:
        return Lifecycle.occasional
    return Lifecycle.returning


async def get_commerce_settings(*, session: AsyncSession, workspace_id: int) -> CommerceSettings:
    found = await session.get(CommerceSettings, workspace_id)
    if found is None:
        found = CommerceSettings(workspace_id=workspace_id)
        session.add(found)
        await session.flush()
    return found


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


async def refresh_customers(
    *, session: AsyncSession, workspace_id: int, contact_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Recompute the figures and stage of these contacts from their completed orders; returns stage changes."""
    now = now or utcnow()
    rules = LifecycleRules.of(await get_commerce_settings(session=session, workspace_id=workspace_id))
    changes = 0
    for chunk in _chunks(sorted(set(contact_ids))):
        changes += await _refresh_chunk(session, workspace_id, chunk, now, rules)
    return changes


async def _refresh_chunk(
    session: AsyncSession, workspace_id: int, ids: list[int], now: datetime, rules: LifecycleRules
) -> int:
    window_start = now - timedelta(days=rules.frequency_window_days)
    completed = (Order.workspace_id == workspace_id, Order.status == OrderStatus.completed.value)
    totals = {
        row.buyer_id: row
        for row in (
            await session.execute(
                select(
                    Order.buyer_id,
                    func.count().label("orders"),
                    func.sum(Order.total_minor).label("spent"),
                    func.min(Order.ordered_at).label("first"),
                    func.max(Order.ordered_at).label("last"),
                    func.sum(case((Order.ordered_at >= window_start, 1), else_=0)).label("recent"),
                    func.max(case((Order.buyer_class == BuyerClass.reseller.value, 1), else_=0)).label("reseller"),
                )
                .where(*completed, Order.buyer_id.in_(ids))
                .group_by(Order.buyer_id)
            )
        ).all()
    }
    range_rows = (
        await session.execute(
            select(Order.buyer_id, OrderLine.range_id, func.count(distinct(Order.id)).label("orders"))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(*completed, Order.buyer_id.in_(ids))
            .group_by(Order.buyer_id, OrderLine.range_id)
        )
    ).all()
    before = {
        row.contact_id: row
        for row in (
            await session.execute(
                select(
                    CustomerFigures.contact_id,
                    CustomerFigures.lifecycle,
                    CustomerFigures.rfm_r,
                    CustomerFigures.rfm_f,
                    CustomerFigures.rfm_m,
                    CustomerFigures.rfm_group,
                ).where(CustomerFigures.contact_id.in_(ids))
            )
        ).all()
    }
    ranges_of: dict[int, int] = {}
    for row in range_rows:
        ranges_of[row.buyer_id] = ranges_of.get(row.buyer_id, 0) + 1
    figures: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for contact_id in ids:
        total, old = totals.get(contact_id), before.get(contact_id)
        if total is None and old is None:
            continue  # never bought, never had figures: a prospect by default, nothing to store
        orders = int(total.orders) if total else 0
        last = total.last if total else None
        recent = int(total.recent) if total else 0
        stage = lifecycle_stage(orders=orders, last_order_at=last, recent_orders=recent, now=now, rules=rules)
        figures.append(
            {
                "contact_id": contact_id,
                "workspace_id": workspace_id,
                "orders": orders,
                "total_spent_minor": int(total.spent) if total else 0,
                "first_order_at": total.first if total else None,
                "last_order_at": last,
                "ranges": ranges_of.get(contact_id, 0),
                "recent_orders": recent,
                "reseller": bool(total.reseller) if total else False,
                "lifecycle": stage.value,
                # Relative to the whole workspace: kept until the next workspace refresh recomputes them.
                "rfm_r": old.rfm_r if old and orders else None,
                "rfm_f": old.rfm_f if old and orders else None,
                "rfm_m": old.rfm_m if old and orders else None,
                "rfm_group": old.rfm_group if old and orders else None,
                "updated_at": now,
            }
        )
        previous = old.lifecycle if old else Lifecycle.prospect.value
        if previous != stage.value:
            history.append(
                {
                    "workspace_id": workspace_id,
                    "contact_id": contact_id,
                    "from_stage": previous,
                    "to_stage": stage.value,
                    "changed_at": now,
                }
            )
    # Core statements on the tables: the ORM's bulk path costs more than the database work here.
    await session.execute(delete(FIGURES).where(FIGURES.c.contact_id.in_(ids)))
    await session.execute(delete(RANGES).where(RANGES.c.contact_id.in_(ids)))
    if figures:
        await session.execute(insert(FIGURES), figures)
    if range_rows:
        await session.execute(
            insert(RANGES),
            [
                {"contact_id": r.buyer_id, "range_id": r.range_id, "workspace_id": workspace_id, "orders": r.orders}
                for r in range_rows
            ],
        )
    if history:
        await session.execute(insert(Base.metadata.tables[LifecycleChange.__tablename__]), history)
    return len(history)


async def refresh_workspace(
    *,
    session: AsyncSession,
    workspace_id: int,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Every customer's figures and stage as of ``now``, then the RFM scores; returns stage changes."""
    now = now or utcnow()
    ids = list(
        (
            await session.scalars(
                select(CustomerFigures.contact_id)
                .where(CustomerFigures.workspace_id == workspace_id)
                .union(select(Order.buyer_id).where(Order.workspace_id == workspace_id, Order.buyer_id.is_not(None)))
            )
        ).all()
    )
    ids.sort()
    rules = LifecycleRules.of(await get_commerce_settings(session=session, workspace_id=workspace_id))
    changes = 0
    for done, chunk in enumerate(_chunks(ids), start=1):
        changes += await _refresh_chunk(session, workspace_id, chunk, now, rules)
        if progress:
            progress(min(done * CHUNK, len(ids)), len(ids))
    await refresh_rfm(session=session, workspace_id=workspace_id)
    return changes


def rfm_group(r: int, f: int, m: int) -> str:
    """The usual named RFM groups from recency and the mean of frequency and monetary (docs/segments.md)."""
    fm = f + m  # twice the mean, to stay in integers
    if r >= 4:
        return "Champions" if fm >= 8 else "Loyal" if fm >= 6 else "Potential loyalists"
    if r == 3:
        return "Loyal" if fm >= 6 else "Hibernating"
    if fm >= 8:
        return "Can't lose them" if r == 1 else "At risk"
    if fm >= 6:
        return "At risk"
    return "Hibernating" if r == 2 else "Lost"


def _rfm_group_sql(r: Any, f: Any, m: Any) -> Any:
    fm = f + m
    return case(
        (r >= 4, case((fm >= 8, "Champions"), (fm >= 6, "Loyal"), else_="Potential loyalists")),
        (r == 3, case((fm >= 6, "Loyal"), else_="Hibernating")),
        (fm >= 8, case((r == 1, "Can't lose them"), else_="At risk")),
        (fm >= 6, "At risk"),
        (r == 2, "Hibernating"),
        else_="Lost",
    )


async def refresh_rfm(*, session: AsyncSession, workspace_id: int) -> None:
    """Recency, frequency and monetary quintiles (1-5, 5 best) among the workspace's buyers, in one statement.

    Ties are split by contact id so that the result is the same on every run and on both databases.
    """
    F = CustomerFigures
    scores = (
        select(
            F.contact_id.label("contact_id"),
            func.ntile(5).over(order_by=(F.last_order_at, F.contact_id)).label("r"),
            func.ntile(5).over(order_by=(F.orders, F.contact_id)).label("f"),
            func.ntile(5).over(order_by=(F.total_spent_minor, F.contact_id)).label("m"),
        )
        .where(F.workspace_id == workspace_id, F.orders > 0)
        .subquery()
    )
    r, f, m = (scores.c.r.cast(Integer), scores.c.f.cast(Integer), scores.c.m.cast(Integer))
    await session.execute(
        update(F)
        .where(F.contact_id == scores.c.contact_id)
        .values(rfm_r=r, rfm_f=f, rfm_m=m, rfm_group=_rfm_group_sql(r, f, m))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(F)
        .where(F.workspace_id == workspace_id, F.orders == 0)
        .values(rfm_r=None, rfm_f=None, rfm_m=None, rfm_group=None)
        .execution_options(synchronize_session=False)
    )
