"""Per-customer figures and lifecycle stages, kept current as orders arrive.

Whenever orders are written (created, refunded, cancelled), the buyers they touch are refreshed: their
completed orders are aggregated in the database and upserted into ``customer_figures`` together with the
lifecycle stage, all in SQL; a stage that changed is written to the history. Work is proportional to the
customers touched, never to the whole workspace. ``refresh_workspace`` redoes every customer (stages also
move as time passes: lapsed, churned) and then the RFM scores, which are relative to the whole workspace;
``frontdesk analytics refresh`` and the daily housekeeping call it.

The registry's ``contacts.stage`` is derived here too, in the same transaction: ``prospect`` while the
lifecycle is ``prospect`` (no completed order), ``customer`` otherwise. Nothing else writes it, so the two
never contradict (docs/registry.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import attributes

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
from frontdesk.contacts.models import Contact, Stage
from frontdesk.db import Base, UTCDateTime, bulk_insert, in_values, utcnow
from frontdesk.webhooks import events
from frontdesk.webhooks.payloads import LifecycleChanged

CHUNK = 50_000  # contacts per refresh statement (one bound parameter carries them all)
WHOLE_WORKSPACE_FROM = 10_000  # customers refreshed at once from which a whole-workspace pass may be cheaper
# Core tables: the refresh is set-based SQL, with no ORM objects involved.
FIGURES = Base.metadata.tables[CustomerFigures.__tablename__]
RANGES = Base.metadata.tables[CustomerRange.__tablename__]
ORDERS = Base.metadata.tables[Order.__tablename__]
LINES = Base.metadata.tables[OrderLine.__tablename__]
CHANGES = Base.metadata.tables[LifecycleChange.__tablename__]
CONTACTS = Base.metadata.tables[Contact.__tablename__]


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


async def get_commerce_settings(*, session: AsyncSession, workspace_id: int) -> CommerceSettings:
    found = await session.get(CommerceSettings, workspace_id)
    if found is None:
        found = CommerceSettings(workspace_id=workspace_id)
        session.add(found)
        await session.flush()
    return found


async def forget_customers(*, session: AsyncSession, contact_ids: Sequence[int]) -> None:
    """Remove the figures of contacts about to be deleted (these tables have no foreign keys to cascade)."""
    for table in (FIGURES, RANGES):
        await session.execute(delete(table).where(table.c.contact_id.in_(contact_ids)))


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


async def refresh_customers(
    *, session: AsyncSession, workspace_id: int, contact_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Recompute the figures and stage of these contacts from their completed orders; returns stage changes.

    When they are most of the workspace's customers (a large import) the whole workspace is refreshed in
    one pass, which scans orders once instead of looking each customer up.
    """
    now = now or utcnow()
    ids = sorted(set(contact_ids))
    if not ids:
        return 0
    rules = LifecycleRules.of(await get_commerce_settings(session=session, workspace_id=workspace_id))
    if len(ids) >= WHOLE_WORKSPACE_FROM:
        known = await session.scalar(
            select(func.count()).select_from(FIGURES).where(FIGURES.c.workspace_id == workspace_id)
        )
        if 2 * len(ids) >= (known or 0):
            return await _refresh(session, workspace_id, None, now, rules)
    changes = 0
    for chunk in _chunks(ids):
        changes += await _refresh(session, workspace_id, chunk, now, rules)
    return changes


def _stage_sql(orders: Any, last: Any, recent: Any, now: datetime, rules: LifecycleRules) -> Any:
    """The lifecycle stage of a buyer (docs/segments.md has the table), checked top to bottom.

    Whole idle days >= N is the same as last <= now - N days, so no date arithmetic runs in the database.
    """
    return case(
        (orders == 0, Lifecycle.prospect.value),
        (last <= now - timedelta(days=rules.churned_after_days), Lifecycle.churned.value),
        (last <= now - timedelta(days=rules.lapsed_after_days), Lifecycle.lapsed.value),
        (orders == 1, Lifecycle.new.value),
        (recent >= rules.regular_min_orders, Lifecycle.regular.value),
        (recent <= rules.occasional_max_orders, Lifecycle.occasional.value),
        else_=Lifecycle.returning.value,
    )


def _upsert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def _refresh(
    session: AsyncSession, workspace_id: int, ids: list[int] | None, now: datetime, rules: LifecycleRules
) -> int:
    """Set-based: a handful of statements for these customers (None: every customer of the workspace),
    whatever their number; nothing is computed per row in Python except the comparison of old and new
    stages for the history."""
    window_start = now - timedelta(days=rules.frequency_window_days)
    dialect = session.get_bind().dialect.name
    if ids is None:
        buyers: Any = ORDERS.c.buyer_id.is_not(None)
        figures_in_scope: Any = FIGURES.c.workspace_id == workspace_id
        ranges_in_scope: Any = RANGES.c.workspace_id == workspace_id
    else:
        buyers = in_values(ORDERS.c.buyer_id, ids, dialect)
        figures_in_scope = in_values(FIGURES.c.contact_id, ids, dialect)
        ranges_in_scope = in_values(RANGES.c.contact_id, ids, dialect)
    completed = (ORDERS.c.workspace_id == workspace_id, ORDERS.c.status == OrderStatus.completed.value, buyers)
    stages_now = select(FIGURES.c.contact_id, FIGURES.c.lifecycle).where(figures_in_scope)
    stage_before = dict((await session.execute(stages_now)).all())

    await session.execute(delete(RANGES).where(ranges_in_scope))
    # Orders per customer and range: the distinct (order, range) pairs first, then counted, which both
    # databases can do with hashing instead of sorting every line for a COUNT(DISTINCT ...).
    pairs = (
        select(ORDERS.c.buyer_id, LINES.c.range_id, ORDERS.c.id)
        .join(LINES, LINES.c.order_id == ORDERS.c.id)
        .where(*completed)
        .distinct()
        .subquery()
    )
    await session.execute(
        insert(RANGES).from_select(
            ["contact_id", "range_id", "workspace_id", "orders"],
            select(pairs.c.buyer_id, pairs.c.range_id, literal(workspace_id), func.count()).group_by(
                pairs.c.buyer_id, pairs.c.range_id
            ),
        )
    )
    orders, last = func.count(), func.max(ORDERS.c.ordered_at)
    recent = func.sum(case((ORDERS.c.ordered_at >= window_start, 1), else_=0))
    ranges = select(func.count()).where(RANGES.c.contact_id == ORDERS.c.buyer_id).scalar_subquery()
    aggregate = (
        select(
            ORDERS.c.buyer_id,
            literal(workspace_id),
            orders,
            func.sum(ORDERS.c.total_minor),
            func.min(ORDERS.c.ordered_at),
            last,
            ranges,
            recent,
            func.max(case((ORDERS.c.buyer_class == BuyerClass.reseller.value, 1), else_=0)) == 1,
            _stage_sql(orders, last, recent, now, rules),
            literal(now, UTCDateTime()),
        )
        .where(*completed)
        .group_by(ORDERS.c.buyer_id)
    )
    columns = ["contact_id", "workspace_id", "orders", "total_spent_minor", "first_order_at", "last_order_at",
               "ranges", "recent_orders", "reseller", "lifecycle", "updated_at"]  # fmt: skip
    upsert = _upsert(session)(FIGURES).from_select(columns, aggregate)
    # RFM scores are relative to the whole workspace: kept until the next workspace refresh.
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[FIGURES.c.contact_id], set_={name: upsert.excluded[name] for name in columns[2:]}
        )
    )
    # Customers whose every order was refunded or cancelled are prospects again.
    await session.execute(
        update(FIGURES)
        .where(
            figures_in_scope,
            ~select(ORDERS.c.id).where(*completed, ORDERS.c.buyer_id == FIGURES.c.contact_id).exists(),
        )
        .values(
            orders=0,
            total_spent_minor=0,
            first_order_at=None,
            last_order_at=None,
            ranges=0,
            recent_orders=0,
            reseller=False,
            lifecycle=Lifecycle.prospect.value,
            rfm_r=None,
            rfm_f=None,
            rfm_m=None,
            rfm_group=None,
            updated_at=now,
        )
    )
    stage_after = (await session.execute(stages_now)).all()
    history = [
        (workspace_id, contact_id, before, stage, now)
        for contact_id, stage in stage_after
        if (before := stage_before.get(contact_id, Lifecycle.prospect.value)) != stage
    ]
    await bulk_insert(session, CHANGES, ("workspace_id", "contact_id", "from_stage", "to_stage", "changed_at"), history)
    await events.emit_many(
        session,
        workspace_id=workspace_id,
        event_type="lifecycle.changed",
        events=[
            events.Emitted(
                LifecycleChanged(contact_id=contact_id, from_stage=before, to_stage=stage, changed_at=at).model_dump(
                    mode="json"
                ),
                contact_id,
            )
            for _, contact_id, before, stage, at in history
        ],
    )
    await _sync_registry_stage(session, workspace_id, ids)
    return len(history)


def registry_stage(lifecycle: str) -> str:
    """The registry stage a lifecycle stage implies: only a buyer with no completed order is a prospect."""
    return Stage.prospect.value if lifecycle == Lifecycle.prospect.value else Stage.customer.value


async def _sync_registry_stage(session: AsyncSession, workspace_id: int, ids: list[int] | None) -> None:
    """Set ``contacts.stage`` of these contacts (None: the whole workspace) from their lifecycle stage.

    Only rows whose stage is wrong are written (a whole-workspace pass rewrites the few that moved, not a
    million). A contact without a figures row never bought: a prospect. The new values are also set on the
    contacts the session holds, which would otherwise show the old stage until reloaded.
    """
    dialect = session.get_bind().dialect.name
    bought = (
        select(FIGURES.c.contact_id)
        .where(FIGURES.c.contact_id == CONTACTS.c.id, FIGURES.c.lifecycle != Lifecycle.prospect.value)
        .exists()
    )
    scope = [CONTACTS.c.workspace_id == workspace_id]
    if ids is not None:
        scope.append(in_values(CONTACTS.c.id, ids, dialect))
    held = session.sync_session.identity_map
    for stage, condition in ((Stage.customer.value, bought), (Stage.prospect.value, ~bought)):
        moved = await session.execute(
            update(CONTACTS)
            .where(*scope, CONTACTS.c.stage != stage, condition)
            .values(stage=stage)
            .returning(CONTACTS.c.id, CONTACTS.c.updated_at)
        )
        for contact_id, updated_at in moved.all():
            contact = held.get(session.sync_session.identity_key(Contact, contact_id))
            if contact is not None:
                attributes.set_committed_value(contact, "stage", stage)
                attributes.set_committed_value(contact, "updated_at", updated_at)


async def refresh_workspace(
    *,
    session: AsyncSession,
    workspace_id: int,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Every customer's figures and stage as of ``now``, then the RFM scores; returns stage changes.

    ``progress`` hears (steps done, 2): the figures and stages, then the RFM scores.
    """
    now = now or utcnow()
    rules = LifecycleRules.of(await get_commerce_settings(session=session, workspace_id=workspace_id))
    changes = await _refresh(session, workspace_id, None, now, rules)
    if progress:
        progress(1, 2)
    await refresh_rfm(session=session, workspace_id=workspace_id)
    if progress:
        progress(2, 2)
    return changes


def _rfm_group_sql(r: Any, f: Any, m: Any) -> Any:
    """The usual named RFM groups from recency and the mean of frequency and monetary (docs/segments.md)."""
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
