"""Migrations build the schema from an empty database, match the models, and can be undone."""

from __future__ import annotations

import secrets
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from frontdesk.db import Base, create_engine, downgrade, migrate
from tests.conftest import POSTGRES_URL, Database, _create_postgres_database, _drop_postgres_database


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_migrations_from_empty_match_the_models_and_downgrade_cleanly(database: Database, tmp_path: Path) -> None:
    if database.backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / f'empty-{secrets.token_hex(4)}.db'}"
    else:
        assert POSTGRES_URL
        url = await _create_postgres_database(POSTGRES_URL)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
        await migrate(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
            assert await connection.run_sync(_differences) == []
        await migrate(engine)  # a second upgrade is a no-op, as on every `frontdesk serve`
        await downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
    finally:
        await engine.dispose()
        if database.backend == "postgresql":
            assert POSTGRES_URL
            await _drop_postgres_database(POSTGRES_URL, url)
