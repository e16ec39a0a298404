"""Outbound webhooks: events committed at a steady rate, delivered by a real dispatcher loop to a local receiver.

Each commit emits one event for two endpoints on the receiver (as an API request's change would), in the same
process as the dispatcher (as in a serving process, whose commit wakes its dispatcher). Measured: commit to
receipt p50/p99 and delivered events per second. Then a second phase with a third endpoint that hangs (it never
answers): the two others' p50/p99 must not move.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.webhooks.receiver
os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.webhooks.receiver import Receiver, new_secret

from frontdesk.db import create_engine, create_session_factory, migrate
from frontdesk.settings import Settings
from frontdesk.webhooks.dispatcher import Dispatcher
from frontdesk.webhooks.events import emit
from frontdesk.webhooks.models import WebhookEndpoint
from frontdesk.workspaces.models import Workspace
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_workspace

EVENT = "contact.created"


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _add_endpoint(factory: async_sessionmaker[AsyncSession], workspace_id: int, url: str) -> None:
    async with factory() as session:
        session.add(WebhookEndpoint(workspace_id=workspace_id, url=url, event_types=[EVENT], secret=new_secret()))
        await session.commit()


async def _phase(
    factory: async_sessionmaker[AsyncSession],
    receiver: Receiver,
    workspace_id: int,
    *,
    phase: str,
    rate: int,
    seconds: float,
    paths: tuple[str, ...],
) -> dict[str, float]:
    """Commit ``rate`` events a second for ``seconds``; latencies of their receipt at ``paths``."""
    committed: dict[int, float] = {}

    async def commit_one(seq: int) -> None:
        async with factory() as session:
            await emit(session, workspace_id=workspace_id, event_type=EVENT, data={"phase": phase, "seq": seq})
            await session.commit()
        committed[seq] = time.time()

    total = int(rate * seconds)
    tasks: list[asyncio.Task[None]] = []
    started = time.monotonic()
    for seq in range(total):
        delay = started + seq / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(commit_one(seq)))
    await asyncio.gather(*tasks)
    first_commit = min(committed.values())
    expected = total * len(paths)
    latencies: list[float] = []
    seen: set[tuple[str, int]] = set()
    last = first_commit
    read = 0  # requests of the receiver already looked at (each body is parsed once)
    deadline = time.monotonic() + 30
    while len(seen) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        fresh = receiver.received()[read:]
        read += len(fresh)
        for request in fresh:
            if request.path not in paths:
                continue
            data = json.loads(request.body)["data"]
            if data["phase"] != phase or (request.path, data["seq"]) in seen:
                continue
            seen.add((request.path, data["seq"]))
            latencies.append(request.received_at - committed[data["seq"]])
            last = max(last, request.received_at)
    return {
        "events": total,
        "received": len(seen),
        "lost": expected - len(seen),
        "p50_ms": 1000 * _percentile(latencies, 0.50),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else float("nan"),
        "delivered_per_s": len(seen) / max(last - first_commit, 1e-9),
    }


async def run_outbound(database_url: str, *, rate: int = 200, seconds: float = 10) -> dict[str, Any]:
    """Both phases on a migrated database at ``database_url``: figures of the steady state and of the run
    with a hanging endpoint."""
    engine = create_engine(database_url, single_sqlite_writer=True)
    receiver = Receiver().start()
    try:
        await migrate(engine)
        factory = create_session_factory(engine)
        async with factory() as session:
            workspace, _, _ = await do_create_workspace(
                session=session,
                name="Bench Shop",
                admin=AgentCreate(email="admin@bench.example", display_name="Admin", password="benchmark-password"),
            )
            await session.execute(
                update(Workspace).where(Workspace.id == workspace.id).values(allow_private_webhook_targets=True)
            )
            await session.commit()
        for path in ("/a", "/b"):
            await _add_endpoint(factory, workspace.id, receiver.ok(path))
        settings = Settings(environment="test", database_url=database_url)
        dispatcher = Dispatcher(factory, settings)
        loop = asyncio.create_task(dispatcher.run())
        try:
            steady = await _phase(
                factory, receiver, workspace.id, phase="steady", rate=rate, seconds=seconds, paths=("/a", "/b")
            )
            await _add_endpoint(factory, workspace.id, receiver.hang("/hang"))
            hanging = await _phase(
                factory, receiver, workspace.id, phase="hang", rate=rate, seconds=seconds, paths=("/a", "/b")
            )
            hanging["hung_requests"] = len(receiver.received("/hang"))
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        backend = make_url(database_url).get_backend_name()
        return {"database": backend, "rate": rate, "seconds": seconds, "steady": steady, "hanging": hanging}
    finally:
        receiver.stop()
        await engine.dispose()
