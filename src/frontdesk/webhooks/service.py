"""Webhook endpoints: adding, changing, rotating their secrets, and reading their delivery log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.webhooks.models import WebhookEndpoint


async def list_endpoints(*, session: AsyncSession, workspace_id: int) -> list[WebhookEndpoint]:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id).order_by(WebhookEndpoint.id)
    return list((await session.scalars(statement)).all())
