"""Alembic environment: always driven with a live connection handed in by ``frontdesk.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from frontdesk import models_registry  # noqa: F401  (registers every table on Base.metadata)
from frontdesk.db import Base
from frontdesk.helpcenter.models import SEARCH_INDEX_TABLES

target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # The help center's search index differs by database and is kept out of the models (helpcenter.models).
    return not (type_ in ("table", "index") and name is not None and name.startswith(SEARCH_INDEX_TABLES))


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `frontdesk migrate`, which hands Alembic a connection")
run_migrations(connection)
