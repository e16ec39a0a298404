"""Alembic environment: always driven with a live connection handed in by ``frontdesk.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from frontdesk import models_registry  # noqa: F401  (registers every table on Base.metadata)
from frontdesk.db import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `frontdesk migrate`, which hands Alembic a connection")
run_migrations(connection)
