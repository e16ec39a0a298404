"""Scheduled work that runs once per tick, whichever of the N serving processes gets there first.

Time is cut into ticks of the job's interval, counted from the epoch, so every process agrees on the number
of the current tick. At each tick every process tries to claim it with one conditional UPDATE
(``tick = :n WHERE job = :job AND tick < :n``): the database lets exactly one of them change the row
(PostgreSQL locks it and re-checks the condition; SQLite has a single writer), and only that one runs the job.
A process that crashes mid-job loses that tick; the next tick runs as usual. Jobs must therefore be safe to
run late or twice in a row: they are (a refresh, resolving idle chats, sending the rows still pending).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.db import insert_missing, utcnow
from frontdesk.scheduling.models import JobTick

log = logging.getLogger(__name__)
PROCESS_NAME = f"{socket.gethostname()}:{os.getpid()}"


def current_tick(interval_seconds: float, now: float | None = None) -> int:
    return int((time.time() if now is None else now) // interval_seconds)


async def do_claim_tick(*, session: AsyncSession, job: str, tick: int, holder: str = PROCESS_NAME) -> bool:
    """Whether this caller won ``tick`` of ``job``: true for exactly one caller per tick, across processes."""
    await insert_missing(session, JobTick, [{"job": job, "tick": -1}])
    claimed = await session.execute(
        update(JobTick)
        .where(JobTick.job == job, JobTick.tick < tick)
        .values(tick=tick, claimed_at=utcnow(), claimed_by=holder[:100])
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


async def run_every(
    factory: async_sessionmaker[AsyncSession],
    job: str,
    interval_seconds: float,
    work: Callable[[], Awaitable[object]],
    *,
    holder: str = PROCESS_NAME,
) -> None:
    """Forever: at each tick of ``interval_seconds``, run ``work`` if this process wins the tick.

    Every scheduled job of the serving processes goes through here. A failure is logged and the loop goes on.
    """
    while True:
        now = time.time()
        tick = current_tick(interval_seconds, now) + 1
        await asyncio.sleep(tick * interval_seconds - now)
        try:
            async with factory() as session:
                won = await do_claim_tick(session=session, job=job, tick=tick, holder=holder)
                await session.commit()
            if won:
                await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # the database may be restarting: keep the loop alive, try next tick
            log.exception("scheduled job %s failed", job)
