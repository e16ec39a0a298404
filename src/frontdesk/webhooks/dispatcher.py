"""Delivering queued webhook events: from a committed ``webhook_deliveries`` row to the receiver's answer.

Every serving process runs a ``Dispatcher``. One round:

1. **Claim**, in one short transaction (``claims``): due pending deliveries whose lease is free are leased to
   this process, so each is taken by exactly one process per attempt; deliveries of a paused or auto-disabled
   endpoint are failed there with the reason, without a request.
2. **Send**, outside any transaction (the serving process has a single SQLite connection: it is never held
   during HTTP): each request in its own task, signed (``signing``) and sent (``http``), at most
   ``webhook_endpoint_concurrency`` per endpoint. An endpoint at its cap is left out of the claims, so a
   hanging endpoint holds a few slots and a few leases, and every other endpoint's deliveries are claimed and
   sent as if it did not exist.
3. **Record**, in a second short transaction per batch of finished attempts (``outcomes``): the attempt's log
   row, the delivery's outcome, the endpoint's failure count, and switching it off when it kept failing. The
   lease is cleared.

A process that dies mid-attempt leaves its leases to expire; another process then retries (at least once).
A commit that queued deliveries wakes the local dispatcher at once; other processes' commits are found by
polling every ``webhook_poll_seconds``.

This module owns the round and the loop: what runs when, how many requests are in flight per endpoint, and
that a transaction is never left half-done by a cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.db import utcnow
from frontdesk.scheduling.service import PROCESS_NAME, run_every
from frontdesk.settings import Settings
from frontdesk.webhooks.claims import Job, claim_due
from frontdesk.webhooks.events import on_commit_wake
from frontdesk.webhooks.housekeeping import purge_old_deliveries
from frontdesk.webhooks.http import Outcome, Sender
from frontdesk.webhooks.outcomes import Done, record_outcomes
from frontdesk.webhooks.signing import body_of, signature_headers

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600.0
# A lease outlives the longest attempt by this much, so an attempt still running is never taken by another
# process; only a crashed process's leases run out.
LEASE_MARGIN = timedelta(seconds=60)
T = TypeVar("T")


async def _to_the_end(work: Awaitable[T]) -> T:
    """Await a transaction that runs to its end even when the caller is cancelled meanwhile (then re-raise).

    A session cancelled mid-transaction can leave its connection inside the transaction, and on SQLite that
    connection keeps the database's write lock: every other writer then fails with "database is locked"."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


class Dispatcher:
    """Claims, sends and records webhook deliveries; ``deliver_due`` is one round, ``run`` the loop."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        now: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        owner: str | None = None,
    ) -> None:
        self.factory = session_factory
        self.settings = settings
        self.now = now
        self.rng = rng or random.Random()
        self.owner = (owner or f"{PROCESS_NAME}:{secrets.token_hex(4)}")[:64]
        self.sender = Sender(settings)
        self.cap = settings.webhook_endpoint_concurrency
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds) + LEASE_MARGIN
        self.retry_window = timedelta(hours=settings.webhook_retry_hours)
        self.in_flight: defaultdict[int, int] = defaultdict(int)  # endpoint id -> requests running
        self._woken = asyncio.Event()
        self._finished: list[Done] = []
        self._to_record = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- the three steps ----------------------------------------------------------------------------------

    async def claim(self) -> list[Job]:
        """Lease due deliveries to this process (respecting each endpoint's free slots) and read what their
        attempts need; fail those of paused or disabled endpoints."""
        now = self.now()
        async with self.factory() as session:
            jobs = await claim_due(
                session,
                owner=self.owner,
                now=now,
                lease_until=now + self.lease,
                cap=self.cap,
                in_flight=self.in_flight,
                batch=self.settings.webhook_claim_batch,
            )
        for job in jobs:
            self.in_flight[job.endpoint_id] += 1
        return jobs

    async def attempt(self, job: Job) -> Done:
        """Sign and send one delivery (never raises: a failure is an outcome)."""
        attempted_at = self.now()
        body = body_of(job.payload)
        headers = signature_headers(job, job.message_id, attempted_at, body, attempted_at)
        try:
            outcome = await self.sender.send(job.url, allow_private=job.allow_private, headers=headers, body=body)
        except Exception as exc:  # a bug must not lose the outcome: the attempt fails and is retried
            log.exception("webhook attempt for delivery %s failed unexpectedly", job.delivery_id)
            outcome = Outcome(None, 0, f"{type(exc).__name__}: {exc}"[:500])
        return Done(job=job, outcome=outcome, request_headers=headers, attempted_at=attempted_at)

    async def record(self, finished: Sequence[Done]) -> None:
        """Write the attempts' outcomes, update their deliveries and endpoints, in one transaction."""
        if not finished:
            return
        now = self.now()
        async with self.factory() as session:
            await record_outcomes(
                session,
                finished,
                owner=self.owner,
                now=now,
                rng=self.rng,
                retry_window=self.retry_window,
                disable_after_failures=self.settings.webhook_disable_after_failures,
                disable_after_hours=self.settings.webhook_disable_after_hours,
            )

    # --- one round (tests, benchmark) ---------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Claim what is due, send it all concurrently, record the outcomes: the number of attempts made."""
        jobs = await self.claim()
        finished = await asyncio.gather(*(self._attempt_counted(job) for job in jobs))
        await self.record(finished)
        return len(jobs)

    async def _attempt_counted(self, job: Job) -> Done:
        try:
            return await self.attempt(job)
        finally:
            self.in_flight[job.endpoint_id] -= 1
            if self.in_flight[job.endpoint_id] <= 0:
                del self.in_flight[job.endpoint_id]

    # --- the loop -----------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due deliveries now (called after a local commit that queued some; any thread)."""
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._woken.set()
        else:
            loop.call_soon_threadsafe(self._woken.set)

    async def run(self) -> None:
        """Deliver until cancelled."""
        self._loop = asyncio.get_running_loop()
        unregister = on_commit_wake(self.wake)
        recorder = asyncio.create_task(self._record_forever())
        try:
            while True:
                self._woken.clear()
                try:
                    jobs = await _to_the_end(self.claim())
                except Exception:  # the database may be restarting: try again on the next round
                    log.exception("claiming webhook deliveries failed")
                    jobs = []
                for job in jobs:
                    task = asyncio.create_task(self._send_and_queue(job))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                if len(jobs) >= self.settings.webhook_claim_batch:
                    continue  # more may be due right now
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.webhook_poll_seconds):
                        await self._woken.wait()
        finally:
            unregister()
            self._loop = None
            for task in [*self._tasks, recorder]:
                task.cancel()
            await asyncio.gather(*self._tasks, recorder, return_exceptions=True)
            # Attempts that finished are recorded; the cancelled ones' leases run out and they are retried.
            with contextlib.suppress(Exception):
                await self.record(self._finished)
            await self.sender.aclose()

    async def _send_and_queue(self, job: Job) -> None:
        was_full = self.in_flight[job.endpoint_id] >= self.cap
        done = await self._attempt_counted(job)
        self._finished.append(done)
        self._to_record.set()
        if was_full:
            self._woken.set()  # a slot of a saturated endpoint is free: its backlog may be claimed

    async def _record_forever(self) -> None:
        while True:
            await self._to_record.wait()
            self._to_record.clear()
            batch, self._finished = self._finished, []
            try:
                await _to_the_end(self.record(batch))
            except Exception:
                log.exception("recording %d webhook attempts failed; trying again", len(batch))
                await asyncio.sleep(1.0)
                # One by one, so one outcome the database refuses cannot block the others forever. An outcome
                # that cannot be recorded is dropped: its lease runs out and the delivery is attempted again.
                for done in batch:
                    try:
                        await self.record([done])
                    except Exception:
                        log.exception("dropping the outcome of webhook delivery %s", done.job.delivery_id)

    async def aclose(self) -> None:
        await self.sender.aclose()


async def run_dispatcher(session_factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Deliver due events until cancelled, and delete old delivery logs about hourly (one process per hour)."""
    dispatcher = Dispatcher(session_factory, settings)

    async def housekeeping() -> None:
        await purge_old_deliveries(session_factory, days=settings.webhook_log_days)

    cleaner = asyncio.create_task(
        run_every(session_factory, "webhooks.housekeeping", HOUSEKEEPING_SECONDS, housekeeping)
    )
    try:
        await dispatcher.run()
    finally:
        cleaner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await cleaner
