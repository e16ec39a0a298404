"""Migrations build the schema from an empty database, match the models, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import Base, downgrade, migrate
from frontdesk.helpcenter.models import SEARCH_INDEX_TABLES


def _mapped(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ in ("table", "index") and name is not None and name.startswith(SEARCH_INDEX_TABLES))


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _mapped})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    """The mapped tables (the help center's search index is created beside them, per database)."""
    return {name for name in inspect(connection).get_table_names() if _mapped(name, "table", None)} - {
        "alembic_version"
    }


def _search_index_tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - _tables(connection) - {"alembic_version"}


async def test_migrations_from_empty_match_the_models_and_downgrade_cleanly(scratch_engine: AsyncEngine) -> None:
    engine = scratch_engine
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == set()
    await migrate(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == set(Base.metadata.tables)
        assert await connection.run_sync(_differences) == []
        assert {"help_search_documents"} <= await connection.run_sync(_search_index_tables)
    await migrate(engine)  # a second upgrade is a no-op, as on every `frontdesk serve`
    await downgrade(engine, "base")
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) == set()
        assert await connection.run_sync(_search_index_tables) == set()
