"""The support report drawn: one chart per section, each with the table of its numbers (and the CSV rows).

The charts only rearrange the report's numbers; nothing is computed here but labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

from frontdesk.reports.charts import Chart, Series, Value
from frontdesk.reports.support_schema import SupportGroup, SupportPeriod, SupportReport, TimeFigures

ALL_TEAMS = "All conversations"  # the whole period, as the last bar of the by-team charts


def _series(name: str, rows: Sequence[SupportPeriod | SupportGroup], pick: Callable[..., Value]) -> Series:
    return Series(name, [pick(row) for row in rows])


def _whole(times: TimeFigures) -> str:
    def shown(value: float | None) -> str:
        return "—" if value is None else f"{value:g} min"

    return f"Whole period: median {shown(times.median)}, 90th percentile {shown(times.p90)}."


def _names(groups: Sequence[SupportGroup]) -> list[str]:
    """The groups' names; two agents of the same name are told apart by their ids."""
    repeated = Counter(group.name for group in groups)
    return [f"{g.name} (#{g.id})" if repeated[g.name] > 1 and g.id is not None else g.name for g in groups]


def _times_chart(key: str, title: str, rows: Sequence[SupportPeriod | SupportGroup], labels: list[str]) -> Chart:
    return Chart(
        key=key,
        title=title,
        kind="bar",
        labels=labels,
        series=[
            _series("First response, median", rows, lambda r: r.first_response.median),
            _series("First response, 90th percentile", rows, lambda r: r.first_response.p90),
            _series("Resolution, median", rows, lambda r: r.resolution.median),
            _series("Resolution, 90th percentile", rows, lambda r: r.resolution.p90),
        ],
        unit="min",
        definition="support-times-by-team-and-agent",
        note="Conversations not answered (or not resolved) are left out of that time.",
        extra_rows=[_series("Conversations (count)", rows, lambda r: r.conversations)],
    )


Rows = Sequence[SupportPeriod | SupportGroup]


def _csat_chart(key: str, title: str, kind: Literal["line", "bar"], rows: Rows, labels: list[str]) -> Chart:
    return Chart(
        key=key,
        title=title,
        kind=kind,
        labels=labels,
        series=[_series("CSAT", rows, lambda r: r.satisfaction.csat)],
        unit="%",
        definition="support-csat",
        note="Share of ratings of 4 or 5 (of 5).",
        extra_rows=[
            _series("Ratings (count)", rows, lambda r: r.satisfaction.ratings),
            _series("Average rating (1-5)", rows, lambda r: r.satisfaction.average),
        ],
    )


def support_charts(report: SupportReport) -> list[Chart]:
    buckets, labels, period = report.buckets, report.labels, report.period
    teams: list[SupportPeriod | SupportGroup] = [*report.by_team, period]
    team_labels = [*_names(report.by_team), ALL_TEAMS]
    agent_labels = _names(report.by_agent)
    csat = period.satisfaction.csat
    return [
        Chart(
            key="conversations",
            title="Conversations",
            kind="bar",
            labels=labels,
            series=[_series("Conversations", buckets, lambda r: r.conversations)],
            definition="support-conversations",
            note=f"Whole period: {period.conversations}.",
        ),
        Chart(
            key="first-response",
            title="First-response time",
            kind="line",
            labels=labels,
            series=[
                _series("Median", buckets, lambda r: r.first_response.median),
                _series("90th percentile", buckets, lambda r: r.first_response.p90),
            ],
            unit="min",
            definition="support-first-response-time",
            note=_whole(period.first_response) + " Conversations no agent has answered are left out.",
            extra_rows=[
                _series("Answered (count)", buckets, lambda r: r.first_response.measured),
                _series("Not answered (count)", buckets, lambda r: r.without_first_response),
            ],
        ),
        Chart(
            key="resolution",
            title="Resolution time",
            kind="line",
            labels=labels,
            series=[
                _series("Median", buckets, lambda r: r.resolution.median),
                _series("90th percentile", buckets, lambda r: r.resolution.p90),
            ],
            unit="min",
            definition="support-resolution-time",
            note=_whole(period.resolution) + " Conversations not resolved are left out.",
            extra_rows=[
                _series("Resolved (count)", buckets, lambda r: r.resolution.measured),
                _series("Not resolved (count)", buckets, lambda r: r.unresolved),
            ],
        ),
        _times_chart("team-times", "Response and resolution times by team", teams, team_labels),
        _times_chart("agent-times", "Response and resolution times by agent", report.by_agent, agent_labels),
        Chart(
            key="csat",
            title="CSAT",
            kind="line",
            labels=labels,
            series=[_series("CSAT", buckets, lambda r: r.satisfaction.csat)],
            unit="%",
            definition="support-csat",
            note=f"Share of ratings of 4 or 5 (of 5). Whole period: {'—' if csat is None else f'{csat:g} %'}.",
            extra_rows=[
                _series("Ratings (count)", buckets, lambda r: r.satisfaction.ratings),
                _series("Average rating (1-5)", buckets, lambda r: r.satisfaction.average),
            ],
        ),
        _csat_chart("team-csat", "CSAT by team", "bar", teams, team_labels),
        _csat_chart("agent-csat", "CSAT by agent (the agent rated)", "bar", report.by_agent, agent_labels),
        Chart(
            key="weekday-hours",
            title=f"Incoming chats by weekday and hour ({report.time_zone})",
            kind="heatmap",
            labels=report.heatmap.hours,
            series=[
                Series(day, counts) for day, counts in zip(report.heatmap.weekdays, report.heatmap.counts, strict=True)
            ],
            definition="support-weekday-and-hour",
            note="Conversations created in each hour of each weekday, local time.",
        ),
        Chart(
            key="offline",
            title="Offline messages",
            kind="bar",
            labels=labels,
            series=[
                _series("Offline messages", buckets, lambda r: r.offline),
                _series("Still unanswered", buckets, lambda r: r.offline_unanswered),
            ],
            definition="support-offline-messages",
            note=f"Whole period: {period.offline}, of which {period.offline_unanswered} still unanswered.",
        ),
        Chart(
            key="offline-answer",
            title="Time until an offline message was answered",
            kind="line",
            labels=labels,
            series=[
                _series("Median", buckets, lambda r: r.offline_answer.median),
                _series("90th percentile", buckets, lambda r: r.offline_answer.p90),
            ],
            unit="min",
            definition="support-offline-messages",
            note=_whole(period.offline_answer) + " Messages still unanswered are left out.",
            extra_rows=[_series("Answered (count)", buckets, lambda r: r.offline_answer.measured)],
        ),
    ]
