"""The home dashboard: every tile reads its report's figure function for the last 30 local days and the 30
before (NPS: 90 and 90), agents see the support tiles and admins all, open conversations are counted at the
end of each day, and ``change`` follows its definition. The support and customers figures are whatever their
functions return: these tests check the wiring, not those numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.db import create_session_factory
from frontdesk.reports import customers, dashboard, feedback, support
from frontdesk.reports.controls import Granularity, ReportControls
from frontdesk.reports.figures import Figure
from frontdesk.workspaces.models import Agent, Role, Workspace
from tests.factories import WorkspaceHandle
from tests.reports.test_feedback_api import answer, complain

NOW = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 23:30 in Berlin; still 30 November there
TODAY = date(2026, 11, 30)
SUPPORT_TILES = ["open-conversations", "unassigned-conversations", "first-response", "csat"]
ALL_TILES = [*SUPPORT_TILES, "nps", "new-customers", "repeat-purchase-rate", "complaint-rate", "revenue"]
LINKS = {
    "open-conversations": "/reports/support#conversations",
    "unassigned-conversations": "/reports/support#conversations",
    "first-response": "/reports/support#first-response",
    "csat": "/reports/support#csat",
    "nps": "/reports/feedback#nps",
    "new-customers": "/reports/customers#customers",  # the new and returning customers chart
    "repeat-purchase-rate": "/reports/customers#repeat-purchase-rate",
    "complaint-rate": "/reports/feedback#complaint-rate",
    "revenue": "/reports/customers#revenue",
}
FIGURES: dict[str, tuple[Any, str, int]] = {
    "first-response": (support, "first_response_minutes", 30),
    "csat": (support, "csat", 30),
    "nps": (feedback, "nps", 90),
    "new-customers": (customers, "new_customers", 30),
    "repeat-purchase-rate": (customers, "repeat_purchase_rate", 30),
    "complaint-rate": (feedback, "complaint_rate", 30),
    "revenue": (customers, "revenue", 30),
}


async def berlin(workspace: WorkspaceHandle) -> None:
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Workspace).where(Workspace.id == workspace.id).values(time_zone="Europe/Berlin"))
        await session.commit()


def controls(workspace_id: int, first: date, last: date) -> ReportControls:
    berlin_days = {"granularity": Granularity.day, "time_zone": "Europe/Berlin"}
    return ReportControls(workspace_id=workspace_id, first_day=first, last_day=last, **berlin_days)


async def test_each_tile_is_its_figure_function_over_the_last_30_days_and_the_30_before(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    await berlin(workspace)
    found = await dashboard.dashboard(session=session, workspace_id=workspace.id, role=Role.admin, now=NOW)
    assert [tile.key for tile in found.tiles] == ALL_TILES
    assert found.time_zone == "Europe/Berlin" and (found.first_day, found.last_day) == (date(2026, 11, 1), TODAY)
    assert found.days[0] == "2026-11-01" and found.days[-1] == "2026-11-30" and len(found.days) == 30
    tiles = {tile.key: tile for tile in found.tiles}
    for key, (module, name, days) in FIGURES.items():
        function = getattr(module, name)
        current = await function(session, controls(workspace.id, TODAY - timedelta(days=days - 1), TODAY))
        before = await function(
            session, controls(workspace.id, TODAY - timedelta(days=2 * days - 1), TODAY - timedelta(days=days))
        )
        tile = tiles[key]
        assert (tile.value, tile.previous) == (current.value, before.value), key
        assert tile.change == dashboard.change(current.value, before.value, tile.change_kind), key
        assert tile.sparkline == current.by_bucket[-30:] and len(tile.sparkline) == 30, key
        assert tile.period_days == days
    assert {tile.key: tile.report for tile in found.tiles} == LINKS


async def test_the_figure_functions_are_asked_for_exactly_these_periods(
    session: AsyncSession, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: dict[str, list[tuple[date, date, Granularity, str, str | None]]] = {}
    for key, (module, name, _) in FIGURES.items():

        async def recorded(session: AsyncSession, controls: ReportControls, key: str = key) -> Figure:
            asked.setdefault(key, []).append(
                (controls.first_day, controls.last_day, controls.granularity, controls.time_zone, controls.segment)
            )
            days = len(controls.buckets())
            # The current period is worth 2 a day, the one before 1: the tile must keep them apart.
            per_day = 2.0 if controls.last_day == TODAY else 1.0
            return Figure(value=per_day * days, by_bucket=[per_day] * days)

        monkeypatch.setattr(module, name, recorded)
    found = await dashboard.dashboard(session=session, workspace_id=workspace.id, role=Role.admin, now=NOW)
    for key, (_, _, days) in FIGURES.items():
        assert asked[key] == [
            (TODAY - timedelta(days=days - 1), TODAY, Granularity.day, "UTC", None),
            (TODAY - timedelta(days=2 * days - 1), TODAY - timedelta(days=days), Granularity.day, "UTC", None),
        ], key
        tile = next(tile for tile in found.tiles if tile.key == key)
        assert (tile.value, tile.previous, tile.sparkline) == (2.0 * days, 1.0 * days, [2.0] * 30)
        assert tile.change == (100.0 if tile.change_kind == "percent" else float(days)), key


async def test_agents_see_the_support_tiles_admins_everything_viewers_nothing(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    for role, keys in ((Role.admin, ALL_TILES), (Role.agent, SUPPORT_TILES), (Role.viewer, [])):
        found = await dashboard.dashboard(session=session, workspace_id=workspace.id, role=role, now=NOW)
        assert [tile.key for tile in found.tiles] == keys, role


def test_change_is_points_for_rates_and_percent_for_counts() -> None:
    assert dashboard.change(42.5, 40.0, "points") == 2.5
    assert dashboard.change(-10.0, 5.0, "points") == -15.0
    assert dashboard.change(0.0, 0.0, "points") == 0.0
    assert dashboard.change(30.0, 20.0, "percent") == 50.0
    assert dashboard.change(1.0, 3.0, "percent") == -66.67
    assert dashboard.change(5.0, 0.0, "percent") is None  # nothing to compare with
    assert dashboard.change(None, 3.0, "percent") is None and dashboard.change(3.0, None, "points") is None


async def conversation(
    session: AsyncSession, workspace_id: int, created: datetime, resolved: datetime | None, assignee: int | None
) -> None:
    session.add(
        Conversation(
            workspace_id=workspace_id,
            status="resolved" if resolved else "open",
            created_at=created,
            last_activity_at=created,
            resolved_at=resolved,
            assignee_id=assignee,
        )
    )


async def test_open_conversations_are_counted_at_the_end_of_each_local_day(
    session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await berlin(workspace)
    agent = await session.scalar(select(Agent.id).where(Agent.workspace_id == workspace.id))
    at = datetime(2026, 11, 10, 22, 30, tzinfo=UTC)  # 23:30 on 10 November in Berlin
    await conversation(session, workspace.id, at, None, None)  # open since 10 Nov, nobody assigned
    await conversation(session, workspace.id, at + timedelta(hours=1), None, agent)  # 11 Nov, local
    await conversation(session, workspace.id, datetime(2026, 10, 1, tzinfo=UTC), at, agent)  # resolved 10 Nov
    await conversation(session, workspace.id, datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 2, tzinfo=UTC), None)
    await conversation(session, other_workspace.id, at, None, None)  # another workspace's: never counted
    await session.commit()
    found = await dashboard.dashboard(session=session, workspace_id=workspace.id, role=Role.agent, now=NOW)
    tiles = {tile.key: tile for tile in found.tiles}
    opened = tiles["open-conversations"]
    # 1-9 Nov: the October one; 10 Nov: it is resolved at 23:30 and the first one opens; from 11 Nov: two.
    assert opened.sparkline == [1] * 9 + [1] + [2] * 20
    assert (opened.value, opened.previous, opened.change) == (2, 1, 100.0)  # previous: at the end of 31 Oct
    unassigned = tiles["unassigned-conversations"]
    assert unassigned.value == 1 and unassigned.previous is None and unassigned.change is None
    assert unassigned.sparkline == [None] * 29 + [1]


async def test_the_feedback_tiles_count_only_the_workspace_s_rows(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    for shop in (workspace, other_workspace):
        await shop.product("TEA-1")
        buyer = await shop.contact(name="Bea")
        recent, before = NOW - timedelta(days=3), NOW - timedelta(days=40)
        for n, when in enumerate([recent, recent, before]):
            await shop.order(f"O-{n}", buyer, "TEA-1", ordered_at=when.isoformat())
        await complain(client, shop, buyer, recent)
        await answer(shop, buyer, 10, recent)
        await answer(shop, None, 0, NOW - timedelta(days=100))  # in the 90 days before the last 90
    await complain(client, other_workspace, buyer, recent)  # the other workspace complains more: not seen here
    async with create_session_factory(workspace.engine)() as session:
        found = await dashboard.dashboard(session=session, workspace_id=workspace.id, role=Role.admin, now=NOW)
    tiles = {tile.key: tile for tile in found.tiles}
    assert (tiles["complaint-rate"].value, tiles["complaint-rate"].previous) == (50.0, 0.0)
    assert tiles["complaint-rate"].change == 50.0 and tiles["complaint-rate"].change_kind == "points"
    assert (tiles["nps"].value, tiles["nps"].previous, tiles["nps"].change) == (100.0, -100.0, 200.0)
    assert tiles["complaint-rate"].sparkline[-4] == 50.0 and tiles["complaint-rate"].sparkline[0] is None


async def test_the_dashboard_api_serves_each_role_its_tiles(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    admin = await client.get("/api/v1/reports/dashboard", headers=workspace.headers)
    assert admin.status_code == 200, admin.text
    assert [tile["key"] for tile in admin.json()["tiles"]] == ALL_TILES
    agent = await client.get("/api/v1/reports/dashboard", headers=await workspace.key_with_role(Role.agent))
    assert [tile["key"] for tile in agent.json()["tiles"]] == SUPPORT_TILES
    viewer = await client.get("/api/v1/reports/dashboard", headers=await workspace.key_with_role(Role.viewer))
    assert viewer.status_code == 403
    assert (await client.get("/api/v1/reports/dashboard")).status_code == 401
