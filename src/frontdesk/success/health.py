"""The health score: each customer from 0 to 100, from documented signals weighted per workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


async def score_health(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """Every customer's score, components and reasons into customer_health, a health_history row where the score
    moved; returns how many customers were scored. Reads customer_predictions, so it runs after CLV scoring."""
    return 0
