"""Delivering queued webhook events: from a committed ``webhook_deliveries`` row to the receiver's answer.

Every serving process runs a ``Dispatcher``. One round:

1. **Claim**, in one short transaction: due pending deliveries whose lease is free are leased to this process
   (``lease_owner``/``lease_until``) with a conditional UPDATE that re-checks the lease, so when several
   processes share the database each delivery is taken by exactly one of them per attempt (PostgreSQL locks
   the row and re-checks the condition; SQLite has one writer). Deliveries of a paused or auto-disabled
   endpoint are failed here with the reason, without a request: nothing is sent to an endpoint an admin or
   Frontdesk switched off, and a resend from the log sends them again once it is back on.
2. **Send**, outside any transaction (the serving process has a single SQLite connection: it is never held
   during HTTP): each request in its own task, at most ``webhook_endpoint_concurrency`` per endpoint. An
   endpoint at its cap is left out of the claims, so a hanging endpoint holds a few slots and a few leases,
   and every other endpoint's deliveries are claimed and sent as if it did not exist.
3. **Record**, in a second short transaction per batch of finished attempts: the attempt's log row, the
   delivery's outcome (succeeded, pending with its next attempt, or failed after 3 days), the endpoint's
   failure count, and switching it off when it kept failing (``webhook_endpoint.disabled`` in the audit log;
   the console shows a banner from ``disabled_at``). The lease is cleared.

A process that dies mid-attempt leaves its leases to expire; another process then retries (at least once).
A commit that queued deliveries wakes the local dispatcher at once; other processes' commits are found by
polling every ``webhook_poll_seconds``.


No e-mail is sent when an endpoint is disabled: the mail outbox keeps one e-mail per purpose and subject
(a second disabling of the same endpoint could not be announced) and is built for messages to contacts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.db import utcnow
from frontdesk.scheduling.service import PROCESS_NAME, run_every
from frontdesk.settings import Settings
from frontdesk.webhooks.events import on_commit_wake
from frontdesk.webhooks.housekeeping import purge_old_deliveries
from frontdesk.webhooks.http import Outcome, Sender
from frontdesk.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from frontdesk.webhooks.retry import next_attempt_at
from frontdesk.webhooks.signing import body_of, signature_headers
from frontdesk.workspaces.models import AuditEntry, Workspace

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600.0
# A lease outlives the longest attempt by this much, so an attempt still running is never taken by another
# process; only a crashed process's leases run out.
LEASE_MARGIN = timedelta(seconds=60)
PENDING = DeliveryStatus.pending.value
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


@dataclass(frozen=True)
class Job:
    """One claimed delivery with everything its attempt needs (read in the claim's transaction)."""

    delivery_id: int
    endpoint_id: int
    workspace_id: int
    url: str
    allow_private: bool
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    message_id: str
    payload: dict[str, Any]
    attempts: int  # made before this one
    created_at: datetime


@dataclass(frozen=True)
class Done:
    job: Job
    outcome: Outcome
    request_headers: dict[str, str]
    attempted_at: datetime


async def read_jobs(session: AsyncSession, ids: Sequence[int]) -> tuple[list[Job], dict[int, str]]:
    """What the attempts of deliveries ``ids`` need; those whose endpoint is switched off, with the reason."""
    if not ids:
        return [], {}
    rows = await session.execute(
        select(
            WebhookDelivery.id.label("delivery_id"),
            WebhookDelivery.attempts,
            WebhookDelivery.created_at,
            WebhookEndpoint.id.label("endpoint_id"),
            WebhookEndpoint.workspace_id,
            WebhookEndpoint.url,
            WebhookEndpoint.secret,
            WebhookEndpoint.previous_secret,
            WebhookEndpoint.previous_secret_expires_at,
            WebhookEndpoint.enabled,
            WebhookEndpoint.disabled_at,
            WebhookEndpoint.disabled_reason,
            Workspace.allow_private_webhook_targets,
            WebhookEvent.message_id,
            WebhookEvent.payload,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(Workspace, Workspace.id == WebhookDelivery.workspace_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
    )
    jobs: list[Job] = []
    switched_off: dict[int, str] = {}
    for row in rows:
        if not row.enabled:
            switched_off[row.delivery_id] = "not sent: the endpoint is paused"
            continue
        if row.disabled_at is not None:
            reason = row.disabled_reason or "it kept failing"
            switched_off[row.delivery_id] = f"not sent: the endpoint was disabled ({reason})"[:500]
            continue
        jobs.append(
            Job(
                delivery_id=row.delivery_id,
                endpoint_id=row.endpoint_id,
                workspace_id=row.workspace_id,
                url=row.url,
                allow_private=bool(row.allow_private_webhook_targets),
                secret=row.secret,
                previous_secret=row.previous_secret,
                previous_secret_expires_at=row.previous_secret_expires_at,
                message_id=row.message_id,
                payload=row.payload,
                attempts=row.attempts,
                created_at=row.created_at,
            )
        )
    return jobs, switched_off


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
        saturated = [endpoint for endpoint, running in self.in_flight.items() if running >= self.cap]
        free_lease = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now)
        due = (WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now, free_lease)
        async with self.factory() as session:
            ranked_query = select(
                WebhookDelivery.id,
                WebhookDelivery.endpoint_id,
                WebhookDelivery.next_attempt_at,
                func.row_number()
                .over(
                    partition_by=WebhookDelivery.endpoint_id,
                    order_by=(WebhookDelivery.next_attempt_at, WebhookDelivery.id),
                )
                .label("rank"),
            ).where(*due)
            if saturated:
                ranked_query = ranked_query.where(WebhookDelivery.endpoint_id.not_in(saturated))
            ranked = ranked_query.subquery()
            candidates = await session.execute(
                select(ranked.c.id, ranked.c.endpoint_id)
                .where(ranked.c.rank <= self.cap)
                .order_by(ranked.c.next_attempt_at, ranked.c.id)
                .limit(self.settings.webhook_claim_batch)
            )
            picked: list[int] = []
            taken: defaultdict[int, int] = defaultdict(int)
            for delivery_id, endpoint_id in candidates:
                if self.in_flight[endpoint_id] + taken[endpoint_id] < self.cap:
                    taken[endpoint_id] += 1
                    picked.append(delivery_id)
            if not picked:
                return []
            if session.get_bind().dialect.name == "postgresql":
                # Rows another process is claiming right now are skipped rather than waited for (and never
                # locked in an order that could deadlock with it).
                picked = list(
                    await session.scalars(
                        select(WebhookDelivery.id)
                        .where(WebhookDelivery.id.in_(picked), *due)
                        .order_by(WebhookDelivery.id)
                        .with_for_update(skip_locked=True)
                    )
                )
                if not picked:
                    return []
            # The lease is re-checked here: another process may have taken some of these since the SELECT.
            claimed = list(
                await session.scalars(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(picked), *due)
                    .values(lease_owner=self.owner, lease_until=now + self.lease)
                    .returning(WebhookDelivery.id)
                    .execution_options(synchronize_session=False)
                )
            )
            jobs, switched_off = await read_jobs(session, claimed)
            if switched_off:
                await self._fail_switched_off(session, switched_off, now)
            await session.commit()
        for job in jobs:
            self.in_flight[job.endpoint_id] += 1
        return jobs

    async def _fail_switched_off(self, session: AsyncSession, reasons: dict[int, str], now: datetime) -> None:
        await session.execute(
            update(WebhookDelivery),
            [
                {
                    "id": delivery_id,
                    "status": DeliveryStatus.failed.value,
                    "last_error": reason,
                    "finished_at": now,
                    "next_attempt_at": None,
                    "lease_owner": None,
                    "lease_until": None,
                }
                for delivery_id, reason in reasons.items()
            ],
        )

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
            # A delivery is gone when its endpoint was deleted during the attempt: nothing left to record.
            leases = dict(
                (
                    await session.execute(
                        select(WebhookDelivery.id, WebhookDelivery.lease_owner).where(
                            WebhookDelivery.id.in_([d.job.delivery_id for d in finished])
                        )
                    )
                ).all()
            )
            finished = [done for done in finished if done.job.delivery_id in leases]
            if not finished:
                return
            await session.execute(
                insert(WebhookAttempt),
                [
                    {
                        "workspace_id": done.job.workspace_id,
                        "delivery_id": done.job.delivery_id,
                        "attempted_at": done.attempted_at,
                        "request_headers": done.request_headers,
                        "status_code": done.outcome.status_code,
                        "latency_ms": done.outcome.latency_ms,
                        "error": done.outcome.error,
                        "response_body": done.outcome.response_body,
                    }
                    for done in finished
                ],
            )
            # The attempt is logged either way; its outcome only while the lease is still this process's (a resend
            # meanwhile queued the delivery again: the newer attempt decides, not this older one).
            owned = [done for done in finished if leases[done.job.delivery_id] == self.owner]
            outcomes = sorted((self._delivery_outcome(done, now) for done in owned), key=lambda row: row["id"])
            if outcomes:
                await session.execute(update(WebhookDelivery), outcomes)
            await self._update_endpoints(session, owned, now)
            await session.commit()

    def _delivery_outcome(self, done: Done, now: datetime) -> dict[str, Any]:
        attempts = done.job.attempts + 1
        values: dict[str, Any] = {
            "id": done.job.delivery_id,
            "attempts": attempts,
            "last_status_code": done.outcome.status_code,
            "last_latency_ms": done.outcome.latency_ms,
            "last_error": done.outcome.error,
            "lease_owner": None,
            "lease_until": None,
        }
        if done.outcome.ok:
            return {**values, "status": DeliveryStatus.succeeded.value, "next_attempt_at": None, "finished_at": now}
        retry_at = next_attempt_at(attempts, done.job.created_at, now, self.rng, window=self.retry_window)
        if retry_at is None:
            return {**values, "status": DeliveryStatus.failed.value, "next_attempt_at": None, "finished_at": now}
        return {**values, "status": PENDING, "next_attempt_at": retry_at}

    async def _update_endpoints(self, session: AsyncSession, finished: Sequence[Done], now: datetime) -> None:
        by_endpoint: defaultdict[int, list[Done]] = defaultdict(list)
        for done in finished:
            by_endpoint[done.job.endpoint_id].append(done)
        failing: list[int] = []
        # In id order: two processes recording at once lock the same endpoints in the same order (no deadlock).
        for endpoint_id, dones in sorted(by_endpoint.items()):
            dones.sort(key=lambda done: done.attempted_at)
            successes = [i for i, done in enumerate(dones) if done.outcome.ok]
            # Counted in SQL (not read, changed and written back): other processes update the same endpoint.
            if successes:
                after = dones[successes[-1] + 1 :]
                values: dict[str, Any] = {
                    "consecutive_failures": len(after),
                    "failing_since": after[0].attempted_at if after else None,
                    "last_success_at": dones[successes[-1]].attempted_at,
                }
            else:
                values = {
                    "consecutive_failures": WebhookEndpoint.consecutive_failures + len(dones),
                    "failing_since": func.coalesce(WebhookEndpoint.failing_since, dones[0].attempted_at),
                }
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if len(dones) > len(successes):
                failing.append(endpoint_id)
        if failing:
            await self._disable_failing(session, failing, now)

    async def _disable_failing(self, session: AsyncSession, endpoint_ids: list[int], now: datetime) -> None:
        threshold = self.settings.webhook_disable_after_failures
        since = now - timedelta(hours=self.settings.webhook_disable_after_hours)
        reason = (
            f"Frontdesk switched it off after {threshold} or more failed attempts in a row and no success for "
            f"{self.settings.webhook_disable_after_hours:g} hours"
        )
        # Conditional, so exactly one process switches an endpoint off and writes the audit entry.
        disabled = await session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id.in_(endpoint_ids),
                WebhookEndpoint.disabled_at.is_(None),
                WebhookEndpoint.consecutive_failures >= threshold,
                WebhookEndpoint.failing_since <= since,
            )
            .values(disabled_at=now, disabled_reason=reason[:300], updated_at=now)
            .returning(
                WebhookEndpoint.id,
                WebhookEndpoint.workspace_id,
                WebhookEndpoint.consecutive_failures,
                WebhookEndpoint.failing_since,
            )
            .execution_options(synchronize_session=False)
        )
        for endpoint_id, workspace_id, failures, failing_since in disabled:
            log.warning("webhook endpoint %s disabled after %s failures", endpoint_id, failures)
            session.add(
                AuditEntry(
                    workspace_id=workspace_id,
                    action="webhook_endpoint.disabled",
                    subject_type="webhook_endpoint",
                    subject_id=endpoint_id,
                    actor="frontdesk",
                    details={
                        "reason": reason,
                        "consecutive_failures": failures,
                        "failing_since": failing_since.isoformat() if failing_since else None,
                    },
                    created_at=now,
                )
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
