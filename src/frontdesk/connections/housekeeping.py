"""Shop payloads are kept for their connection's retention period, then emptied (the delivery row stays)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.connections.models import InboundDelivery, InboundStatus, ShopConnection
from frontdesk.contacts.personal_data import rowcount
from frontdesk.db import utcnow
from frontdesk.scheduling.service import run_every

log = logging.getLogger(__name__)
BATCH = 1000  # rows emptied per statement: a long backlog never holds one long lock
INTERVAL_SECONDS = 3600


async def purge_expired_payloads(session: AsyncSession, now: datetime) -> int:
    """Empty the payloads of deliveries older than their connection's retention; returns how many. Commits
    after each batch."""
    emptied = 0
    connections = (await session.execute(select(ShopConnection.id, ShopConnection.payload_retention_days))).all()
    for connection_id, days in connections:
        cutoff = now - timedelta(days=days)
        while True:
            batch = (
                await session.scalars(
                    select(InboundDelivery.id)
                    .where(
                        InboundDelivery.connection_id == connection_id,
                        InboundDelivery.received_at < cutoff,
                        InboundDelivery.payload.is_not(None),
                        # A refund waiting for its order is applied from its payload when the order comes.
                        InboundDelivery.status != InboundStatus.waiting.value,
                    )
                    .limit(BATCH)
                )
            ).all()
            if not batch:
                break
            result = await session.execute(
                update(InboundDelivery)
                .where(InboundDelivery.id.in_(batch))
                .values(payload=None)
                .execution_options(synchronize_session=False)
            )
            emptied += rowcount(result)
            await session.commit()
    return emptied


async def run_connections_housekeeping(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Hourly, one of the serving processes empties expired shop payloads."""

    async def purge() -> None:
        async with session_factory() as session:
            count = await purge_expired_payloads(session, utcnow())
        if count:
            log.info("shop payloads emptied after their retention period: %d", count)

    await run_every(session_factory, "shop_payload_retention", INTERVAL_SECONDS, purge)
