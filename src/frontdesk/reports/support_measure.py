"""The support report's raw figures: counts, sums and percentiles of conversations, grouped by the database.

Every figure of the support report comes from one pass here (docs/reports.md, "Support"). A conversation
belongs to the bucket of its ``created_at`` (in the report's time zone); its first-response, resolution and
offline answer times and its rating all count in that bucket, whenever they happened.

PostgreSQL computes everything in SQL: counts, sums and ``percentile_cont`` over every grouping at once
(GROUPING SETS, one scan of the period), the bucket of each row by a binary search over the buckets' UTC
starts. SQLite has no percentiles, so its rows are fetched (a handful of columns, no ORM objects) and tallied
in Python with ``figures.percentile``, which interpolates exactly as ``percentile_cont`` does; the buckets and
the weekday x hour counts are taken in Python there too, because SQLite's datetime() rounds to milliseconds
(23:59:59.9996 would fall into the next day). Durations are seconds as doubles on both sides (PostgreSQL:
``extract(epoch ...)`` of the exact interval; Python: the exact ``timedelta`` divided by one second), so the
two give the same numbers to the last bit.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Float, case, cast, extract, func, literal, null, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation, Team
from frontdesk.reports.controls import Bucketing, ReportControls, segment_members
from frontdesk.reports.figures import percentile
from frontdesk.workspaces.models import Agent

SATISFIED_FROM = 4  # a rating of 4 or 5 (of 1-5) is "satisfied": what Zendesk and Intercom count as CSAT
FRACTIONS = (0.5, 0.9)  # the median and the 90th percentile


class Grouping(enum.StrEnum):
    bucket = "bucket"  # the bucket label of created_at
    team = "team"  # Conversation.team_id (None: no team)
    agent = "agent"  # Conversation.assignee_id (None: unassigned)
    rated_agent = "rated_agent"  # csat_agent_id, else assignee_id: who a rating is about (None: nobody)
    total = "total"  # the whole period


@dataclass(frozen=True)
class Durations:
    """Percentiles of some durations, in seconds; ``count`` durations were measured."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass
class Tally:
    """The raw figures of one group of conversations."""

    conversations: int = 0
    first_response: Durations = field(default_factory=Durations)  # over those with a first response
    resolution: Durations = field(default_factory=Durations)  # over those resolved
    ratings: int = 0
    satisfied: int = 0  # ratings >= SATISFIED_FROM
    rating_sum: int = 0
    offline: int = 0  # started while no agent was online
    offline_answer: Durations = field(default_factory=Durations)  # offline ones with a first response


@dataclass
class Measured:
    """Tallies by grouping, each keyed by the group's value (a bucket label, a team or agent id, or None)."""

    groups: dict[Grouping, dict[Any, Tally]]

    def of(self, grouping: Grouping) -> dict[Any, Tally]:
        return self.groups.get(grouping, {})

    @property
    def total(self) -> Tally:
        return self.of(Grouping.total).get(None, Tally())


def _seconds(later: Any, earlier: Any) -> Any:
    """``later - earlier`` in seconds as a double (PostgreSQL): exact interval, then one rounding."""
    return cast(extract("epoch", later - earlier), Float)


def _rated_agent() -> Any:
    # The widget records the assignee at rating time in csat_agent_id; an agent since deleted (SET NULL)
    # falls back to the conversation's current assignee.
    return func.coalesce(Conversation.csat_agent_id, Conversation.assignee_id)


async def conditions(session: AsyncSession, controls: ReportControls) -> list[Any]:
    """The conversations a support figure counts: the workspace's, created in the period, in the segment."""
    found = [Conversation.workspace_id == controls.workspace_id, *controls.within(Conversation.created_at)]
    members = await segment_members(session=session, controls=controls)
    if members is not None:
        found.append(Conversation.contact_id.in_(members))
    return found


TIMES = frozenset({"first_response", "resolution", "offline_answer"})


async def measure(
    session: AsyncSession,
    controls: ReportControls,
    groupings: Sequence[Grouping],
    where: list[Any] | None = None,
    times: frozenset[str] = TIMES,
) -> Measured:
    """The tallies of the period's conversations for each of ``groupings`` (``where``: from ``conditions``).

    ``times`` names the durations whose percentiles are wanted (the costly part on PostgreSQL); the others
    may come back with their count only. Counts and ratings are always there.
    """
    if where is None:
        where = await conditions(session, controls)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return await _measure_in_sql(session, controls, where, groupings, times)
    return await _measure_in_python(session, controls, where, groupings)


# --- PostgreSQL: everything in SQL ---------------------------------------------------------------------------

_COLUMNS = {Grouping.bucket: "bucket", Grouping.team: "team", Grouping.agent: "agent"}


def _percentiles(column: Any) -> Any:
    # One sort per group gives both fractions.
    return func.percentile_cont(cast(list(FRACTIONS), ARRAY(Float))).within_group(column)


def _durations(count: int, values: Sequence[float] | None) -> Durations:
    if not count or values is None:
        return Durations(count)
    return Durations(count, values[0], values[1])


async def _measure_in_sql(
    session: AsyncSession,
    controls: ReportControls,
    where: list[Any],
    groupings: Sequence[Grouping],
    times: frozenset[str],
) -> Measured:
    measured = Measured({grouping: {} for grouping in groupings})
    plain = [g for g in groupings if g in _COLUMNS or g is Grouping.total]
    if plain:
        created = Conversation.created_at
        first_response = _seconds(Conversation.first_response_at, created)
        rows = (
            select(
                Bucketing(controls, "postgresql").key(Conversation.created_at).label("bucket"),
                Conversation.team_id.label("team"),
                Conversation.assignee_id.label("agent"),
                first_response.label("first_response"),
                _seconds(Conversation.resolved_at, created).label("resolution"),
                Conversation.csat_rating.label("rating"),
                Conversation.started_offline.label("offline"),
            )
            .where(*where)
            .subquery()
        )
        keyed = [g for g in _COLUMNS if g in plain]  # GROUPING() may only name columns some set groups on
        keys = [rows.c[_COLUMNS[g]] for g in keyed]
        sets = [tuple_(rows.c[_COLUMNS[g]]) if g in _COLUMNS else tuple_() for g in plain]
        statement = select(
            *keys,
            (func.grouping(*keys) if keys else literal(0)).label("grouping"),
            func.count(),
            func.count(rows.c.first_response),
            _percentiles(rows.c.first_response) if "first_response" in times else null(),
            func.count(rows.c.resolution),
            _percentiles(rows.c.resolution) if "resolution" in times else null(),
            *_rating_aggregates(rows.c.rating),
            func.count().filter(rows.c.offline),
            func.count(rows.c.first_response).filter(rows.c.offline),
            (_percentiles(rows.c.first_response).filter(rows.c.offline) if "offline_answer" in times else null()),
        ).group_by(func.grouping_sets(*sets))
        # GROUPING() sets one bit per key column NOT grouped on, the first column the highest bit.
        masks = {g: sum(1 << (len(keyed) - 1 - i) for i, c in enumerate(keyed) if c is not g) for g in plain}
        by_mask = {mask: g for g, mask in masks.items()}
        labels = controls.labels()
        for row in (await session.execute(statement)).all():
            grouping = by_mask[row.grouping]
            key: Any = None if grouping is Grouping.total else row[keyed.index(grouping)]
            if grouping is Grouping.bucket:
                key = labels[int(key) - 1]
            (conversations, answered, fr, resolved, res, ratings, satisfied, rating_sum, offline, off_answered,
             off) = row[len(keyed) + 1:]  # fmt: skip
            measured.groups[grouping][key] = Tally(
                conversations=conversations,
                first_response=_durations(answered, fr),
                resolution=_durations(resolved, res),
                ratings=ratings,
                satisfied=int(satisfied or 0),
                rating_sum=int(rating_sum or 0),
                offline=offline,
                offline_answer=_durations(off_answered, off),
            )
    if Grouping.rated_agent in groupings:
        # Ratings only, so a plain GROUP BY (no percentiles) is enough.
        rated = _rated_agent().label("rated_agent")
        statement = select(rated, *_rating_aggregates(Conversation.csat_rating)).where(
            *where, Conversation.csat_rating.is_not(None)
        )
        for row in (await session.execute(statement.group_by(rated))).all():
            key, ratings, satisfied, rating_sum = tuple(row)
            measured.groups[Grouping.rated_agent][key] = Tally(
                ratings=ratings, satisfied=int(satisfied or 0), rating_sum=int(rating_sum or 0)
            )
    return measured


def _rating_aggregates(rating: Any) -> list[Any]:
    return [
        func.count(rating),
        func.sum(case((rating >= SATISFIED_FROM, 1), else_=0)),
        func.sum(rating),
    ]


# --- SQLite: rows out, percentiles in Python ------------------------------------------------------------------


@dataclass
class _Collector:
    conversations: int = 0
    first_response: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    offline: int = 0
    offline_answer: list[float] = field(default_factory=list)

    def tally(self) -> Tally:
        return Tally(
            conversations=self.conversations,
            first_response=_durations_of(self.first_response),
            resolution=_durations_of(self.resolution),
            ratings=len(self.ratings),
            satisfied=sum(1 for rating in self.ratings if rating >= SATISFIED_FROM),
            rating_sum=sum(self.ratings),
            offline=self.offline,
            offline_answer=_durations_of(self.offline_answer),
        )


def _durations_of(values: list[float]) -> Durations:
    return Durations(len(values), percentile(values, FRACTIONS[0]), percentile(values, FRACTIONS[1]))


def _elapsed(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else (later - earlier).total_seconds()


async def _measure_in_python(
    session: AsyncSession, controls: ReportControls, where: list[Any], groupings: Iterable[Grouping]
) -> Measured:
    chosen = list(groupings)
    collectors: dict[Grouping, defaultdict[Any, _Collector]] = {g: defaultdict(_Collector) for g in chosen}
    # Buckets are found here, not with ``bucket_sql``: SQLite's datetime() rounds to milliseconds, so a
    # conversation at 23:59:59.9996 would land in the next day (and month). As on PostgreSQL, a bucket is
    # found among the buckets' UTC starts (the rows are all within the period, so at or after the first).
    buckets = controls.buckets()
    starts, labels = [bucket.start for bucket in buckets], [bucket.label for bucket in buckets]
    statement = select(
        Conversation.team_id,
        Conversation.assignee_id,
        _rated_agent(),
        Conversation.created_at,
        Conversation.first_response_at,
        Conversation.resolved_at,
        Conversation.csat_rating,
        Conversation.started_offline,
    ).where(*where)
    for team, agent, rated, created, responded, resolved, rating, offline in await session.execute(statement):
        bucket = labels[bisect_right(starts, created) - 1]
        first_response = _elapsed(responded, created)
        resolution = _elapsed(resolved, created)
        keys = {Grouping.bucket: bucket, Grouping.team: team, Grouping.agent: agent, Grouping.total: None}
        for grouping in chosen:
            if grouping is Grouping.rated_agent:
                if rating is not None:
                    collectors[grouping][rated].ratings.append(rating)
                continue
            collector = collectors[grouping][keys[grouping]]
            collector.conversations += 1
            if first_response is not None:
                collector.first_response.append(first_response)
            if resolution is not None:
                collector.resolution.append(resolution)
            if rating is not None:
                collector.ratings.append(rating)
            if offline:
                collector.offline += 1
                if first_response is not None:
                    collector.offline_answer.append(first_response)
    return Measured({g: {key: c.tally() for key, c in collectors[g].items()} for g in chosen})


# --- the heatmap and the names of teams and agents ------------------------------------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


async def weekday_hours(session: AsyncSession, controls: ReportControls, where: list[Any]) -> list[list[int]]:
    """Conversations created in each local weekday (Monday first) and hour: 7 rows of 24 counts."""
    counts = [[0] * 24 for _ in WEEKDAYS]
    if session.get_bind().dialect.name != "postgresql":
        # In Python, as the buckets on SQLite (see _measure_in_python): its datetime() rounds to milliseconds.
        zone = controls.zone
        for created in await session.scalars(select(Conversation.created_at).where(*where)):
            local = created.astimezone(zone)
            counts[local.weekday()][local.hour] += 1
        return counts
    # One formatted key per row ("1 00" .. "7 23": ISO weekday, Monday 1, and hour) costs half what two
    # extract() calls do. Grouped over a subquery: the zone and pattern are bound parameters, and PostgreSQL
    # does not see two copies of one expression with parameters (in SELECT and GROUP BY) as equal.
    local = controls.local_sql(Conversation.created_at, "postgresql")
    rows = select(func.to_char(local, "ID HH24").label("slot")).where(*where).subquery()
    for slot, count in (await session.execute(select(rows.c.slot, func.count()).group_by(rows.c.slot))).all():
        counts[int(slot[0]) - 1][int(slot[2:])] = count
    return counts


async def names(session: AsyncSession, workspace_id: int, teams: Iterable[Any], agents: Iterable[Any]) -> tuple[
    dict[int, str], dict[int, str]
]:  # fmt: skip
    """The names of the given team ids and agent ids (of the workspace)."""
    team_ids = sorted({team for team in teams if team is not None})
    agent_ids = sorted({agent for agent in agents if agent is not None})
    team_names: dict[int, str] = {}
    agent_names: dict[int, str] = {}
    if team_ids:
        statement = select(Team.id, Team.name).where(Team.workspace_id == workspace_id, Team.id.in_(team_ids))
        team_names = {team_id: name for team_id, name in (await session.execute(statement)).all()}
    if agent_ids:
        statement = select(Agent.id, Agent.display_name).where(
            Agent.workspace_id == workspace_id, Agent.id.in_(agent_ids)
        )
        agent_names = {agent_id: name for agent_id, name in (await session.execute(statement)).all()}
    return team_names, agent_names
