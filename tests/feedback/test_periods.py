"""Report buckets computed by the database agree with Python's calendar (ISO weeks across year ends too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import UTCDateTime
from frontdesk.feedback.periods import Period, bucket_of, bucket_sql

YEAR_ENDS = [datetime(year, 12, 28, tzinfo=UTC) + timedelta(days=d) for year in range(2019, 2028) for d in range(8)]


async def _database_bucket(session: AsyncSession, moment: datetime, period: Period) -> str:
    dialect = session.get_bind().dialect.name
    value = await session.scalar(select(bucket_sql(literal(moment, UTCDateTime), period, dialect)))
    return str(value)


async def test_buckets_at_year_ends_match_python(session: AsyncSession) -> None:
    for moment in YEAR_ENDS:
        for period in Period:
            assert await _database_bucket(session, moment, period) == bucket_of(moment, period), moment


async def test_every_day_of_four_years_lands_in_the_same_bucket(session: AsyncSession) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for day in range(4 * 366):
        moment = start + timedelta(days=day, hours=day % 24, minutes=59)
        for period in Period:
            assert await _database_bucket(session, moment, period) == bucket_of(moment, period), moment
