"""The support report against a plain-Python oracle, on SQLite and PostgreSQL; and its API.

The property generates random conversations (teams, agents, created / first-response / resolved times with
microseconds, ratings, the agent rated, offline flag, contacts in and out of a segment) around the edges of a
period (local midnight, 23:30 local on the last day of a month, DST changes, ISO week 53), computes every
number of the report itself from the generated rows, and compares the whole report with it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact
from frontdesk.conversations.models import Conversation, Team
from frontdesk.db import create_session_factory
from frontdesk.reports import support
from frontdesk.reports.charts import charts_csv
from frontdesk.reports.controls import Granularity, ReportControls
from frontdesk.reports.figures import Figure
from frontdesk.workspaces.models import Agent
from tests.factories import WorkspaceHandle, make_workspace

_names = itertools.count()

# (zone, granularity, first day, last day): month ends and DST changes in non-UTC zones, ISO week 53.
SCENARIOS = [
    ("Europe/Berlin", Granularity.month, date(2026, 1, 1), date(2026, 4, 30)),
    ("America/New_York", Granularity.month, date(2025, 10, 15), date(2026, 1, 31)),
    ("UTC", Granularity.week, date(2020, 12, 16), date(2021, 1, 13)),  # 2020-W53
    ("Europe/Berlin", Granularity.week, date(2026, 12, 20), date(2027, 1, 12)),  # 2026-W53
    ("America/New_York", Granularity.day, date(2026, 3, 6), date(2026, 3, 10)),  # DST begins on the 8th
    ("Asia/Kolkata", Granularity.day, date(2026, 2, 27), date(2026, 3, 2)),
]
SEGMENTS = [None, "country = 'DE'", "country = 'US'"]  # nobody is in the US: a segment without members
CONTACT_COUNTRIES = ["DE", "FR", "DE"]
TEAM_NAMES = ["Support", "Sales"]
AGENT_NAMES = ["Bo", "Ada", "Bo"]  # two agents of one name


@dataclass
class Gen:
    created: datetime
    first_response: timedelta | None
    resolution: timedelta | None
    rating: int | None
    rated_agent: int | None  # index into the agents; csat_agent_id
    team: int | None
    agent: int | None
    offline: bool
    contact: int | None


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _special_moments(zone: ZoneInfo, first: date, last: date) -> list[datetime]:
    """Instants at the edges: the period's bounds, and 23:30 local on each month's last day."""
    since, until = _local_midnight(first, zone), _local_midnight(last + timedelta(days=1), zone)
    found = [since, since - timedelta(microseconds=1), until, until - timedelta(microseconds=1)]
    day = first
    while day <= last:
        if (day + timedelta(days=1)).month != day.month:
            found.append(datetime.combine(day, time(23, 30), zone).astimezone(UTC))
        day += timedelta(days=1)
    return found


durations = (
    st.none()
    | st.integers(0, 3 * 24 * 3600).map(lambda s: timedelta(seconds=s))
    | st.integers(0, 10**9).map(lambda us: timedelta(microseconds=us))
)


def conversations(zone: ZoneInfo, first: date, last: date) -> st.SearchStrategy[list[Gen]]:
    since = _local_midnight(first, zone) - timedelta(days=1)
    span = int((_local_midnight(last + timedelta(days=2), zone) - since).total_seconds())
    created = st.sampled_from(_special_moments(zone, first, last)) | st.integers(0, span).map(
        lambda s: since + timedelta(seconds=s)
    )
    # A size drawn first: plain st.lists keeps most lists tiny, and a small list rarely holds every case.
    return st.integers(0, 40).flatmap(
        lambda size: st.lists(
            st.builds(
                Gen,
                created=created,
                first_response=durations,
                resolution=durations,
                rating=st.none() | st.integers(1, 5),
                rated_agent=st.none() | st.integers(0, len(AGENT_NAMES) - 1),
                team=st.none() | st.integers(0, len(TEAM_NAMES) - 1),
                agent=st.none() | st.integers(0, len(AGENT_NAMES) - 1),
                offline=st.booleans(),
                contact=st.none() | st.integers(0, len(CONTACT_COUNTRIES) - 1),
            ),
            min_size=size,
            max_size=size,
        )
    )


# --- the oracle ---------------------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


def _times(values: list[float]) -> dict[str, Any]:
    return {
        "measured": len(values),
        "median": _minutes(_percentile(values, 0.5)),
        "p90": _minutes(_percentile(values, 0.9)),
    }


def _satisfaction(ratings: list[int]) -> dict[str, Any]:
    satisfied = sum(1 for rating in ratings if rating >= 4)
    return {
        "ratings": len(ratings),
        "satisfied": satisfied,
        "csat": round(100 * satisfied / len(ratings), 2) if ratings else None,
        "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }


def _secs(delta: timedelta | None) -> list[float]:
    return [] if delta is None else [delta.total_seconds()]


def _period(label: str, rows: list[Gen]) -> dict[str, Any]:
    offline = [c for c in rows if c.offline]
    return {
        "label": label,
        "conversations": len(rows),
        "first_response": _times([s for c in rows for s in _secs(c.first_response)]),
        "without_first_response": sum(1 for c in rows if c.first_response is None),
        "resolution": _times([s for c in rows for s in _secs(c.resolution)]),
        "unresolved": sum(1 for c in rows if c.resolution is None),
        "satisfaction": _satisfaction([c.rating for c in rows if c.rating is not None]),
        "offline": len(offline),
        "offline_answer": _times([s for c in offline for s in _secs(c.first_response)]),
        "offline_unanswered": sum(1 for c in offline if c.first_response is None),
    }


def _group(key: int | None, name: str, held: list[Gen], rated: list[int]) -> dict[str, Any]:
    return {
        "id": key,
        "name": name,
        "conversations": len(held),
        "first_response": _times([s for c in held for s in _secs(c.first_response)]),
        "without_first_response": sum(1 for c in held if c.first_response is None),
        "resolution": _times([s for c in held for s in _secs(c.resolution)]),
        "satisfaction": _satisfaction(rated),
    }


def _label(local: date, granularity: Granularity) -> str:
    if granularity is Granularity.day:
        return local.isoformat()
    if granularity is Granularity.month:
        return local.strftime("%Y-%m")
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def oracle(
    rows: list[Gen], controls: ReportControls, members: set[int], team_ids: list[int], agent_ids: list[int]
) -> dict[str, Any]:
    zone = ZoneInfo(controls.time_zone)
    since = _local_midnight(controls.first_day, zone)
    until = _local_midnight(controls.last_day + timedelta(days=1), zone)
    counted = [
        c
        for c in rows
        if since <= c.created < until and (controls.segment is None or (c.contact is not None and c.contact in members))
    ]
    days = [controls.first_day + timedelta(days=n) for n in range((controls.last_day - controls.first_day).days + 1)]
    labels = list(dict.fromkeys(_label(day, controls.granularity) for day in days))

    def bucket(c: Gen) -> str:
        return _label(c.created.astimezone(zone).date(), controls.granularity)

    heatmap = [[0] * 24 for _ in range(7)]
    for c in counted:
        local = c.created.astimezone(zone)
        heatmap[local.weekday()][local.hour] += 1

    def team_of(c: Gen) -> int | None:
        return None if c.team is None else team_ids[c.team]

    def agent_of(c: Gen) -> int | None:
        return None if c.agent is None else agent_ids[c.agent]

    def rated_of(c: Gen) -> int | None:
        return agent_ids[c.rated_agent] if c.rated_agent is not None else agent_of(c)

    team_name = dict(zip(team_ids, TEAM_NAMES, strict=True))
    agent_name = dict(zip(agent_ids, AGENT_NAMES, strict=True))

    def groups(
        keys: set[int | None], held: Any, rated: Any, named: dict[int, str], nobody: str
    ) -> list[dict[str, Any]]:
        ordered: list[int | None] = sorted((k for k in keys if k is not None), key=lambda k: (named[k], k))
        ordered += [None] if None in keys else []
        return [
            _group(
                key,
                nobody if key is None else named[key],
                [c for c in counted if held(c) == key],
                [c.rating for c in counted if c.rating is not None and rated(c) == key],
            )
            for key in ordered
        ]

    rated_keys = {rated_of(c) for c in counted if c.rating is not None}
    return {
        "labels": labels,
        "granularity": controls.granularity.value,
        "time_zone": controls.time_zone,
        "first_day": controls.first_day.isoformat(),
        "last_day": controls.last_day.isoformat(),
        "segment": controls.segment,
        "period": _period("total", counted),
        "buckets": [_period(label, [c for c in counted if bucket(c) == label]) for label in labels],
        "by_team": groups({team_of(c) for c in counted}, team_of, team_of, team_name, "No team"),
        "by_agent": groups({agent_of(c) for c in counted} | rated_keys, agent_of, rated_of, agent_name, "Unassigned"),
        "heatmap": {
            "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "hours": [f"{hour:02d}" for hour in range(24)],
            "counts": heatmap,
        },
    }


# --- the property -------------------------------------------------------------------------------------------


async def _world(engine: AsyncEngine, workspace: WorkspaceHandle) -> tuple[list[int], list[int], list[int]]:
    """Contacts, teams and agents of the workspace: their ids, in the order of the constants above."""
    async with create_session_factory(engine)() as session:
        contact_ids = []
        for n, country in enumerate(CONTACT_COUNTRIES):
            data = ContactCreate(name=f"Contact {n}", country=country)
            contact_ids.append(
                (await do_create_contact(session=session, workspace_id=workspace.id, data=data, actor="test")).id
            )
        teams = [Team(workspace_id=workspace.id, key=f"t{n}", name=name) for n, name in enumerate(TEAM_NAMES)]
        agents = [
            Agent(
                workspace_id=workspace.id,
                email=f"a{n}-{workspace.id}@example.com",
                email_normalized=f"a{n}-{workspace.id}@example.com",
                display_name=name,
                password_hash="-",
            )
            for n, name in enumerate(AGENT_NAMES)
        ]
        session.add_all([*teams, *agents])
        await session.commit()
        return contact_ids, [t.id for t in teams], [a.id for a in agents]


async def _store(engine: AsyncEngine, workspace_id: int, rows: list[Gen], world: tuple[list[int], ...]) -> None:
    contacts, teams, agents = world
    async with create_session_factory(engine)() as session:
        session.add_all(
            Conversation(
                workspace_id=workspace_id,
                contact_id=None if c.contact is None else contacts[c.contact],
                team_id=None if c.team is None else teams[c.team],
                assignee_id=None if c.agent is None else agents[c.agent],
                status="resolved" if c.resolution is not None else "open",
                started_offline=c.offline,
                created_at=c.created,
                first_response_at=None if c.first_response is None else c.created + c.first_response,
                resolved_at=None if c.resolution is None else c.created + c.resolution,
                csat_rating=c.rating,
                csat_agent_id=None if c.rated_agent is None else agents[c.rated_agent],
            )
            for c in rows
        )
        await session.commit()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), scenario=st.sampled_from(SCENARIOS), segment=st.sampled_from(SEGMENTS))
async def test_support_report_matches_the_oracle(
    engine: AsyncEngine, data: st.DataObject, scenario: tuple[str, Granularity, date, date], segment: str | None
) -> None:
    zone_name, granularity, first_day, last_day = scenario
    rows = data.draw(conversations(ZoneInfo(zone_name), first_day, last_day), label="conversations")
    workspace = await make_workspace(engine, f"Support {next(_names)}")
    rival = await make_workspace(engine, f"Rival {next(_names)}")
    world = await _world(engine, workspace)
    await _store(engine, workspace.id, rows, world)
    # The same conversations in another workspace, with its own contacts: never counted.
    await _store(engine, rival.id, rows, await _world(engine, rival))
    controls = ReportControls(workspace.id, first_day, last_day, granularity, zone_name, segment)
    _, team_ids, agent_ids = world
    members = {n for n, country in enumerate(CONTACT_COUNTRIES) if segment == f"country = '{country}'"}
    expected = oracle(rows, controls, members, team_ids, agent_ids)

    async with create_session_factory(engine)() as session:
        report = await support.support_report(session, controls)
        assert report.model_dump(mode="json") == expected
        first_response = await support.first_response_minutes(session, controls)
        csat = await support.csat(session, controls)
    assert first_response == Figure(
        value=expected["period"]["first_response"]["median"],
        by_bucket=[b["first_response"]["median"] for b in expected["buckets"]],
    )
    assert csat == Figure(
        value=expected["period"]["satisfaction"]["csat"],
        by_bucket=[b["satisfaction"]["csat"] for b in expected["buckets"]],
    )
    charts = {chart.key: chart for chart in support.charts(report)}
    heatmap = charts["weekday-hours"]
    assert heatmap.kind == "heatmap" and list(heatmap.labels) == [f"{h:02d}" for h in range(24)]
    assert [(s.name, list(s.values)) for s in heatmap.series] == list(
        zip(expected["heatmap"]["weekdays"], expected["heatmap"]["counts"], strict=True)
    )
    assert list(charts["first-response"].series[0].values) == [
        b["first_response"]["median"] for b in expected["buckets"]
    ]
    assert charts_csv(list(charts.values())).startswith("chart,series,label,value,unit")
