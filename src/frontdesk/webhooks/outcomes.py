"""Recording webhook attempts: the attempt's log row, its delivery's outcome and its endpoint's health.

For a batch of finished attempts, in one transaction: the ``webhook_attempts`` rows, each delivery's outcome
(succeeded, pending with its next attempt, or failed after the retry window), the endpoint's failure count,
and switching it off when it kept failing (``webhook_endpoint.disabled`` in the audit log; the console shows a
banner from ``disabled_at``). The lease is cleared.

Separate from the dispatcher, which sends and decides when to record: this is what an outcome means for the
database, and the only place an endpoint is switched off by Frontdesk.

No e-mail is sent when an endpoint is disabled: the mail outbox keeps one e-mail per purpose and subject
(a second disabling of the same endpoint could not be announced) and is built for messages to contacts.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.webhooks.claims import PENDING, Job
from frontdesk.webhooks.http import Outcome
from frontdesk.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from frontdesk.webhooks.retry import next_attempt_at
from frontdesk.workspaces.models import AuditEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Done:
    """One finished attempt: the claimed job, what the receiver answered and what was sent."""

    job: Job
    outcome: Outcome
    request_headers: dict[str, str]
    attempted_at: datetime


async def record_outcomes(
    session: AsyncSession,
    finished: Sequence[Done],
    *,
    owner: str,
    now: datetime,
    rng: random.Random,
    retry_window: timedelta,
    disable_after_failures: int,
    disable_after_hours: float,
) -> None:
    """Write the attempts' outcomes, update their deliveries and endpoints, and commit: one transaction.

    Only deliveries still leased to ``owner`` take their outcome; every attempt is logged."""
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
    owned = [done for done in finished if leases[done.job.delivery_id] == owner]
    outcomes = sorted((_delivery_outcome(done, now, rng, retry_window) for done in owned), key=lambda row: row["id"])
    if outcomes:
        await session.execute(update(WebhookDelivery), outcomes)
    await _update_endpoints(session, owned, now, disable_after_failures, disable_after_hours)
    await session.commit()


def _delivery_outcome(done: Done, now: datetime, rng: random.Random, retry_window: timedelta) -> dict[str, Any]:
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
    retry_at = next_attempt_at(attempts, done.job.created_at, now, rng, window=retry_window)
    if retry_at is None:
        return {**values, "status": DeliveryStatus.failed.value, "next_attempt_at": None, "finished_at": now}
    return {**values, "status": PENDING, "next_attempt_at": retry_at}


async def _update_endpoints(
    session: AsyncSession,
    finished: Sequence[Done],
    now: datetime,
    disable_after_failures: int,
    disable_after_hours: float,
) -> None:
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
        await _disable_failing(session, failing, now, disable_after_failures, disable_after_hours)


async def _disable_failing(
    session: AsyncSession, endpoint_ids: list[int], now: datetime, threshold: int, after_hours: float
) -> None:
    since = now - timedelta(hours=after_hours)
    reason = (
        f"Frontdesk switched it off after {threshold} or more failed attempts in a row and no success for "
        f"{after_hours:g} hours"
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
