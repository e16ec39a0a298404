"""Background work of the serving processes: resolve conversations left idle longer than the workspace allows."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.conversations.models import ChatSettings, Conversation, ConversationStatus
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.service import do_change_conversation
from frontdesk.db import utcnow
from frontdesk.realtime.broker import Broker
from frontdesk.scheduling.service import run_every

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60


async def do_auto_resolve(*, session: AsyncSession, outbox: Outbox) -> int:
    """Resolve open and pending conversations idle for longer than their workspace's limit."""
    rows = await session.execute(
        select(Conversation, ChatSettings.auto_resolve_minutes)
        .join(ChatSettings, ChatSettings.workspace_id == Conversation.workspace_id)
        .where(
            Conversation.status.in_((ConversationStatus.open.value, ConversationStatus.pending.value)),
            ChatSettings.auto_resolve_minutes > 0,
        )
    )
    now = utcnow()
    resolved = 0
    for conversation, minutes in rows.all():
        if conversation.last_activity_at < now - timedelta(minutes=minutes):
            await do_change_conversation(
                session=session,
                conversation=conversation,
                outbox=outbox,
                changes={"status": ConversationStatus.resolved.value},
                actor_name="Frontdesk (idle)",
            )
            resolved += 1
    return resolved


async def run_housekeeping(factory: async_sessionmaker[AsyncSession], broker: Broker) -> None:
    """Every ``INTERVAL_SECONDS``, one of the serving processes resolves idle conversations."""

    async def auto_resolve() -> None:
        outbox = Outbox()
        async with factory() as session:
            if await do_auto_resolve(session=session, outbox=outbox):
                await session.commit()
        await outbox.publish(broker)

    await run_every(factory, "auto_resolve", INTERVAL_SECONDS, auto_resolve)
