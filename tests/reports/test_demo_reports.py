"""The demo workspace's first start: every chart of every report and every dashboard tile shows something.

A new user judges Frontdesk by the charts they see first, so an empty chart in the demo is a defect even
when the report is right. This computes every report as its page does by default (the workspace's time zone,
twelve months by month) and by week, and checks each chart has a number other than 0.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.reports import customers, dashboard
from frontdesk.reports.catalogue import REPORTS
from frontdesk.reports.controls import Granularity
from frontdesk.reports.registry import ReportQuery, controls_for
from frontdesk.workspaces.models import Role
from tests.conftest import DemoDatabase


@pytest.fixture
def engine(demo_database: DemoDatabase) -> AsyncEngine:
    """The tests here read the one demo workspace of their backend (tests.conftest.demo_database)."""
    return demo_database.engine


def _has_a_number(values: list[float | int | None]) -> bool:
    return any(value not in (None, 0) for value in values)


@pytest.mark.parametrize("granularity", [Granularity.month, Granularity.week])
async def test_every_chart_and_tile_of_the_demo_shows_something(
    session: AsyncSession, granularity: Granularity, demo_database: DemoDatabase
) -> None:
    demo = demo_database.result
    query = ReportQuery(first_day=None, last_day=None, granularity=granularity, time_zone=None, segment=None)
    controls = await controls_for(session=session, workspace_id=demo.workspace_id, query=query)
    assert controls.time_zone == "Europe/Berlin"
    for definition in REPORTS:
        _, charts = await definition.figures(session, controls)
        assert len(charts) > 2, definition.key
        for chart in charts:
            values = [value for series in chart.series for value in series.values]
            assert _has_a_number(values), f"{definition.key}: chart {chart.key!r} is empty in the demo"
    matrix = await customers.cohorts(session, controls)
    assert sum(1 for cohort in matrix.cohorts if cohort.customers) >= 6
    assert any(len(cohort.active) > 3 and cohort.active[3] for cohort in matrix.cohorts), "nobody came back"
    found = await dashboard.dashboard(session=session, workspace_id=demo.workspace_id, role=Role.admin)
    assert len(found.tiles) == 9
    for tile in found.tiles:
        if tile.period_days:  # a figure over the last days (not a count at this moment): it has a value and a trend
            assert tile.value is not None, tile.key
            assert _has_a_number(tile.sparkline), tile.key
