"""Times in the inbox: one format, in the agent's own time zone (the workspace's when they chose none).

console.js formats lines that arrive live the same way (Intl.DateTimeFormat with the zone from
``data-time-zone``), so a time reads the same whether the page rendered it or the socket brought it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.workspaces.models import Agent, Workspace

TIME_FORMAT = "%Y-%m-%d %H:%M"


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localtime(value: datetime | None, zone: str | None) -> str:
    """``2026-11-30 14:05`` in ``zone``; empty for no time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone_named(zone)).strftime(TIME_FORMAT)


def waited(since: datetime | None, now: datetime | None = None) -> str:
    """How long someone has waited, in words short enough for a list row: ``45 s``, ``12 min``, ``3 h 5 min``."""
    if since is None:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d"


async def agent_time_zone(*, session: AsyncSession, agent_id: int) -> str:
    """The agent's zone, else their workspace's, else UTC."""
    row = (
        await session.execute(
            select(Agent.time_zone, Workspace.time_zone)
            .join(Workspace, Workspace.id == Agent.workspace_id)
            .where(Agent.id == agent_id)
        )
    ).first()
    if row is None:
        return "UTC"
    return zone_named(row[0] or row[1]).key
