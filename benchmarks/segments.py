"""Segments at scale: order import speed, and segment counts in the database against DuckDB over Parquet.

For SQLite and PostgreSQL in turn this builds a large workspace (contacts written in bulk; orders imported
through the real import path, the one `frontdesk orders import` and `POST /api/v1/orders/import` use, which
also keeps every buyer's figures, stage and RFM scores), then prints:

- order import speed (CSV rows and orders a second, figures included);
- the time to count each of five representative segments (best of three), as compiled by Frontdesk;
- the same counts computed by DuckDB over the same data exported to Parquet, and the ratio of the two.

    python benchmarks/segments.py [--contacts 1000000] [--orders 5000000] [--skip-sqlite] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

import asyncpg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from scratch import scratch_postgres_database
from sqlalchemy import insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import csvinput
from frontdesk.commerce.importer import import_orders
from frontdesk.commerce.models import CustomerFigures
from frontdesk.commerce.schemas import ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.contacts.importer import insert_contacts, table_of
from frontdesk.contacts.models import Contact, ContactTag
from frontdesk.db import create_engine, create_session_factory, migrate
from frontdesk.segments import service as segments_service
from frontdesk.segments.rule_text import parse
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_workspace

NOW = datetime.now(UTC).replace(microsecond=0)
COUNTRIES = ["DE", "FR", "NL", "IT", "ES", "GB", "US", "PL", "SE", "AT"]
RANGES = 8
PRODUCTS_PER_RANGE = 5
SEGMENTS = {
    "the issue's example": 'country in ("DE", "FR") and orders >= 2 and days_since_last_order < 90 and ranges = all',
    "regular buyers": 'lifecycle = "regular"',
    "at risk, big spenders": 'rfm_group in ("At risk", "Can\'t lose them") and total_spent >= 200',
    "B2B resellers": 'market = "b2b" and reseller = true',
    "VIP or big baskets": 'tag = "vip" or avg_order_value > 40',
}


def progress(label: str, done: int, total: int) -> None:
    print(f"\r  {label}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def write_orders_csv(path: Path, contacts: int, orders: int) -> int:
    """``orders`` orders (one to three lines each) from 70% of the contacts, recent ones more often."""
    rnd = random.Random(7)
    buyers = rnd.sample(range(1, contacts + 1), k=max(1, int(contacts * 0.7)))
    rows = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "ordered_at", "buyer_id", "channel", "currency", "for_resale", "sku",
                         "quantity", "unit_price"])  # fmt: skip
        for n in range(orders):
            # Some customers buy far more often than others: the square of a uniform number favours the front.
            buyer = buyers[int(len(buyers) * rnd.random() ** 2)]
            ordered = NOW - timedelta(minutes=int(rnd.expovariate(1 / (200 * 24 * 60))) + 1)
            channel = rnd.choice(("web", "store", "phone"))
            resale = "true" if buyer % 50 == 0 else ""
            for _ in range(rnd.choice((1, 1, 1, 2, 3))):
                sku = f"SKU-{rnd.randrange(RANGES)}-{rnd.randrange(PRODUCTS_PER_RANGE)}"
                price = rnd.choice(("4.50", "12.00", "19.99", "35.00", "89.00"))
                writer.writerow(
                    [f"O{n}", ordered.isoformat(), buyer, channel, "EUR", resale, sku, rnd.randint(1, 3), price]
                )
                rows += 1
            if n % 100_000 == 0:
                progress("writing the orders file", n, orders)
    progress("writing the orders file", orders, orders)
    return rows


async def create_shop(session: AsyncSession) -> Any:
    """A workspace with the benchmark's product ranges and products."""
    workspace, _, _ = await do_create_workspace(
        session=session,
        name="Bench",
        admin=AgentCreate(email="admin@bench.example", display_name="Admin", password="benchmark-password"),
    )
    for r in range(RANGES):
        for p in range(PRODUCTS_PER_RANGE):
            data = ProductCreate(sku=f"SKU-{r}-{p}", name=f"Product {r}-{p}", range=f"Range {r}")
            await do_upsert_product(session=session, workspace_id=workspace.id, data=data)
    await session.commit()
    return workspace


async def build_contacts(session: AsyncSession, workspace_id: int, contacts: int) -> None:
    rnd = random.Random(3)
    now = datetime.now(UTC)
    for start in range(0, contacts, 20_000):
        count = min(20_000, contacts - start)
        values = []
        for i in range(count):
            organisation = rnd.random() < 0.15
            values.append(
                {
                    "workspace_id": workspace_id,
                    "kind": "organisation" if organisation else "person",
                    "name": f"Contact {start + i}",
                    "country": rnd.choice(COUNTRIES),
                    "audience": "internal" if rnd.random() < 0.03 else "external",
                    "department": None,
                    "market": "b2b" if organisation else rnd.choice(("b2c", None)),
                    "stage": "prospect",
                    "roles": [],
                    "attributes": {},
                    "vat_number": "DE136695976" if organisation else None,
                    "is_reseller": organisation and rnd.random() < 0.3,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        ids = await insert_contacts(session, values)
        tags = [{"workspace_id": workspace_id, "contact_id": i, "tag": "vip"} for i in ids if rnd.random() < 0.05]
        if tags:
            await session.execute(insert(table_of(ContactTag)), tags)
        await session.commit()
        progress("contacts", start + count, contacts)


async def export_parquet(session: AsyncSession, workspace_id: int, directory: Path) -> None:
    """contacts, customer_figures and contact_tags of the workspace as Parquet files."""
    tables: dict[str, Any] = {
        "contacts": select(
            Contact.id,
            Contact.workspace_id,
            Contact.kind,
            Contact.country,
            Contact.region,
            Contact.audience,
            Contact.market,
            Contact.stage,
            Contact.department,
            Contact.is_reseller,
            Contact.created_at,
        ).where(Contact.workspace_id == workspace_id),
        "customer_figures": select(*CustomerFigures.__table__.columns).where(
            CustomerFigures.workspace_id == workspace_id
        ),
        "contact_tags": select(ContactTag.contact_id, ContactTag.tag).where(ContactTag.workspace_id == workspace_id),
    }
    for name, statement in tables.items():
        result = await session.execute(statement)
        columns = list(result.keys())
        rows = result.all()
        data = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
        pq.write_table(pa.table(data), directory / f"{name}.parquet")


BARE_TABLES = """
CREATE TABLE bare_orders (id BIGINT PRIMARY KEY, workspace_id BIGINT NOT NULL, external_id VARCHAR(100) NOT NULL,
    buyer_id BIGINT, channel VARCHAR(40) NOT NULL, currency VARCHAR(3) NOT NULL, total_minor BIGINT NOT NULL,
    for_resale BOOLEAN NOT NULL, ordered_at TIMESTAMP NOT NULL);
CREATE UNIQUE INDEX bare_orders_external ON bare_orders (workspace_id, external_id);
CREATE INDEX bare_orders_buyer ON bare_orders (workspace_id, buyer_id);
CREATE INDEX bare_orders_time ON bare_orders (workspace_id, ordered_at);
CREATE TABLE bare_lines (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, sku VARCHAR(100) NOT NULL,
    quantity INTEGER NOT NULL, unit_price_minor BIGINT NOT NULL);
CREATE INDEX bare_lines_order ON bare_lines (order_id);
"""


def bare_batches(orders_file: Path, size: int = 20_000) -> Any:
    """The file's orders and lines as plain tuples, with no checks beyond what parsing needs."""
    orders: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    previous = None
    with orders_file.open(newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        for external_id, ordered_at, buyer, channel, currency, resale, sku, quantity, price in reader:
            if external_id != previous:
                if len(orders) >= size:
                    yield orders, lines
                    orders, lines = [], []
                previous = external_id
                at = datetime.fromisoformat(ordered_at).replace(tzinfo=None)
                orders.append([len(orders) + 1, 1, external_id, int(buyer), channel, currency, 0, resale == "true", at])
            whole, _, cents = price.partition(".")
            minor = int(whole) * 100 + int(cents or 0)
            orders[-1][6] += int(quantity) * minor
            lines.append((len(lines) + 1, orders[-1][0], sku, int(quantity), minor))
    yield orders, lines


async def bare_import(url: str, orders_file: Path) -> float:
    """Seconds to load the same orders into two plain tables with Frontdesk's indexes (no keys to other
    tables, no validation, no figures): the machine's floor, the baseline of the import figure."""
    started = time.perf_counter()
    order_offset = line_offset = 0
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split("///", 1)[1])
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):  # as Frontdesk's
            connection.execute(f"PRAGMA {pragma}")
        connection.executescript(BARE_TABLES)
        for orders, lines in bare_batches(orders_file):
            connection.executemany(
                "INSERT INTO bare_orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(order[0] + order_offset, *order[1:8], order[8].isoformat(" ")) for order in orders],
            )
            connection.executemany(
                "INSERT INTO bare_lines VALUES (?, ?, ?, ?, ?)",
                [(line[0] + line_offset, line[1] + order_offset, *line[2:]) for line in lines],
            )
            connection.commit()
            order_offset, line_offset = order_offset + len(orders), line_offset + len(lines)
        connection.close()
        return time.perf_counter() - started
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await connection.execute(BARE_TABLES)
    for orders, lines in bare_batches(orders_file):
        async with connection.transaction():
            await connection.copy_records_to_table(
                "bare_orders", records=[(order[0] + order_offset, *order[1:]) for order in orders]
            )
            await connection.copy_records_to_table(
                "bare_lines", records=[(line[0] + line_offset, line[1] + order_offset, *line[2:]) for line in lines]
            )
        order_offset, line_offset = order_offset + len(orders), line_offset + len(lines)
    await connection.close()
    return time.perf_counter() - started


def best_of_three(run: Any) -> tuple[float, Any]:
    timings, value = [], None
    for _ in range(3):
        started = time.perf_counter()
        value = run()
        timings.append(time.perf_counter() - started)
    return min(timings), value


async def best_of_three_async(run: Any) -> tuple[float, Any]:
    timings, value = [], None
    for _ in range(3):
        started = time.perf_counter()
        value = await run()
        timings.append(time.perf_counter() - started)
    return min(timings), value


async def bench(name: str, url: str, args: argparse.Namespace, orders_file: Path, lines: int, workdir: Path) -> None:
    engine = create_engine(url)
    await migrate(engine)
    factory = create_session_factory(engine)
    async with factory() as session:
        workspace = await create_shop(session)
        started = time.perf_counter()
        await build_contacts(session, workspace.id, args.contacts)
        contacts_seconds = time.perf_counter() - started
        with orders_file.open("rb") as stream:
            header, rows = csvinput.read(stream)
            started = time.perf_counter()
            report = await import_orders(
                session=session,
                workspace_id=workspace.id,
                header=header,
                rows=rows,
                actor="benchmark",
                on_progress=lambda done: progress("orders imported (CSV rows)", done, lines),
            )
            import_seconds = time.perf_counter() - started
        assert report.failed == 0, report.errors[:3]
        bare_seconds = await bare_import(url, orders_file)
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("ANALYZE"))
            await session.commit()
        ctx = await segments_service.context(session=session, workspace_id=workspace.id, now=NOW)
        print(f"\n{name}: {args.contacts:,} contacts in {contacts_seconds:.1f} s (bulk, not the import path)")
        print(
            f"  order import: {report.orders:,} orders, {report.total_rows:,} rows in {import_seconds:.1f} s = "
            f"{report.orders / import_seconds:,.0f} orders/s, {report.total_rows / import_seconds:,.0f} rows/s "
            "(figures, stages and RFM included)"
        )
        print(
            f"  bare load of the same file (two plain indexed tables): {bare_seconds:.1f} s = "
            f"{report.orders / bare_seconds:,.0f} orders/s; Frontdesk / bare = {bare_seconds / import_seconds:.2f}"
        )
        parquet = workdir / name.replace(" ", "_")
        parquet.mkdir()
        await export_parquet(session, workspace.id, parquet)
        duck = duckdb.connect()
        for table in ("contacts", "customer_figures", "contact_tags"):
            duck.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{parquet / table}.parquet')")
        print(f"  {'segment':<24}{'count':>10}{'database s':>12}{'DuckDB s':>10}{'ratio':>8}")
        for label, rule_text in SEGMENTS.items():
            rule = parse(rule_text)
            seconds, count = await best_of_three_async(
                lambda rule=rule: segments_service.count(session=session, rule=rule, ctx=ctx)
            )
            compiled = (
                segments_service.members(rule, ctx)
                .with_only_columns(*[text("count(*)")])
                .compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True})
            )
            params = [compiled.params[key] for key in compiled.positiontup or []]
            sql = str(compiled)
            duck_seconds, duck_count = best_of_three(
                lambda sql=sql, params=params: duck.execute(sql, params).fetchone()[0]
            )
            assert duck_count == count, (label, duck_count, count)
            print(f"  {label:<24}{count:>10,}{seconds:>12.3f}{duck_seconds:>10.3f}{seconds / duck_seconds:>8.1f}")
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FRONTDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        orders_file = workdir / "orders.csv"
        lines = write_orders_csv(orders_file, args.contacts, args.orders)
        if not args.skip_sqlite:
            await bench("SQLite", f"sqlite+aiosqlite:///{workdir}/bench.db", args, orders_file, lines, workdir)
        if not args.skip_postgres:
            async with scratch_postgres_database(args.postgres_url) as url:
                await bench("PostgreSQL", url, args, orders_file, lines, workdir)
    print(
        "\nGoal: every count under 1 s on PostgreSQL at 1,000,000 contacts / 5,000,000 orders; "
        "imports >= 50,000 orders/s."
    )


if __name__ == "__main__":
    asyncio.run(main())
