"""What the code relies on both databases doing alike."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_lower_folds_every_letter_on_both_databases(engine: AsyncEngine) -> None:
    """Addresses are compared with lower() in SQL (claims, outbox rows): SQLite's own folds ASCII only."""
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT lower('ZOË@ÅRHUS.EXAMPLE')"))).scalar() == "zoë@århus.example"
