"""Office hours per team: checked on save, and open or closed at any instant in the team's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.conversations.office_hours import DAYS, check_office_hours, is_open, parse_form
from frontdesk.errors import InvalidInput
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Adelaide", "Pacific/Kiritimati"]
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@st.composite
def office_hours(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {}
    for day in draw(st.lists(st.sampled_from(DAYS), unique=True, min_size=1)):
        cuts = sorted(draw(st.lists(st.integers(0, 24 * 60), unique=True, min_size=0, max_size=6)))
        pairs = [cuts[i : i + 2] for i in range(0, len(cuts) - 1, 2)]
        hours[day] = [
            [f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"] for start, end in pairs
        ]
    return hours


@settings(max_examples=300, deadline=None)
@given(hours=office_hours(), at=instants, zone=st.sampled_from(ZONES))
def test_open_exactly_when_the_local_minute_lies_in_an_interval_of_the_local_weekday(
    hours: dict[str, list[list[str]]], at: datetime, zone: str
) -> None:
    checked = check_office_hours(hours)
    local = at.astimezone(ZoneInfo(zone))
    minute = local.hour * 60 + local.minute
    intervals = hours.get(DAYS[local.weekday()], [])
    expected = any(_minutes(start) <= minute < _minutes(end) for start, end in intervals)
    assert is_open(checked, ZoneInfo(zone), at) is expected


@settings(max_examples=100, deadline=None)
@given(at=instants, zone=st.sampled_from(ZONES))
def test_no_hours_is_always_open_and_whole_days_follow_the_local_weekday(at: datetime, zone: str) -> None:
    assert is_open({}, ZoneInfo(zone), at)
    assert is_open({day: [["00:00", "24:00"]] for day in DAYS}, ZoneInfo(zone), at)
    local_day = DAYS[at.astimezone(ZoneInfo(zone)).weekday()]
    for day in DAYS:
        assert is_open({day: [["00:00", "24:00"]]}, ZoneInfo(zone), at) is (day == local_day)


@pytest.mark.parametrize(
    ("zone", "utc", "expected"),
    [
        # Berlin, Monday 09:00-17:00: UTC+1 in winter, UTC+2 in summer.
        ("Europe/Berlin", "2026-01-05T07:59:00", False),
        ("Europe/Berlin", "2026-01-05T08:00:00", True),
        ("Europe/Berlin", "2026-07-06T07:00:00", True),
        ("Europe/Berlin", "2026-07-06T15:00:00", False),
        # Tokyo: Sunday 23:30 UTC is already Monday 08:30 there; 00:30 UTC Monday is 09:30 Monday.
        ("Asia/Tokyo", "2026-01-04T23:30:00", False),
        ("Asia/Tokyo", "2026-01-05T00:30:00", True),
        # New York: Monday 16:30 local is 21:30 UTC in winter; Tuesday 01:00 UTC is still Monday there.
        ("America/New_York", "2026-01-05T21:30:00", True),
        ("America/New_York", "2026-01-06T01:00:00", False),
    ],
)
def test_monday_nine_to_five_across_time_zones(zone: str, utc: str, expected: bool) -> None:
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert is_open({"mon": [["09:00", "17:00"]]}, ZoneInfo(zone), at) is expected


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([], "office_hours"),
        ({"monday": []}, "office_hours.monday"),
        ({"mon": "09:00-17:00"}, "office_hours.mon"),
        ({"mon": [["09:00"]]}, "office_hours.mon.0"),
        ({"mon": [["9:00", "17:00"]]}, "office_hours.mon.0"),
        ({"mon": [["09:00", "24:01"]]}, "office_hours.mon.0"),
        ({"mon": [["17:00", "09:00"]]}, "office_hours.mon.0"),
        ({"mon": [["09:00", "09:00"]]}, "office_hours.mon.0"),
        ({"tue": [["09:00", "12:00"], ["11:00", "13:00"]]}, "office_hours.tue"),
        ({"mon": [["09:00", 17]]}, "office_hours.mon.0"),
    ],
)
def test_bad_hours_are_refused_naming_the_day_and_interval(hours: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_office_hours(hours)
    assert refused.value.errors[0]["field"] == field


def test_the_console_form_reads_intervals_per_day() -> None:
    assert parse_form({}) == {}
    assert parse_form({"mon": "13:00-17:00, 09:00-12:00", "sat": ""}) == {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "tue": [], "wed": [], "thu": [], "fri": [], "sat": [], "sun": [],
    }  # fmt: skip
    with pytest.raises(InvalidInput):
        parse_form({"mon": "9 to 5"})


async def test_office_hours_through_the_api(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    url = "/api/v1/teams/sales/office-hours"
    read = (await client.get(url, headers=workspace.headers)).json()
    assert (read["office_hours"], read["time_zone"], read["open_now"]) == ({}, None, True)
    closed_all_week = {"office_hours": {"mon": []}, "time_zone": "Asia/Tokyo"}
    written = await client.put(url, json=closed_all_week, headers=workspace.headers)
    assert written.status_code == 200, written.text
    assert (written.json()["open_now"], written.json()["time_zone"]) == (False, "Asia/Tokyo")
    bad_zone = await client.put(url, json={"office_hours": {}, "time_zone": "Mars/Olympus"}, headers=workspace.headers)
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["field"] == "time_zone"
    bad_day = await client.put(url, json={"office_hours": {"funday": []}}, headers=workspace.headers)
    assert bad_day.status_code == 422 and bad_day.json()["errors"][0]["field"] == "office_hours.funday"
    assert (await client.get("/api/v1/teams/billing/office-hours", headers=workspace.headers)).status_code == 404


async def test_office_hours_in_the_console(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings/chat")).text)
    now = datetime.now(UTC)
    today = DAYS[now.weekday()]
    saved = await client.post(
        "/settings/teams/support/office-hours",
        data={"csrf_token": csrf, today: "00:00-24:00", "time_zone": "UTC"},
    )
    assert saved.status_code == 303
    read = (await client.get("/api/v1/teams/support/office-hours", headers=workspace.headers)).json()
    assert read["office_hours"][today] == [["00:00", "24:00"]] and read["open_now"] is True
    tomorrow = DAYS[(now + timedelta(days=1)).weekday()]
    assert read["office_hours"][tomorrow] == []
    refused = await client.post("/settings/teams/support/office-hours", data={"csrf_token": csrf, "mon": "17:00-09:00"})
    assert refused.status_code == 422 and "must come before" in refused.text
    page = (await client.get("/settings/chat")).text
    assert 'value="00:00-24:00"' in page
