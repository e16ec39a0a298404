"""Office hours per team: when a team takes chats. Outside them the widget shows the offline form.

Stored on ``Team.office_hours`` as ``{"mon": [["09:00", "17:00"]], ...}`` in the team's time zone (the
workspace's when the team has none). An empty dict means always open; a weekday missing from a non-empty dict
is closed all that day. An interval includes its start and excludes its end; "24:00" ends at midnight.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Team
from frontdesk.errors import InvalidInput
from frontdesk.inputs import RequestModel
from frontdesk.reports.controls import zone_of
from frontdesk.workspaces.models import Workspace

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")
MAX_INTERVALS_PER_DAY = 6

OfficeHours = dict[str, list[list[str]]]


class OfficeHoursWrite(RequestModel):
    office_hours: dict[str, Any] = Field(
        description='Per weekday, intervals of local time: {"mon": [["09:00", "17:00"]], "sat": []}; '
        "{} means always open, a weekday left out is closed"
    )
    time_zone: str | None = Field(None, max_length=64, description="IANA name; null: the workspace's")


class OfficeHoursRead(BaseModel):
    team: str
    office_hours: OfficeHours
    time_zone: str | None
    open_now: bool


def check_office_hours(value: Any, *, field: str = "office_hours") -> OfficeHours:
    """Office hours as stored: known weekdays, "HH:MM" times, each start before its end, sorted, no overlaps."""
    if not isinstance(value, dict):
        raise InvalidInput('weekdays with intervals, e.g. {"mon": [["09:00", "17:00"]]}', field=field)
    checked: OfficeHours = {}
    for day, intervals in value.items():
        where = f"{field}.{day}"
        if day not in DAYS:
            raise InvalidInput(f"a weekday: one of {', '.join(DAYS)}", field=where)
        if not isinstance(intervals, list) or len(intervals) > MAX_INTERVALS_PER_DAY:
            raise InvalidInput(f"a list of up to {MAX_INTERVALS_PER_DAY} [start, end] pairs", field=where)
        pairs: list[list[str]] = []
        for index, interval in enumerate(intervals):
            at = f"{where}.{index}"
            if not (isinstance(interval, list) and len(interval) == 2 and all(isinstance(t, str) for t in interval)):
                raise InvalidInput('a pair of times such as ["09:00", "17:00"]', field=at)
            start, end = interval
            for time in (start, end):
                if not _TIME.fullmatch(time):
                    raise InvalidInput(f"{time!r} is not a time of day as HH:MM (00:00 to 24:00)", field=at)
            if start == "24:00" or not start < end:
                raise InvalidInput(f"the start ({start}) must come before the end ({end})", field=at)
            pairs.append([start, end])
        pairs.sort()
        for earlier, later in itertools.pairwise(pairs):
            if later[0] < earlier[1]:
                raise InvalidInput(f"{earlier[0]}-{earlier[1]} and {later[0]}-{later[1]} overlap", field=where)
        checked[day] = pairs
    return checked


def check_time_zone(name: str | None, *, field: str = "time_zone") -> str | None:
    if name is None or not name.strip():
        return None
    zone_of(name.strip(), field=field)
    return name.strip()


def is_open(office_hours: OfficeHours, zone: ZoneInfo, at: datetime) -> bool:
    """Whether a team with these hours in ``zone`` takes chats at the aware instant ``at``."""
    if not office_hours:
        return True
    local = at.astimezone(zone)
    now = f"{local.hour:02d}:{local.minute:02d}"
    return any(start <= now < end for start, end in office_hours.get(DAYS[local.weekday()], []))


def team_zone(team: Team, workspace_zone: str) -> ZoneInfo:
    """The zone a team's hours are written in: its own, else the workspace's."""
    try:
        return ZoneInfo(team.time_zone or workspace_zone)
    except (ValueError, KeyError):  # saved names are checked; a zone later dropped by tzdata reads as UTC
        return ZoneInfo("UTC")


async def workspace_zone_name(session: AsyncSession, workspace_id: int) -> str:
    return (await session.scalar(select(Workspace.time_zone).where(Workspace.id == workspace_id))) or "UTC"


def parse_form(text_by_day: dict[str, str], *, field: str = "office_hours") -> OfficeHours:
    """The console's form: one text per weekday such as "09:00-12:00, 13:00-17:00" (empty: closed).

    Every day empty means always open, as an empty dict does.
    """
    raw: dict[str, list[list[str]]] = {}
    for day in DAYS:
        text = text_by_day.get(day, "").strip()
        intervals = []
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            start, dash, end = part.partition("-")
            if not dash:
                raise InvalidInput(f"{part!r}: write intervals as 09:00-17:00", field=f"{field}.{day}")
            intervals.append([start.strip(), end.strip()])
        raw[day] = intervals
    if not any(raw.values()):
        return {}
    return check_office_hours(raw, field=field)


def form_text(office_hours: OfficeHours) -> dict[str, str]:
    """Per weekday, the text the console's form shows."""
    return {day: ", ".join(f"{start}-{end}" for start, end in office_hours.get(day, [])) for day in DAYS}
