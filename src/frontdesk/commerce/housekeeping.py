"""Background work of the serving processes: keep stages, RFM scores, predictions, health and playbook tasks
current as time passes."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.commerce.figures import refresh_workspace
from frontdesk.commerce.models import CustomerFigures
from frontdesk.scheduling.service import run_every
from frontdesk.success.refresh import refresh_success

log = logging.getLogger(__name__)


async def refresh_all_workspaces(factory: async_sessionmaker[AsyncSession]) -> int:
    """Refresh every workspace that has customers; returns the number of stage changes."""
    async with factory() as session:
        workspace_ids = (await session.scalars(select(CustomerFigures.workspace_id).distinct())).all()
    changes = 0
    for workspace_id in workspace_ids:
        async with factory() as session:  # one transaction per workspace: a failure stays local
            changes += await refresh_workspace(session=session, workspace_id=workspace_id)
            await refresh_success(session=session, workspace_id=workspace_id)
            await session.commit()
    return changes


async def run_analytics_refresh(factory: async_sessionmaker[AsyncSession], hours: float) -> None:
    """Every ``hours``, one of the serving processes refreshes every workspace."""

    async def refresh() -> None:
        changes = await refresh_all_workspaces(factory)
        log.info("analytics refreshed: %d customers changed stage", changes)

    await run_every(factory, "analytics_refresh", hours * 3600, refresh)
