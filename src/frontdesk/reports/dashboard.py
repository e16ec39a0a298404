"""The home dashboard: the last 30 local days against the 30 before, one tile per figure.

Each tile's value is what its report's figure function returns for the same period (the dashboard computes
nothing of its own but the conversations open now), so a tile and its report never disagree. The periods
are local days in the workspace's time zone and include today as far as it has gone; NPS looks at 90 days
(against the 90 before), since a month holds too few answers. Definitions: docs/reports.md, "Dashboard".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import CommerceSettings
from frontdesk.conversations.models import Conversation
from frontdesk.db import utcnow
from frontdesk.reports import customers, feedback, support
from frontdesk.reports.controls import Granularity, ReportControls, local_midnight
from frontdesk.reports.figures import Figure, rate
from frontdesk.reports.registry import ReportDefinition
from frontdesk.workspaces.models import Role, Workspace

DAYS = 30  # the dashboard's period, and the length of every sparkline
NPS_DAYS = 90  # NPS needs more answers than a month holds
ChangeKind = Literal["points", "percent"]


class Tile(BaseModel):
    key: str
    title: str
    unit: str
    value: float | None
    previous: float | None = Field(description="The same figure over the period before (or 30 days ago)")
    change: float | None = Field(
        description="value - previous in points (rates, NPS, CSAT), or the percent change (counts, money, "
        "times); empty when either is empty, and a percent change also when previous is 0"
    )
    change_kind: ChangeKind
    sparkline: list[float | None] = Field(description="One value per day of Dashboard.days")
    report: str  # the console page it links to, with the chart's anchor
    period_days: int = Field(description="How many local days the value covers (0: a count at this moment)")


class Dashboard(BaseModel):
    as_of: datetime
    time_zone: str
    first_day: date = Field(description="The first local day of the current period (30 days, today included)")
    last_day: date = Field(description="Today, local")
    days: list[str] = Field(description="The local days of every sparkline, oldest first")
    tiles: list[Tile]


FigureFunction = Callable[[AsyncSession, ReportControls], Awaitable[Figure]]


@dataclass(frozen=True)
class _FigureTile:
    """A tile read from a report's figure function, looked up by name when the dashboard is drawn."""

    key: str
    title: str
    unit: str  # "currency": the workspace's currency code
    change_kind: ChangeKind
    module: Any  # support, customers or feedback: the report module holding the function
    function: str
    definition: ReportDefinition[Any]
    anchor: str  # the chart on the report's page
    days: int = DAYS

    @property
    def figure(self) -> FigureFunction:
        found: FigureFunction = getattr(self.module, self.function)
        return found


FIGURE_TILES = [
    _FigureTile("first-response", "Median first response", "min", "percent", support, "first_response_minutes",
                support.DEFINITION, "first-response"),
    _FigureTile("csat", "CSAT", "%", "points", support, "csat", support.DEFINITION, "csat"),
    _FigureTile("nps", "NPS (90 days)", "", "points", feedback, "nps", feedback.DEFINITION, "nps", NPS_DAYS),
    _FigureTile("new-customers", "New customers", "", "percent", customers, "new_customers",
                customers.DEFINITION, "customers"),
    _FigureTile("repeat-purchase-rate", "Repeat-purchase rate", "%", "points", customers, "repeat_purchase_rate",
                customers.DEFINITION, "repeat-purchase-rate"),
    _FigureTile("complaint-rate", "Complaint rate", "%", "points", feedback, "complaint_rate",
                feedback.DEFINITION, "complaint-rate"),
    _FigureTile("revenue", "Revenue", "currency", "percent", customers, "revenue", customers.DEFINITION, "revenue"),
]  # fmt: skip
CONVERSATIONS_LINK = f"/reports/{support.DEFINITION.key}#conversations"


def change(value: float | None, previous: float | None, kind: ChangeKind) -> float | None:
    """Points: ``value - previous`` (2 decimals). Percent: ``100 * (value - previous) / previous`` (2 decimals).
    ``None`` when either is ``None``, and for a percent change when ``previous`` is 0."""
    if value is None or previous is None:
        return None
    if kind == "points":
        return round(value - previous, 2)
    return rate(value - previous, previous)


def _controls(workspace_id: int, time_zone: str, first_day: date, last_day: date) -> ReportControls:
    return ReportControls(
        workspace_id=workspace_id,
        first_day=first_day,
        last_day=last_day,
        granularity=Granularity.day,
        time_zone=time_zone,
    )


async def _figure_tile(
    session: AsyncSession, spec: _FigureTile, workspace_id: int, time_zone: str, today: date, currency: str
) -> Tile:
    current = _controls(workspace_id, time_zone, today - timedelta(days=spec.days - 1), today)
    before = _controls(
        workspace_id, time_zone, today - timedelta(days=2 * spec.days - 1), today - timedelta(days=spec.days)
    )
    now_figure = await spec.figure(session, current)
    previous_figure = await spec.figure(session, before)
    return Tile(
        key=spec.key,
        title=spec.title,
        unit=currency if spec.unit == "currency" else spec.unit,
        value=now_figure.value,
        previous=previous_figure.value,
        change=change(now_figure.value, previous_figure.value, spec.change_kind),
        change_kind=spec.change_kind,
        # The daily values of the last 30 days (for NPS, the last 30 of its 90).
        sparkline=list(now_figure.by_bucket[-DAYS:]),
        report=f"/reports/{spec.definition.key}#{spec.anchor}",
        period_days=spec.days,
    )


async def open_conversations(
    *, session: AsyncSession, workspace_id: int, zone: ZoneInfo, days: list[date], now: datetime
) -> tuple[list[int], int, int]:
    """Conversations open at the end of each of ``days`` (the last one: at ``now``), 30 days before the
    first of them, and those open now with nobody assigned.

    A conversation is open at instant t when it was created by t and not resolved by t. Only the last
    resolution is kept (a reopened conversation forgets it), so a reopened one counts as open since it began.
    Assignments keep no history: the unassigned count exists only for now."""
    ends = [min(local_midnight(day + timedelta(days=1), zone), now) for day in days]
    before = local_midnight(days[0], zone)  # the end of the day before the period: 30 days before today's end

    def open_at(instant: datetime) -> Any:
        return (Conversation.created_at <= instant) & or_(
            Conversation.resolved_at.is_(None), Conversation.resolved_at > instant
        )

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    # One pass over the conversations that can have been open at any of these instants.
    row = (
        await session.execute(
            select(
                *[count(open_at(end)) for end in ends],
                count(open_at(before)),
                count(open_at(now) & Conversation.assignee_id.is_(None)),
            ).where(
                Conversation.workspace_id == workspace_id,
                Conversation.created_at <= now,
                or_(Conversation.resolved_at.is_(None), Conversation.resolved_at > before),
            )
        )
    ).one()
    counts = [int(n) for n in row]
    return counts[: len(ends)], counts[len(ends)], counts[len(ends) + 1]


async def _conversation_tiles(
    session: AsyncSession, workspace_id: int, zone: ZoneInfo, days: list[date], now: datetime
) -> list[Tile]:
    daily, before, unassigned = await open_conversations(
        session=session, workspace_id=workspace_id, zone=zone, days=days, now=now
    )
    return [
        Tile(
            key="open-conversations",
            title="Open conversations",
            unit="",
            value=daily[-1],
            previous=before,
            change=change(daily[-1], before, "percent"),
            change_kind="percent",
            sparkline=list(daily),
            report=CONVERSATIONS_LINK,
            period_days=0,
        ),
        Tile(
            key="unassigned-conversations",
            title="Unassigned conversations",
            unit="",
            value=unassigned,
            previous=None,  # assignments keep no history
            change=None,
            change_kind="percent",
            sparkline=[None] * (len(days) - 1) + [unassigned],
            report=CONVERSATIONS_LINK,
            period_days=0,
        ),
    ]


async def dashboard(*, session: AsyncSession, workspace_id: int, role: Role, now: datetime | None = None) -> Dashboard:
    """The tiles ``role`` may see (agents: the support tiles; admins: all), as of ``now``."""
    now = now or utcnow()
    currency_of = select(CommerceSettings.currency).where(CommerceSettings.workspace_id == workspace_id)
    time_zone, currency = (
        await session.execute(
            select(Workspace.time_zone, currency_of.scalar_subquery()).where(Workspace.id == workspace_id)
        )
    ).one()
    time_zone = time_zone or "UTC"
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    days = [today - timedelta(days=DAYS - 1 - n) for n in range(DAYS)]
    tiles: list[Tile] = []
    if role.allows(support.DEFINITION.role):
        tiles += await _conversation_tiles(session, workspace_id, zone, days, now)
    for spec in FIGURE_TILES:
        if role.allows(spec.definition.role):
            tiles.append(await _figure_tile(session, spec, workspace_id, time_zone, today, currency or "EUR"))
    return Dashboard(
        as_of=now,
        time_zone=time_zone,
        first_day=days[0],
        last_day=today,
        days=[day.isoformat() for day in days],
        tiles=tiles,
    )
