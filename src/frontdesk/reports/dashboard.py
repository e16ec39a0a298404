"""The home dashboard: the last 30 days against the 30 before. (Stub: being written.)"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.workspaces.models import Role


class Tile(BaseModel):
    key: str
    title: str
    unit: str
    value: float | None
    previous: float | None
    change: float | None
    sparkline: list[float | None]
    report: str  # the console page it links to


class Dashboard(BaseModel):
    as_of: datetime
    time_zone: str
    tiles: list[Tile]


async def dashboard(*, session: AsyncSession, workspace_id: int, role: Role, now: datetime | None = None) -> Dashboard:
    from frontdesk.db import utcnow

    return Dashboard(as_of=now or utcnow(), time_zone="UTC", tiles=[])
