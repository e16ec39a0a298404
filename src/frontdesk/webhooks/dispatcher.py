"""Delivering queued webhook events (placeholder: the delivery loop lands with the dispatcher work)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.settings import Settings


async def run_dispatcher(session_factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Deliver due events until cancelled."""
    await asyncio.Event().wait()
