"""Report controls: buckets cover the period exactly, and the database buckets a time as Python does.

The oracle converts each instant with ``zoneinfo`` and formats the label by hand; the database computes it
with PostgreSQL's zone database or, on SQLite, with the offsets the controls derive. They must agree for every
instant, including around DST changes, at 23:30 local time on a month's last day and in ISO week 53.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import UTCDateTime, create_session_factory
from frontdesk.errors import InvalidInput
from frontdesk.reports.controls import Granularity, ReportControls

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]


def oracle_label(moment: datetime, zone: str, granularity: Granularity) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    if granularity is Granularity.day:
        return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    if granularity is Granularity.month:
        return f"{local.year:04d}-{local.month:02d}"
    iso = local.date().isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


periods = st.tuples(
    st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)),
    st.integers(min_value=0, max_value=800),
    st.sampled_from(list(Granularity)),
    st.sampled_from(ZONES),
)


@settings(max_examples=300, deadline=None)
@given(period=periods)
def test_buckets_tile_the_period_without_gaps(period: tuple[date, int, Granularity, str]) -> None:
    first_day, length, granularity, zone = period
    controls = ReportControls(
        workspace_id=1,
        first_day=first_day,
        last_day=first_day + timedelta(days=length),
        granularity=granularity,
        time_zone=zone,
    )
    buckets = controls.buckets()
    assert buckets[0].start == controls.since
    assert buckets[-1].end == controls.until
    for before, after in itertools.pairwise(buckets):
        assert before.end == after.start
    assert len({bucket.label for bucket in buckets}) == len(buckets)
    for bucket in buckets:
        assert bucket.start < bucket.end
        # the first and the last instant of a bucket carry its label
        assert oracle_label(bucket.start, zone, granularity) == bucket.label
        assert oracle_label(bucket.end - timedelta(microseconds=1), zone, granularity) == bucket.label


def test_week_53_and_month_end_in_local_time() -> None:
    controls = ReportControls(
        workspace_id=1,
        first_day=date(2026, 12, 28),
        last_day=date(2027, 1, 3),
        granularity=Granularity.week,
        time_zone="Europe/Berlin",
    )
    assert controls.labels() == ["2026-W53"]
    month = ReportControls(
        workspace_id=1, first_day=date(2026, 1, 1), last_day=date(2026, 3, 31), time_zone="America/New_York"
    )
    late_on_january_31 = datetime(2026, 2, 1, 4, 30, tzinfo=UTC)  # 23:30 in New York
    assert month.bucket_label(late_on_january_31) == "2026-01"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"last_day": date(2025, 12, 31)}, "to"),
        ({"time_zone": "Mars/Olympus"}, "tz"),
        ({"last_day": date(2037, 1, 1)}, "from"),
        ({"granularity": Granularity.day, "last_day": date(2029, 6, 1)}, "granularity"),
    ],
)
def test_bad_controls_name_their_field(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"workspace_id": 1, "first_day": date(2026, 1, 1), "last_day": date(2026, 6, 30)}
    with pytest.raises(InvalidInput) as raised:
        ReportControls(**{**values, **changes})  # type: ignore[arg-type]
    assert raised.value.errors[0]["field"] == field


instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
# A bucket's last instants: SQLite's datetime() rounds to the millisecond and would carry them into the next day.
last_instants = instants.map(lambda moment: moment.replace(minute=59, second=59, microsecond=999_600))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moments=st.lists(instants | last_instants, min_size=1, max_size=40),
    zone=st.sampled_from(ZONES),
    granularity=st.sampled_from(list(Granularity)),
)
async def test_database_buckets_as_python_does(
    engine: AsyncEngine, moments: list[datetime], zone: str, granularity: Granularity
) -> None:
    first = min(moments).astimezone(ZoneInfo(zone)).date()
    last = max(moments).astimezone(ZoneInfo(zone)).date()
    controls = ReportControls(
        workspace_id=1,
        first_day=first,
        last_day=max(last, first + timedelta(days=1)),
        granularity=Granularity.month if granularity is Granularity.day and (last - first).days > 1000 else granularity,
        time_zone=zone,
    )
    dialect = engine.dialect.name
    async with create_session_factory(engine)() as session:
        for moment in moments:
            column = literal(moment, UTCDateTime)
            label, local = (
                await session.execute(select(controls.bucket_sql(column, dialect), controls.local_sql(column, dialect)))
            ).one()
            assert label == oracle_label(moment, zone, controls.granularity), (moment, zone)
            wall = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)
            got = local if isinstance(local, datetime) else datetime.fromisoformat(str(local))
            assert got.replace(tzinfo=None, microsecond=0) == wall, (moment, zone)
