"""Test fixtures: every test that touches the database runs once on SQLite and once on PostgreSQL.

Each backend gets its own freshly migrated database for the whole run (PostgreSQL: a database named
``frontdesk_test_<random>`` on the server of ``FRONTDESK_TEST_DATABASE_URL``, dropped at the end); every
table is emptied after each test, so tests see real commits and rollbacks and still cannot leak into each
other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

# Cheap password hashing for the suite; set before frontdesk reads its settings.
os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")
os.environ["FRONTDESK_ENVIRONMENT"] = "test"

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk import models_registry  # noqa: F401
from frontdesk.app import create_app
from frontdesk.db import Base, create_engine, create_session_factory, migrate
from frontdesk.demo import DemoResult, do_create_demo
from frontdesk.helpcenter.models import SEARCH_INDEX_TABLES
from frontdesk.settings import Settings, get_settings
from tests.factories import WorkspaceHandle, make_workspace
from tests.live_server import LiveServer

POSTGRES_URL = os.environ.get("FRONTDESK_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _backends() -> list[str]:
    if POSTGRES_URL:
        return ["sqlite", "postgresql"]
    if IN_CI:
        raise pytest.UsageError("CI must test PostgreSQL too: set FRONTDESK_TEST_DATABASE_URL")
    return ["sqlite"]


@dataclass
class Database:
    backend: str
    url: str
    engine: AsyncEngine


async def _create_postgres_database(base_url: str) -> str:
    name = f"frontdesk_test_{secrets.token_hex(6)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit need not wait for the disk here: a test database never outlives a crash of its server.
            await connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:  # a CI without its PostgreSQL must fail loudly, never skip
        raise RuntimeError(f"PostgreSQL at {base_url} is not reachable: {exc}") from exc
    finally:
        await admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session", params=_backends())
async def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    backend: str = request.param
    async with _scratch_engine(backend, tmp_path_factory.mktemp("db")) as engine:
        await migrate(engine)
        yield Database(backend=backend, url=engine.url.render_as_string(hide_password=False), engine=engine)


@contextlib.asynccontextmanager
async def _scratch_engine(backend: str, directory: Path) -> AsyncIterator[AsyncEngine]:
    """An empty database of ``backend`` of its own (a SQLite file in ``directory``, or a new PostgreSQL database),
    dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / f'scratch-{secrets.token_hex(4)}.db'}"
    else:
        assert POSTGRES_URL
        url = await _create_postgres_database(POSTGRES_URL)
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        if backend == "postgresql":
            assert POSTGRES_URL
            await _drop_postgres_database(POSTGRES_URL, url)


@pytest.fixture
async def scratch_engine(database: Database, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An empty database of the backend under test, the test's own: migration tests build its schema themselves."""
    async with _scratch_engine(database.backend, tmp_path) as engine:
        yield engine


@dataclass
class DemoDatabase:
    """The demo workspace, built once per backend in a database of its own for the tests that only read it."""

    engine: AsyncEngine
    result: DemoResult


@pytest.fixture(scope="session")
async def demo_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DemoDatabase]:
    # Building the demo takes 15-25 s; the tests that check what it shows read it and never change it.
    async with _scratch_engine(database.backend, tmp_path_factory.mktemp("demo")) as engine:
        await migrate(engine)
        async with create_session_factory(engine)() as session:
            result = await do_create_demo(session=session)
            await session.commit()
        yield DemoDatabase(engine=engine, result=result)


async def _empty_all_tables(engine: AsyncEngine) -> None:
    postgres = engine.dialect.name == "postgresql"
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]  # children before their parents
    if not postgres:
        # The help center's search index is not mapped: FTS5 tables, without foreign keys to cascade. (PostgreSQL's
        # references the workspace and the article, and goes with them.)
        tables += SEARCH_INDEX_TABLES
    # Emptying every table after every test took 40 ms on SQLite and 300 ms on PostgreSQL (TRUNCATE makes new
    # files for every table, and truncating `workspaces` cascades to nearly all): many minutes over the suite. A
    # test fills a handful of tables; one query finds them, and deleting their few rows is quick.
    filled = text(" UNION ALL ".join(f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {table})" for table in tables))
    # Every id sequence restarts, as TRUNCATE … RESTART IDENTITY did, so no test depends on the tests before it.
    restart = text(
        "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) FROM pg_sequences"
        " WHERE schemaname = current_schema()"
    )
    # A server still closing a test's sockets may be writing (an agent going offline) while the rows go: PostgreSQL
    # may then end one of the two as a deadlock, or find a row pointing at one just deleted. The server's write is
    # done a moment later, so the emptying is tried again.
    # A write still in flight when the tables were looked at (the probe cannot see it) is caught by looking again.
    for attempt in range(5):
        try:
            async with engine.begin() as connection:
                for table in sorted((await connection.execute(filled)).scalars(), key=tables.index):
                    await connection.execute(text(f"DELETE FROM {table}"))
                if postgres:
                    await connection.execute(restart)
            async with engine.connect() as connection:
                if (await connection.execute(filled)).first() is None:
                    return
        except DBAPIError as exc:
            retry = "deadlock detected" in str(exc) or "foreign key" in str(exc).lower()
            if not postgres or not retry or attempt == 4:
                raise
        await asyncio.sleep(0.2 * (attempt + 1))


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    yield database.engine
    await _empty_all_tables(database.engine)


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(environment="test", database_url=database.url)


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Points the ``frontdesk`` command at the test database."""
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", database.url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
async def two_processes(
    engine: AsyncEngine, database: Database
) -> AsyncIterator[list[async_sessionmaker[AsyncSession]]]:
    """Session factories on two separate engines (connection pools), as two serving processes have."""
    other = create_engine(database.url)
    try:
        yield [create_session_factory(engine), create_session_factory(other)]
    finally:
        await other.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with create_session_factory(engine)() as session:
        yield session


@pytest.fixture
async def client(engine: AsyncEngine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def workspace(engine: AsyncEngine) -> WorkspaceHandle:
    return await make_workspace(engine, "Acme Shop")


@pytest.fixture
async def other_workspace(engine: AsyncEngine) -> WorkspaceHandle:
    return await make_workspace(engine, "Rival Shop")


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def live_server(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``frontdesk serve`` on the backend under test, shared by the tests that need a real server."""
    server = LiveServer(database.url, tmp_path_factory.mktemp("server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis of ``FRONTDESK_TEST_REDIS_URL``; under CI a missing one fails the run."""
    if not REDIS_URL:
        if IN_CI:
            raise RuntimeError("CI must test Redis fan-out: set FRONTDESK_TEST_REDIS_URL")
        raise RuntimeError("set FRONTDESK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run the Redis tests")
    return REDIS_URL
