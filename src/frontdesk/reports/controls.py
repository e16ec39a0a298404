"""The controls every report shares: a period of local dates, a granularity, a time zone and a segment.

A report covers the local days ``first_day`` to ``last_day`` (both included) in ``time_zone``: from local
midnight at the start of ``first_day`` up to local midnight after ``last_day``, as UTC instants. The period is
cut into buckets (days, ISO weeks or calendar months, in local time); the first and last bucket are clipped
to the period, and every bucket appears, also when nothing happened in it (a report shows zero, not a gap).
The database labels each row's bucket with the same local calendar, so a row at 23:30 local time on the last
day of a month lands in that month whatever its UTC date.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import DateTime, Integer, bindparam, case, cast, func, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from frontdesk.db import UTCDateTime
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.segments import service as segments
from frontdesk.segments.rule_text import parse
from frontdesk.segments.rules import RuleError

MAX_DAYS = 3_700  # ten years: longer periods are refused, so one request cannot ask for a century of buckets
MAX_BUCKETS = 1_100  # three years of days


class Granularity(enum.StrEnum):
    day = "day"
    week = "week"  # ISO 8601 weeks, Monday to Sunday, labelled 2026-W53
    month = "month"


@dataclass(frozen=True)
class Bucket:
    """One period of a report: its label and the UTC instants it covers (start included, end excluded)."""

    label: str
    start: datetime
    end: datetime


def zone_of(name: str, *, field: str = "tz") -> ZoneInfo:
    """The IANA zone called ``name``; ``InvalidInput`` naming ``field`` otherwise."""
    if name not in _zone_names():
        raise InvalidInput(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", field=field) from None


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def time_zone_names() -> list[str]:
    """Every zone a workspace or report may use, sorted, for pickers."""
    return sorted(_zone_names())


def label_of(local: date, granularity: Granularity) -> str:
    """The label of the bucket holding the local date ``local``: ``2026-11-30``, ``2026-W49`` or ``2026-11``."""
    if granularity is Granularity.day:
        return local.isoformat()
    if granularity is Granularity.month:
        return f"{local.year:04d}-{local.month:02d}"
    year, week, _ = local.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _bucket_start(local: date, granularity: Granularity) -> date:
    if granularity is Granularity.day:
        return local
    if granularity is Granularity.month:
        return local.replace(day=1)
    return local - timedelta(days=local.weekday())


def _next_start(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.day:
        return start + timedelta(days=1)
    if granularity is Granularity.week:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``zone`` (a day starting in a DST gap begins at the jump)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class ReportControls:
    workspace_id: int
    first_day: date
    last_day: date
    granularity: Granularity = Granularity.month
    time_zone: str = "UTC"
    # A saved segment's id, a built-in segment's key, or a rule ("country = DE and market = b2b").
    segment: str | None = None

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise InvalidInput("the period ends before it begins", field="to")
        if (self.last_day - self.first_day).days + 1 > MAX_DAYS:
            raise InvalidInput(f"a report covers at most {MAX_DAYS} days", field="from")
        zone_of(self.time_zone)
        if self.granularity is Granularity.day and (self.last_day - self.first_day).days + 1 > MAX_BUCKETS:
            raise InvalidInput(f"by day, a report covers at most {MAX_BUCKETS} days", field="granularity")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def since(self) -> datetime:
        """The period's first instant (UTC)."""
        return local_midnight(self.first_day, self.zone)

    @property
    def until(self) -> datetime:
        """The instant after the period (UTC): rows count when ``since <= at < until``."""
        return local_midnight(self.last_day + timedelta(days=1), self.zone)

    def buckets(self) -> list[Bucket]:
        """Every bucket of the period in order, the first and last clipped to it; none is ever missing."""
        found: list[Bucket] = []
        start = _bucket_start(self.first_day, self.granularity)
        while start <= self.last_day:
            following = _next_start(start, self.granularity)
            begins = max(start, self.first_day)
            ends = min(following, self.last_day + timedelta(days=1))
            found.append(
                Bucket(
                    label_of(start, self.granularity),
                    local_midnight(begins, self.zone),
                    local_midnight(ends, self.zone),
                )
            )
            start = following
        return found

    def labels(self) -> list[str]:
        return [bucket.label for bucket in self.buckets()]

    def bucket_label(self, moment: datetime) -> str:
        """The label of the bucket holding the UTC instant ``moment`` (for rows already loaded)."""
        return label_of(moment.astimezone(self.zone).date(), self.granularity)

    def bucket_sql(self, column: Any, dialect_name: str) -> Any:
        """The label of each row's bucket, computed by the database from a UTC timestamp ``column``."""
        return bucket_label_sql(column, self.granularity, self.zone, dialect_name, self.since, self.until)

    def local_sql(self, column: Any, dialect_name: str) -> Any:
        """``column`` as a local wall-clock timestamp (for weekday and hour of day)."""
        return local_time_sql(column, self.zone, dialect_name, self.since, self.until)

    def within(self, column: Any) -> list[Any]:
        """Conditions keeping the rows whose ``column`` falls in the period."""
        return [column >= self.since, column < self.until]


def _offsets(zone: ZoneInfo, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (seconds) over [since, until): (instant it starts, offset), first one at ``since``."""

    def offset(at: datetime) -> int:
        delta = at.astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    found = [(since, offset(since))]
    day = since
    while day < until:
        following = min(day + timedelta(days=1), until)
        if offset(following) != found[-1][1]:
            low, high = day, following  # the change lies in (low, high]: find its exact second
            while (high - low) > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == found[-1][1]:
                    low = middle
                else:
                    high = middle
            found.append((high.replace(microsecond=0), offset(high)))
        day = following
    return found


def local_time_sql(column: Any, zone: ZoneInfo, dialect_name: str, since: datetime, until: datetime) -> Any:
    """``column`` (UTC) as local wall-clock time in ``zone``; rows outside [since, until) are not needed.

    PostgreSQL converts with its own zone database. SQLite has none: the zone's offsets over the period are
    computed here and applied with a CASE over the instants where they change (a handful per year).
    """
    if dialect_name == "postgresql":
        return func.timezone(zone.key, column)
    offsets = _offsets(zone, since - timedelta(days=1), until + timedelta(days=1))
    if len(offsets) == 1:
        shift: Any = literal(f"{offsets[0][1]:+d} seconds")
    else:
        shift = case(
            *[(column < literal(start, UTCDateTime), f"{previous:+d} seconds")
              for (start, _), (_, previous) in zip(offsets[1:], offsets[:-1], strict=True)],
            else_=f"{offsets[-1][1]:+d} seconds",
        )  # fmt: skip
    # Whole seconds first: SQLite's datetime() rounds to the millisecond, which would carry 23:59:59.9996 into
    # the next day (and month).
    return func.datetime(func.substr(column, 1, 19), shift)


def bucket_label_sql(
    column: Any, granularity: Granularity, zone: ZoneInfo, dialect_name: str, since: datetime, until: datetime
) -> Any:
    """The bucket label (as ``label_of`` writes it) of a UTC timestamp column, computed by the database."""
    local = local_time_sql(column, zone, dialect_name, since, until)
    if dialect_name == "postgresql":
        pattern = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "week": 'IYYY-"W"IW'}[granularity.value]
        return func.to_char(local, pattern)
    if granularity is Granularity.day:
        return func.strftime("%Y-%m-%d", local)
    if granularity is Granularity.month:
        return func.strftime("%Y-%m", local)
    # SQLite has no ISO week: the ISO year is the year of the week's Thursday, the week that Thursday's ordinal / 7.
    thursday = func.date(local, "-3 days", "weekday 4")
    week = (cast(func.strftime("%j", thursday), Integer) - 1) // 7 + 1
    return func.strftime("%Y", thursday) + "-W" + func.printf("%02d", week)


BEFORE = ""  # the label of "before the period"


class Bucketing:
    """How the database keys each row's bucket, and how a key becomes the bucket's label.

    PostgreSQL: the row's position among the buckets' first instants (``width_bucket``, a binary search over
    the UTC instants ``ReportControls.buckets()`` computed), 0 before the period: about twice as fast over
    millions of orders as formatting each row's local time. SQLite: the label itself (``bucket_sql``), ``BEFORE``
    before the period. Either way keys sort as time does, so the SQL may compare them. No query here asks for
    instants after the period.
    """

    def __init__(self, controls: ReportControls, dialect: str) -> None:
        self.controls = controls
        self.postgresql = dialect == "postgresql"
        self.dialect = dialect
        self.labels = controls.labels()
        self.starts = [bucket.start for bucket in controls.buckets()]

    def key(self, column: Any) -> Any:
        if self.postgresql:
            starts = bindparam(None, self.starts, type_=ARRAY(DateTime(timezone=True)))
            return func.width_bucket(column, starts)
        before = column < self.controls.since
        return case((before, literal(BEFORE)), else_=self.controls.bucket_sql(column, self.dialect))

    def label(self, key: Any) -> str:
        if not self.postgresql:
            return str(key)
        return BEFORE if key == 0 else self.labels[int(key) - 1]


async def segment_members(*, session: AsyncSession, controls: ReportControls) -> Select[Any] | None:
    """The ids of the contacts in the controls' segment, as a subquery; ``None`` when no segment is chosen.

    The segment is a saved segment's id, a built-in's key, or a rule written out; an unknown one or a rule
    that does not parse is ``InvalidInput`` naming the ``segment`` field.
    """
    if controls.segment is None or not controls.segment.strip():
        return None
    ref = controls.segment.strip()
    try:
        _, rule = await segments.resolve(session=session, workspace_id=controls.workspace_id, ref=ref)
    except NotFound as missing:
        try:
            rule = parse(ref)
        except RuleError as error:
            raise InvalidInput(f"{missing.detail}; read as a rule, it fails: {error}", field="segment") from None
    ctx = await segments.context(session=session, workspace_id=controls.workspace_id)
    return segments.members(rule, ctx)
