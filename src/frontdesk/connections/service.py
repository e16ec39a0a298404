"""Shop connections: adding, changing and listing them, and what they delivered."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.connections.models import ShopConnection


async def list_connections(*, session: AsyncSession, workspace_id: int) -> list[ShopConnection]:
    statement = select(ShopConnection).where(ShopConnection.workspace_id == workspace_id).order_by(ShopConnection.id)
    return list((await session.scalars(statement)).all())
