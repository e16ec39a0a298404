"""The success part of the daily analytics refresh: refit and score, health, then playbooks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.segments.service import do_refresh_segment_events
from frontdesk.success.clv import RefitOutcome, refit_and_score
from frontdesk.success.health import score_health
from frontdesk.success.playbooks import run_playbooks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SuccessRefresh:
    clv: RefitOutcome
    health_scored: int
    tasks_created: int


async def refresh_success(
    *,
    session: AsyncSession,
    workspace_id: int,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SuccessRefresh:
    """Runs after the figures and RFM refresh (commerce.figures.refresh_workspace), in the same transaction.

    ``progress`` hears (steps done, 3).
    """
    now = now or utcnow()
    clv = await refit_and_score(session=session, workspace_id=workspace_id, now=now)
    if clv.problem:
        log.warning("workspace %d: purchase model not refitted: %s", workspace_id, clv.problem)
    if progress:
        progress(1, 3)
    health_scored = await score_health(session=session, workspace_id=workspace_id, now=now)
    if progress:
        progress(2, 3)
    tasks_created = await run_playbooks(session=session, workspace_id=workspace_id, now=now)
    # Segments read the scores and figures just refreshed: who entered or left one is known only now.
    await do_refresh_segment_events(session=session, workspace_id=workspace_id, now=now)
    if progress:
        progress(3, 3)
    return SuccessRefresh(clv=clv, health_scored=health_scored, tasks_created=tasks_created)
