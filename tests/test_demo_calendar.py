"""The demo's history is written in time order whatever day the demo is loaded on.

The stage history is stamped with the moments the demo refreshes its buyers: after each day's orders and at
each Sunday's end. A Sunday refresh stamped before a late order of that Sunday wrote the history out of
order (it showed only on the days whose orders fell after 23:00), so this checks every day of calendars
ending on any day of the year, in both time-change seasons.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import LifecycleChange
from frontdesk.demo import create_demo_customers
from frontdesk.demo_calendar import Calendar, local_day
from frontdesk.demo_orders import create_demo_orders
from tests.factories import WorkspaceHandle


@settings(max_examples=60, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)).map(
        lambda moment: moment.replace(tzinfo=UTC)
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_moment_of_a_day_comes_before_its_end_and_its_end_before_the_next_day(now: datetime, seed: int) -> None:
    calendar = Calendar.ending(now)
    rng = random.Random(seed)
    for day, following in zip(calendar.days, (*calendar.days[1:], None), strict=True):
        end = calendar.end_of(day)
        assert end <= now
        for _ in range(8):
            for moment in (calendar.order_moment(rng, day), calendar.chat_moment(rng, day)):
                if moment is not None:
                    assert local_day(moment) == day and moment <= end
        if following is not None:
            assert local_day(end) == day
            assert local_day(end + timedelta(microseconds=1)) == following


# The moment the demo was loaded when CI found the Sunday out of order (an order at 23:35 after a 23:00 refresh).
FOUND_OUT_OF_ORDER = datetime(2026, 12, 1, 0, 39, tzinfo=UTC)


async def test_the_demo_orders_write_their_stage_history_in_time_order(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    now = FOUND_OUT_OF_ORDER
    rng = random.Random(11)  # as the demo draws: its customers, then their orders
    contacts = await create_demo_customers(session=session, workspace_id=workspace.id, contacts=240, rng=rng)
    result = await create_demo_orders(session=session, workspace_id=workspace.id, contacts=contacts, rng=rng, now=now)
    changes = list(
        await session.scalars(
            select(LifecycleChange.changed_at)
            .where(LifecycleChange.workspace_id == workspace.id)
            .order_by(LifecycleChange.id)
        )
    )
    assert len(changes) == result.stage_changes > 100
    assert changes == sorted(changes) and changes[-1] <= now
