"""The support report: how many chats come in, how fast the team answers and resolves them, how satisfied
customers are, when chats arrive, and what happens to messages left while nobody was online.

Definitions: docs/reports.md, "Support". Every number is tallied by ``support_measure.measure`` and turned
into report rows by the functions below, the only place that does. The dashboard's figures
(``first_response_minutes``, ``csat``) run the same ``measure`` (for the buckets and the whole period only)
and read the same rows (``first_response_figure``, ``csat_figure``), so the report, its charts, its CSV, the
API and the dashboard agree.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.reports.charts import Chart
from frontdesk.reports.controls import ReportControls
from frontdesk.reports.figures import Figure, rate, ratio
from frontdesk.reports.registry import ReportDefinition
from frontdesk.reports.support_charts import support_charts
from frontdesk.reports.support_measure import (
    WEEKDAYS,
    Durations,
    Grouping,
    Measured,
    Tally,
    conditions,
    measure,
    names,
    weekday_hours,
)
from frontdesk.reports.support_schema import (
    Heatmap,
    Satisfaction,
    SupportGroup,
    SupportPeriod,
    SupportReport,
    TimeFigures,
)
from frontdesk.workspaces.models import Role

NO_TEAM = "No team"
UNASSIGNED = "Unassigned"


# --- from raw tallies to report rows (the only place these numbers are derived) ------------------------------


def minutes(seconds: float | None) -> float | None:
    """A duration shown in minutes, 2 decimals (the percentile is taken on exact seconds, then rounded once)."""
    return None if seconds is None else round(seconds / 60, 2)


def _times(durations: Durations) -> TimeFigures:
    return TimeFigures(measured=durations.count, median=minutes(durations.median), p90=minutes(durations.p90))


def _satisfaction(tally: Tally) -> Satisfaction:
    return Satisfaction(
        ratings=tally.ratings,
        satisfied=tally.satisfied,
        csat=rate(tally.satisfied, tally.ratings),
        average=ratio(tally.rating_sum, tally.ratings),
    )


def _period(label: str, tally: Tally) -> SupportPeriod:
    return SupportPeriod(
        label=label,
        conversations=tally.conversations,
        first_response=_times(tally.first_response),
        without_first_response=tally.conversations - tally.first_response.count,
        resolution=_times(tally.resolution),
        unresolved=tally.conversations - tally.resolution.count,
        satisfaction=_satisfaction(tally),
        offline=tally.offline,
        offline_answer=_times(tally.offline_answer),
        offline_unanswered=tally.offline - tally.offline_answer.count,
    )


def _buckets(measured: Measured, controls: ReportControls) -> list[SupportPeriod]:
    found = measured.of(Grouping.bucket)
    return [_period(label, found.get(label, Tally())) for label in controls.labels()]


def _group(key: int | None, name: str, held: Tally, rated: Tally) -> SupportGroup:
    return SupportGroup(
        id=key,
        name=name,
        conversations=held.conversations,
        first_response=_times(held.first_response),
        without_first_response=held.conversations - held.first_response.count,
        resolution=_times(held.resolution),
        satisfaction=_satisfaction(rated),
    )


def _groups(held: dict[int | None, Tally], rated: dict[int | None, Tally], named: dict[int, str], nobody: str) -> list[
    SupportGroup
]:  # fmt: skip
    """A row per team or agent that holds or was rated for a conversation of the period, by name; the
    no-team / unassigned row last."""
    keys = set(held) | set(rated)
    known = [key for key in keys if key is not None]
    ordered: list[int | None] = [*sorted(known, key=lambda key: (named.get(key, ""), key))]
    if None in keys:
        ordered.append(None)
    return [
        _group(
            key, nobody if key is None else named.get(key, f"#{key}"), held.get(key, Tally()), rated.get(key, Tally())
        )
        for key in ordered
    ]


def first_response_figure(measured: Measured, controls: ReportControls) -> Figure:
    return Figure(
        value=_period("", measured.total).first_response.median,
        by_bucket=[row.first_response.median for row in _buckets(measured, controls)],
    )


def csat_figure(measured: Measured, controls: ReportControls) -> Figure:
    return Figure(
        value=_period("", measured.total).satisfaction.csat,
        by_bucket=[row.satisfaction.csat for row in _buckets(measured, controls)],
    )


# --- the figures and the report --------------------------------------------------------------------------------

_DASHBOARD = (Grouping.bucket, Grouping.total)


async def first_response_minutes(session: AsyncSession, controls: ReportControls) -> Figure:
    """Median first-response time in minutes, over the period and per bucket (the dashboard's tile)."""
    measured = await measure(session, controls, _DASHBOARD, times=frozenset({"first_response"}))
    return first_response_figure(measured, controls)


async def csat(session: AsyncSession, controls: ReportControls) -> Figure:
    """CSAT in percent (ratings of 4-5 among all ratings), over the period and per bucket."""
    return csat_figure(await measure(session, controls, _DASHBOARD, times=frozenset()), controls)


async def support_report(session: AsyncSession, controls: ReportControls) -> SupportReport:
    where = await conditions(session, controls)
    measured = await measure(session, controls, list(Grouping), where)
    teams = measured.of(Grouping.team)
    agents, rated = measured.of(Grouping.agent), measured.of(Grouping.rated_agent)
    team_names, agent_names = await names(session, controls.workspace_id, teams, [*agents, *rated])
    return SupportReport(
        labels=controls.labels(),
        granularity=controls.granularity,
        time_zone=controls.time_zone,
        first_day=controls.first_day,
        last_day=controls.last_day,
        segment=controls.segment,
        period=_period("total", measured.total),
        buckets=_buckets(measured, controls),
        by_team=_groups(teams, teams, team_names, NO_TEAM),
        by_agent=_groups(agents, rated, agent_names, UNASSIGNED),
        heatmap=Heatmap(
            weekdays=list(WEEKDAYS),
            hours=[f"{hour:02d}" for hour in range(24)],
            counts=await weekday_hours(session, controls, where),
        ),
    )


def charts(report: SupportReport) -> list[Chart]:
    """One chart per section of the report (support_charts)."""
    return support_charts(report)


DEFINITION = ReportDefinition(
    key="support",
    title="Support",
    summary="Support report: conversations, first-response and resolution times, CSAT, busy hours, offline messages",
    schema=SupportReport,
    compute=support_report,
    charts=charts,
    role=Role.agent,
)
