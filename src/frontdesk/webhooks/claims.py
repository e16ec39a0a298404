"""Claiming due webhook deliveries: which ones this process attempts now, and what each attempt needs.

A delivery is leased (``lease_owner``/``lease_until``) by a conditional UPDATE that re-checks the lease, so when
several processes share the database each delivery is taken by exactly one of them per attempt (PostgreSQL locks
the row and re-checks the condition; SQLite has one writer). Deliveries of a paused or auto-disabled endpoint are
failed here with the reason, without a request: nothing is sent to an endpoint an admin or Frontdesk switched
off, and a resend from the log sends them again once it is back on.

Separate from the dispatcher, which decides when to claim and how many requests may run: this is the SQL of
the claim, its transaction and the ``Job`` it hands over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from frontdesk.workspaces.models import Workspace

PENDING = DeliveryStatus.pending.value


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


async def claim_due(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease_until: datetime,
    cap: int,
    in_flight: defaultdict[int, int],
    batch: int,
) -> list[Job]:
    """Lease up to ``batch`` due deliveries to ``owner`` until ``lease_until``, at most ``cap`` running per
    endpoint counting the ``in_flight`` ones, and read what their attempts need; fail those of paused or
    disabled endpoints. Commits when it claimed any: the leases must be visible before a request is sent."""
    saturated = [endpoint for endpoint, running in in_flight.items() if running >= cap]
    free_lease = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now)
    due = (WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now, free_lease)
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
        .where(ranked.c.rank <= cap)
        .order_by(ranked.c.next_attempt_at, ranked.c.id)
        .limit(batch)
    )
    picked: list[int] = []
    taken: defaultdict[int, int] = defaultdict(int)
    for delivery_id, endpoint_id in candidates:
        if in_flight[endpoint_id] + taken[endpoint_id] < cap:
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
            .values(lease_owner=owner, lease_until=lease_until)
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        )
    )
    jobs, switched_off = await read_jobs(session, claimed)
    if switched_off:
        await _fail_switched_off(session, switched_off, now)
    await session.commit()
    return jobs


async def _fail_switched_off(session: AsyncSession, reasons: dict[int, str], now: datetime) -> None:
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
