"""Deleting old delivery logs: finished deliveries (with their attempts) and events no delivery needs.

Pending deliveries are never touched, however old (the retry schedule ends them within 3 days). Deletes run in
batches, each its own short transaction, so a large backlog never holds a long lock or one huge transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.db import utcnow
from frontdesk.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent

BATCH = 1000
FINISHED = (DeliveryStatus.succeeded.value, DeliveryStatus.failed.value)


async def purge_old_deliveries(
    factory: async_sessionmaker[AsyncSession], *, days: float, now: datetime | None = None, batch: int = BATCH
) -> dict[str, int]:
    """Delete deliveries finished more than ``days`` ago and events older than that with no delivery left:
    counts of deliveries and events deleted."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    counts = {"deliveries": 0, "events": 0}
    while True:
        async with factory() as session:
            ids = list(
                await session.scalars(
                    select(WebhookDelivery.id)
                    .where(WebhookDelivery.status.in_(FINISHED), WebhookDelivery.finished_at < cutoff)
                    .limit(batch)
                )
            )
            if not ids:
                break
            await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
            await session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
            await session.commit()
            counts["deliveries"] += len(ids)
    while True:
        async with factory() as session:
            ids = list(
                await session.scalars(
                    select(WebhookEvent.id)
                    .where(
                        WebhookEvent.created_at < cutoff,
                        ~exists().where(WebhookDelivery.event_id == WebhookEvent.id),
                    )
                    .limit(batch)
                )
            )
            if not ids:
                break
            await session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids)))
            await session.commit()
            counts["events"] += len(ids)
    return counts
