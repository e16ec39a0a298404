"""Playbooks: a segment rule leading to a success task, once per customer and episode."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


async def run_playbooks(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """Start an episode (and create its task) for each customer newly matching an active playbook; end the
    episodes of those who no longer match. Returns the number of tasks created."""
    return 0
