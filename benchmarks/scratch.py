"""A throw-away PostgreSQL database for one benchmark run (the server is shared by every run on the machine)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.engine import make_url

from frontdesk.db import create_engine


@contextlib.asynccontextmanager
async def scratch_postgres_database(base_url: str, *, keep: bool = False) -> AsyncIterator[str]:
    """Creates ``frontdesk_bench_<random>`` on the server of ``base_url``, yields its URL, drops it after
    (unless ``keep``: benchmarks/reports_kept.py drops it later)."""
    name = f"frontdesk_bench_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
