"""Engine, declarative base, sessions and migrations."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# The largest id either database stores (64-bit signed); larger ids in requests are invalid input, not a crash.
MAX_ID = 2**63 - 1
# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL gets a 64-bit identity.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both SQLite (which stores naive text) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


async def refresh_planner_statistics(session: AsyncSession, *tables: str, vacuum: bool = True) -> None:
    """Let PostgreSQL see how big ``tables`` have grown during a bulk write, and reclaim their dead rows.

    Without fresh statistics the planner keeps treating a table that was empty when an import began as tiny
    and answers the per-batch lookups with sequential scans: the import slows quadratically. Figures are
    rewritten as orders arrive, which leaves dead row versions behind; autovacuum clears them eventually
    (and not at all where it is switched off). Importers call this after batches 1, 2, 4, 8, ...: a
    logarithmic number of passes. ``vacuum=False`` when the writes only added rows (nothing to reclaim).
    SQLite needs nothing.
    """
    bind = session.bind
    if session.get_bind().dialect.name != "postgresql" or not isinstance(bind, AsyncEngine):
        return
    async with bind.connect() as connection:  # VACUUM cannot run inside the session's transaction
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        await autocommit.exec_driver_sql(f"{command} {', '.join(tables)}")


def in_values(column: Any, values: Sequence[int] | Sequence[str], dialect_name: str) -> ColumnElement[bool]:
    """``column IN (values)`` with a single bound parameter however many values there are (an array on
    PostgreSQL, a JSON array on SQLite): no limit on bound parameters applies and the statement is compiled
    once, not once per list length."""
    listed = list(values)
    if dialect_name == "postgresql":
        element = String() if listed and isinstance(listed[0], str) else BigInteger()
        return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(element)))  # type: ignore[no-any-return]
    members: Any = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(listed), String()))
    )
    return column.in_(members)  # type: ignore[no-any-return]


def is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


async def insert_missing(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, skipping those that would break a unique key: concurrent "create if missing" is safe."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(model).on_conflict_do_nothing(), rows)


async def bulk_insert(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows in the session's transaction by the fastest route each database has.

    PostgreSQL: binary COPY. SQLite: one ``executemany`` on the driver, with each column's bind processing
    (timestamps become SQLite's text form) done here. Rows are plain tuples in ``columns`` order; no
    defaults apply, so every column without a server default must be given.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if not driver.is_in_transaction():  # COPY outside the session's transaction would commit on its own
            await connection.exec_driver_sql("SELECT 1")
        await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
        return
    processors = [
        (i, process)
        for i, name in enumerate(columns)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    if processors:
        # A batch's rows often share a value (the time they were written): it is processed once.
        last_in: list[Any] = [object()] * len(columns)
        last_out: list[Any] = [None] * len(columns)
        processed: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for i, process in processors:
                value = values[i]
                if value is not last_in[i]:
                    last_in[i], last_out[i] = value, process(value)
                values[i] = last_out[i]
            processed.append(tuple(values))
    else:
        processed = [tuple(row) for row in rows]
    placeholders = ", ".join("?" for _ in columns)
    await connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", processed
    )


async def bulk_insert_with_ids(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """``bulk_insert`` for a table with an ``id`` key; returns the new rows' ids in ``rows`` order.

    PostgreSQL: the ids are taken from the table's sequence first (concurrent writers never get the same
    ones) and copied in with the rows. SQLite: the rows are inserted and the last id read back: an INTEGER
    PRIMARY KEY given no value takes the largest id plus one, and the transaction holds the database's
    single write lock from the first row to the last, so the ids are consecutive.
    """
    if not rows:
        return []
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        result = await connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, {len(rows)})"
        )
        ids = [row[0] for row in result.all()]
        await bulk_insert(session, table, ["id", *columns], [(i, *row) for i, row in zip(ids, rows, strict=True)])
        return ids
    await bulk_insert(session, table, columns, rows)
    last = (await connection.exec_driver_sql("SELECT last_insert_rowid()")).scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # SQLite's default page cache is 2 MB: once indexes outgrow it (a few hundred thousand orders), every
    # insert at a random place in an index reads its pages back from the operating system. 64 MB per
    # connection, taken only as used.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
    # SQLite's lower() folds ASCII only, PostgreSQL's every letter: "ZOË@…" must match "zoë@…" on both (an
    # erasure finding every claim and e-mail of an address depends on it). Python's folding, as email_key's.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def create_engine(url: str, *, single_sqlite_writer: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine. ``single_sqlite_writer``: the serving process funnels SQLite work through one
    connection, because SQLite has one writer at a time and concurrent writers otherwise wait in its busy
    handler, which sleeps in steps of up to 100 ms; queueing for the connection in asyncio is far cheaper."""
    if make_url(url).get_backend_name() == "sqlite":
        _prepare_sqlite_file(url)
        if single_sqlite_writer:
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    # PostgreSQL's JIT compiles a query whose estimated cost is high, which the planner's estimates for
    # aggregates over a few thousand customers often are: 100-300 ms of LLVM work for a query that runs in
    # milliseconds. Frontdesk's queries are short; they are better served without it.
    # asyncpg prepares every statement; after five runs of one, PostgreSQL may switch it to a generic plan that
    # ignores the parameters' values. For a report over two years that plan walks the time index row by row:
    # 17 s instead of 1.2 s from the sixth dashboard load on (benchmarks/reports.py). Planning each run with
    # its own values costs well under a millisecond.
    connect_args = kwargs.pop("connect_args", {})
    server_settings = {"jit": "off", "plan_cache_mode": "force_custom_plan", **connect_args.pop("server_settings", {})}
    return create_async_engine(
        url, pool_pre_ping=True, connect_args={**connect_args, "server_settings": server_settings}, **kwargs
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block succeeds, rolls back when it raises."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` (Alembic), inside one transaction."""
    await _run_migrations(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run_migrations(engine, "downgrade", revision)


async def _run_migrations(engine: AsyncEngine, action: str, revision: str) -> None:
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        if sqlite:
            # SQLite changes a column's type or constraints by copying the table and dropping the original
            # (Alembic's batch mode, SQLite's documented procedure). With foreign-key actions on, that DROP
            # first deletes every row, and ON DELETE CASCADE then empties each table pointing at it: a
            # workspace's conversations, a contact's orders. SQLite's procedure turns them off for the copy
            # (outside a transaction: the pragma is ignored inside one) and checks the references after. So a
            # data migration cannot rely on ON DELETE actions on SQLite: it clears what points at the rows it
            # deletes itself (0009's downgrade does).
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.commit()
        try:
            async with connection.begin():
                await connection.run_sync(_run_alembic, action, revision)
                if sqlite:
                    broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing at missing rows: {broken[:5]}")
        finally:
            if sqlite:
                await _restore_foreign_keys(connection)


async def _restore_foreign_keys(connection: AsyncConnection) -> None:
    """Foreign-key actions back on; a connection that cannot say so never returns to the pool, where it would let
    an erasure leave rows behind."""
    try:
        if connection.in_transaction():
            await connection.rollback()
        await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        enforced = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        await connection.commit()
    except Exception:
        await connection.invalidate()
        raise
    if enforced != 1:
        await connection.invalidate()
        raise RuntimeError("SQLite did not turn its foreign keys back on after the migration")


def migrate_url(url: str) -> None:
    async def _go() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(_go())
