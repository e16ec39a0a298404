"""The reports benchmark's data kept between runs: loaded once (``--data-dir DIR --keep``), timed many times
(``--reuse DIR``), dropped at the end (``--drop DIR``).

``DIR/manifest.json`` says what the timings need after the load: the data's plan (its ``now``: the reports'
periods end there, so a later run times the same 24 months), the shop the Parquet files were generated for,
and per database the shop created there (its ids differ on PostgreSQL) and where it lives. A database is
listed as soon as it exists, before its load, so ``--drop`` also removes one whose load failed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from reports_data import COLUMNS, Plan, Shop
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_engine, migrate

MANIFEST = "manifest.json"
SQLITE_FILE = "bench.db"


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory.resolve() / SQLITE_FILE}"


def postgres_url(base_url: str, database: str) -> str:
    """The kept database on the server of ``base_url`` (the manifest holds no password)."""
    return make_url(base_url).set(database=database).render_as_string(hide_password=False)


def server_of(url: str) -> str:
    return make_url(url).set(database="").render_as_string(hide_password=True)  # set() ignores None


def check_unused(directory: Path) -> None:
    """Refuses a directory holding a previous run's data: its database would be orphaned, or loaded twice."""
    found = [p.name for p in (directory / MANIFEST, directory / SQLITE_FILE) if p.exists()]
    found += sorted(p.name for p in directory.glob("*.parquet"))
    if found:
        raise SystemExit(
            f"{directory} holds a previous run's data ({', '.join(found)}): time it with --reuse {directory}, "
            f"or remove it with --drop {directory} first"
        )


class Manifest:
    """``DIR/manifest.json``, written again on every change."""

    def __init__(self, directory: Path, data: dict[str, Any]) -> None:
        self.directory = directory
        self.data = data

    @classmethod
    def new(cls, directory: Path, scale: float) -> Manifest:
        manifest = cls(directory, {"scale": scale, "plan": None, "generated_shop": None, "databases": {}})
        manifest.save()
        return manifest

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            raise SystemExit(f"{path} not found: load the data first with --data-dir {directory} --keep")
        return cls(directory, json.loads(path.read_text()))

    def save(self) -> None:
        path = self.directory / MANIFEST
        path.with_suffix(".tmp").write_text(json.dumps(self.data, indent=2) + "\n")
        path.with_suffix(".tmp").replace(path)  # never half a manifest, whatever interrupts the run

    def generated(self, plan: Plan, shop: Shop) -> None:
        self.data["plan"] = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(plan).items()}
        self.data["generated_shop"] = asdict(shop)
        self.save()

    def database(self, backend: str, *, shop: Shop | None = None, **where: Any) -> None:
        """Lists ``backend``'s database (``where``: its file or server and name), then its shop once loaded."""
        entry = self.data["databases"].setdefault(backend, {"loaded": False})
        entry.update(where)
        if shop is not None:
            entry.update(shop=asdict(shop), loaded=True)
        self.save()

    @property
    def scale(self) -> float:
        return float(self.data["scale"])

    @property
    def plan(self) -> Plan:
        raw = self.data["plan"]
        if raw is None:
            raise SystemExit(f"{self.directory}: the data was never generated (the load failed); --drop it")
        values = {f.name: raw[f.name] for f in fields(Plan)}
        values["start"], values["now"] = datetime.fromisoformat(raw["start"]), datetime.fromisoformat(raw["now"])
        return Plan(**values)

    def loaded(self) -> list[str]:
        return [name for name, entry in self.data["databases"].items() if entry["loaded"]]

    def shop(self, backend: str) -> Shop:
        raw = self.data["databases"][backend]["shop"]
        teams = {int(team): agents for team, agents in raw["teams"].items()}  # JSON keys are strings
        return Shop(raw["workspace_id"], [(p, r) for p, r in raw["products"]], teams)

    def url(self, backend: str, base_url: str) -> str:
        entry = self.data["databases"][backend]
        if "file" in entry:
            return sqlite_url(self.directory)
        if server_of(base_url) != entry["server"]:
            print(f"  note: {backend} was loaded on {entry['server']}; --postgres-url names {server_of(base_url)}")
        return postgres_url(base_url, entry["database"])


def _heads(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


async def migrate_kept(engine: AsyncEngine) -> bool:
    """Brings a kept database to the checkout's migrations (new indexes may have landed since the load);
    True when any ran."""
    async with engine.connect() as connection:
        before = await connection.run_sync(_heads)
    await migrate(engine)
    async with engine.connect() as connection:
        after = await connection.run_sync(_heads)
    if before != after:
        print(f"  migrations applied: {', '.join(before) or 'none'} -> {', '.join(after)}")
    return before != after


async def drop_databases(manifest: Manifest, base_url: str) -> None:
    """Drops the kept PostgreSQL database (on the server of ``base_url``)."""
    for backend, entry in manifest.data["databases"].items():
        if "database" in entry:
            name = entry["database"]
            admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
            try:
                async with admin.connect() as connection:
                    await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            finally:
                await admin.dispose()
            print(f"{backend}: dropped database {name} on {server_of(base_url)}")


def remove_files(directory: Path) -> None:
    """Removes every file the benchmark wrote into ``directory`` (the directory too, when nothing else is left)."""
    names = [SQLITE_FILE, f"{SQLITE_FILE}-wal", f"{SQLITE_FILE}-shm", f"{SQLITE_FILE}-journal", MANIFEST]
    for name in names + [f"{table}.parquet" for table in COLUMNS]:
        (directory / name).unlink(missing_ok=True)
    print(f"removed the benchmark's files from {directory}")
    if not any(directory.iterdir()):
        directory.rmdir()
