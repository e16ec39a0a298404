"""The per-customer purchase summary: occasions are local calendar days, and "as of" cuts the history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.success.clv_summary import PurchaseSummary, purchase_summary
from frontdesk.workspaces.models import Workspace
from tests.factories import WorkspaceHandle
from tests.success.clv_seed import add_buyers, add_orders


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def rows(summary: PurchaseSummary) -> dict[int, tuple[float, float, float, float]]:
    return {
        int(c): (float(x), float(tx), float(t), float(m))
        for c, x, tx, t, m in zip(
            summary.contact_id, summary.frequency, summary.recency, summary.age, summary.monetary, strict=True
        )
    }


async def set_zone(session: AsyncSession, workspace_id: int, zone: str) -> None:
    await session.execute(update(Workspace).where(Workspace.id == workspace_id).values(time_zone=zone))


async def test_orders_on_one_local_day_are_one_occasion_and_monetary_is_the_mean_of_repeats(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    # Berlin is UTC+1 in winter: 23:30 UTC on 10 January is 00:30 on 11 January there.
    await set_zone(session, workspace.id, "Europe/Berlin")
    first, other = await add_buyers(session, workspace.id, 2)
    await add_orders(
        session,
        workspace.id,
        [
            (first, at("2026-01-10T09:00:00Z"), 1000),  # day 1 (local 10 Jan)
            (first, at("2026-01-10T22:59:59Z"), 500),  # 23:59:59 local: still 10 Jan, same occasion
            (first, at("2026-01-10T23:30:00Z"), 2000),  # 00:30 local on 11 Jan: a repeat occasion
            (first, at("2026-01-11T12:00:00Z"), 1000),  # also 11 Jan: the same repeat occasion
            (first, at("2026-01-20T12:00:00Z"), 4000),  # 20 Jan: second repeat
            (other, at("2026-01-15T12:00:00Z"), 700),  # one occasion only
        ],
    )
    await session.commit()
    summary = await purchase_summary(session=session, workspace_id=workspace.id, as_of=at("2026-01-31T12:00:00Z"))
    found = rows(summary)
    # first: occasions 10, 11, 20 Jan: frequency 2, recency 10 days, T = 31 - 10 = 21 days,
    # monetary = (3000 + 4000) / 2 (the first day's 1500 is not a repeat).
    assert found[first] == (2.0, 10.0, 21.0, 3500.0)
    assert found[other] == (0.0, 0.0, 16.0, 0.0)
    assert summary.repeat_customers == 1
    assert summary.contact_id.dtype.name == "int64" and summary.age.dtype.name == "float64"


async def test_the_same_orders_in_utc_are_split_differently(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    (buyer,) = await add_buyers(session, workspace.id, 1)
    await add_orders(
        session, workspace.id, [(buyer, at("2026-01-10T09:00:00Z"), 1000), (buyer, at("2026-01-10T23:30:00Z"), 2000)]
    )
    await session.commit()
    summary = await purchase_summary(session=session, workspace_id=workspace.id, as_of=at("2026-01-12T00:00:00Z"))
    assert rows(summary)[buyer] == (0.0, 0.0, 2.0, 0.0)  # one UTC day: one occasion


async def test_as_of_leaves_out_later_orders_and_t_runs_up_to_it(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    await set_zone(session, workspace.id, "America/New_York")  # UTC-5 in winter
    early, late = await add_buyers(session, workspace.id, 2)
    await add_orders(
        session,
        workspace.id,
        [
            (early, at("2026-02-01T15:00:00Z"), 1000),
            (early, at("2026-02-05T15:00:00Z"), 3000),
            (early, at("2026-03-01T15:00:00Z"), 9000),  # after as_of: not counted
            (late, at("2026-02-20T15:00:00Z"), 500),  # first order after as_of: not a customer yet
        ],
    )
    await session.commit()
    # 2026-02-10T03:00Z is still 9 February in New York.
    as_of = at("2026-02-10T03:00:00Z")
    found = rows(await purchase_summary(session=session, workspace_id=workspace.id, as_of=as_of))
    assert found == {early: (1.0, 4.0, 8.0, 3000.0)}
    # An order placed exactly at as_of counts.
    found = rows(await purchase_summary(session=session, workspace_id=workspace.id, as_of=at("2026-03-01T15:00:00Z")))
    assert found[early] == (2.0, 28.0, 28.0, 6000.0)


async def test_only_completed_orders_of_the_workspace_with_a_buyer_count(
    session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    (buyer,) = await add_buyers(session, workspace.id, 1)
    (stranger,) = await add_buyers(session, other_workspace.id, 1)
    await add_orders(session, workspace.id, [(buyer, at("2026-01-01T10:00:00Z"), 1000)])
    await add_orders(session, workspace.id, [(buyer, at("2026-01-05T10:00:00Z"), 1000)], status="refunded")
    await add_orders(session, workspace.id, [(buyer, at("2026-01-06T10:00:00Z"), 1000)], status="cancelled")
    await add_orders(session, workspace.id, [(None, at("2026-01-07T10:00:00Z"), 1000)])
    await add_orders(session, other_workspace.id, [(stranger, at("2026-01-02T10:00:00Z"), 1000)])
    await add_orders(session, other_workspace.id, [(stranger, at("2026-01-03T10:00:00Z"), 1000)])
    await session.commit()
    found = rows(await purchase_summary(session=session, workspace_id=workspace.id, as_of=at("2026-01-10T00:00:00Z")))
    assert found == {buyer: (0.0, 0.0, 9.0, 0.0)}


async def test_no_orders_give_an_empty_summary(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    summary = await purchase_summary(session=session, workspace_id=workspace.id, as_of=at("2026-01-10T00:00:00Z"))
    assert len(summary) == 0 and summary.repeat_customers == 0


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Pacific/Auckland"])
async def test_a_daylight_saving_change_moves_the_day_boundary(
    session: AsyncSession, workspace: WorkspaceHandle, zone: str
) -> None:
    """Both databases agree with Python's zone database across a DST change inside the history."""
    await set_zone(session, workspace.id, zone)
    (buyer,) = await add_buyers(session, workspace.id, 1)
    moments = ["2026-03-28T22:30:00Z", "2026-03-29T22:30:00Z", "2026-04-04T13:30:00Z", "2026-04-05T11:30:00Z",
               "2026-10-24T22:30:00Z", "2026-10-25T22:30:00Z"]  # fmt: skip
    await add_orders(session, workspace.id, [(buyer, at(m), 100) for m in moments])
    await session.commit()
    as_of = at("2026-11-01T00:00:00Z")
    revenue: dict[date, int] = {}
    for moment in moments:
        day = at(moment).astimezone(ZoneInfo(zone)).date()
        revenue[day] = revenue.get(day, 0) + 100
    days = sorted(revenue)
    expected = (
        float(len(days) - 1),
        float((days[-1] - days[0]).days),
        float((as_of.astimezone(ZoneInfo(zone)).date() - days[0]).days),
        sum(revenue[d] for d in days[1:]) / (len(days) - 1),
    )
    found = rows(await purchase_summary(session=session, workspace_id=workspace.id, as_of=as_of))
    assert found[buyer] == expected
