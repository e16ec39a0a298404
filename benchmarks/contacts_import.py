"""How fast does `frontdesk contacts import` write contacts, on SQLite and on PostgreSQL?

For each database this script generates N contacts as CSV (default 100,000), then in the same run:
  1. runs the real command, `frontdesk contacts import FILE --workspace ID`, as a subprocess, and times it;
  2. times a bare baseline: the same rows parsed with the csv module and written with one multi-row
     INSERT per batch into an equivalent plain table, with no validation, normalisation or child tables.
It prints rows/s for both and their ratio (the price of validation, e-mail/phone/VAT normalisation,
uniqueness checks, tags, phones and timeline entries). Machines here are noisy: compare the ratio.

    python benchmarks/contacts_import.py [--rows 100000] [--postgres-url URL] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text
from sqlalchemy.engine import make_url

from frontdesk.db import create_engine

# Mobile number prefixes; three more digits make a valid number in each country.
COUNTRIES = [
    ("DE", "+4915123456"),
    ("FR", "+33612345"),
    ("NL", "+31612345"),
    ("SE", "+46701234"),
    ("ES", "+34612345"),
    ("IT", "+393123456"),
]
HEADER = ["first_name", "last_name", "emails", "phones", "country", "stage", "market", "roles", "tags"]


def generate_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for index in range(rows):
            country, prefix = rng.choice(COUNTRIES)
            writer.writerow(
                [
                    f"First{index}",
                    f"Last{rng.randrange(5000)}",
                    f"person{index}@example{index % 97}.com",
                    f"{prefix}{index % 1000:03d}",
                    country,
                    rng.choice(["prospect", "customer"]),
                    rng.choice(["b2c", "b2b"]),
                    "customer;consumer" if index % 3 else "customer",
                    rng.choice(["vip", "newsletter", "vip;newsletter", ""]),
                ]
            )


def frontdesk(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRONTDESK_DATABASE_URL": database_url, "COLUMNS": "100"}
    command = [str(Path(sys.executable).parent / "frontdesk"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True)


async def bare_baseline(database_url: str, path: Path, batch_size: int = 2000) -> float:
    metadata = MetaData()
    table = Table(
        f"bench_contacts_{secrets.token_hex(3)}",
        metadata,
        Column("id", Integer, primary_key=True),
        *(Column(name, String(320)) for name in HEADER),
    )
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        started = time.perf_counter()
        async with engine.connect() as connection:
            with path.open(encoding="utf-8", newline="") as stream:
                reader = csv.DictReader(stream)
                batch: list[dict[str, str]] = []
                for row in reader:
                    batch.append(row)
                    if len(batch) >= batch_size:
                        await connection.execute(insert(table), batch)
                        await connection.commit()
                        batch = []
                if batch:
                    await connection.execute(insert(table), batch)
                    await connection.commit()
        elapsed = time.perf_counter() - started
        async with engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
        return elapsed
    finally:
        await engine.dispose()


async def create_postgres_database(base_url: str) -> str:
    name = f"frontdesk_bench_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(base_url: str, url: str) -> None:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


def measure(label: str, database_url: str, path: Path, rows: int) -> dict[str, float | str]:
    created = frontdesk(
        [
            "workspace",
            "create",
            f"Bench {label}",
            "--admin-email",
            "bench@example.com",
            "--admin-password",
            "benchmark-password",
            "--json",
        ],
        database_url,
    )
    workspace_id = json.loads(created.stdout)["workspace_id"]
    started = time.perf_counter()
    frontdesk(["contacts", "import", str(path), "--workspace", str(workspace_id)], database_url)
    frontdesk_seconds = time.perf_counter() - started
    baseline_seconds = asyncio.run(bare_baseline(database_url, path))
    return {
        "database": label,
        "frontdesk_rows_per_s": rows / frontdesk_seconds,
        "baseline_rows_per_s": rows / baseline_seconds,
        "frontdesk_s": frontdesk_seconds,
        "baseline_s": baseline_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FRONTDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "contacts.csv"
        generate_csv(path, args.rows)
        print(f"generated {args.rows:,} contacts ({path.stat().st_size / 1e6:.1f} MB of CSV)")
        results = [measure("SQLite", f"sqlite+aiosqlite:///{workdir}/bench.db", path, args.rows)]
        if not args.skip_postgres:
            url = asyncio.run(create_postgres_database(args.postgres_url))
            try:
                results.append(measure("PostgreSQL", url, path, args.rows))
            finally:
                asyncio.run(drop_postgres_database(args.postgres_url, url))

    print(f"\n{'database':<12}{'frontdesk import':>20}{'bare INSERT baseline':>24}{'ratio':>9}")
    for r in results:
        ratio = float(r["frontdesk_rows_per_s"]) / float(r["baseline_rows_per_s"])
        print(
            f"{r['database']:<12}{r['frontdesk_rows_per_s']:>12,.0f} rows/s{r['baseline_rows_per_s']:>16,.0f} rows/s"
            f"{ratio:>9.2f}   ({r['frontdesk_s']:.1f} s vs {r['baseline_s']:.1f} s)"
        )


if __name__ == "__main__":
    main()
