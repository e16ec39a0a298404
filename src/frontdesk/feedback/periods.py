"""Calendar buckets for reports (months or ISO weeks), the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, cast, func


class Period(enum.StrEnum):
    month = "month"
    week = "week"


def bucket_sql(column: Any, period: Period, dialect_name: str) -> Any:
    """``2026-11`` (month) or ``2026-W47`` (ISO week) of a UTC timestamp column, computed by the database."""
    if dialect_name == "postgresql":
        pattern = "YYYY-MM" if period is Period.month else 'IYYY-"W"IW'
        return func.to_char(func.timezone("UTC", column), pattern)
    # Whole seconds: SQLite's date functions round to the millisecond, carrying 23:59:59.9996 into the next day.
    seconds = func.substr(column, 1, 19)
    if period is Period.month:
        return func.strftime("%Y-%m", seconds)
    # SQLite has no ISO week: the ISO year is the year of the Thursday of the week, the week its ordinal / 7.
    thursday = func.date(seconds, "-3 days", "weekday 4")
    week = (cast(func.strftime("%j", thursday), Integer) - 1) // 7 + 1
    return func.strftime("%Y", thursday) + "-W" + func.printf("%02d", week)


def bucket_of(moment: datetime, period: Period) -> str:
    """The same bucket computed in Python, for rows already loaded."""
    moment = moment.astimezone(UTC)
    if period is Period.month:
        return f"{moment.year:04d}-{moment.month:02d}"
    year, week, _ = moment.isocalendar()
    return f"{year:04d}-W{week:02d}"
