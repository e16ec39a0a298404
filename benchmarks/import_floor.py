"""How fast can orders go into Frontdesk's schema on this machine at all? (PostgreSQL)

The order import does more than store rows (checks, contact lookups, figures). This measures the floor
under it: the benchmark's CSV is COPYed into a staging table (PostgreSQL parses the CSV in C) and moved
into Frontdesk's own `orders` and `order_lines` tables with set-based SQL, with no validation, no
figures and no duplicate checks. What remains is what the schema itself costs: the keys that tie each
order to its workspace and buyer and each line to its order, and the indexes lookups and segments use.

    python benchmarks/import_floor.py [--contacts 300000] [--orders 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

import asyncpg
from scratch import scratch_postgres_database

from frontdesk.db import create_engine, create_session_factory, migrate
from segments import build_contacts, create_shop, write_orders_csv

CSV_COLUMNS = ["external_id", "ordered_at", "buyer_id", "channel", "currency", "for_resale", "sku", "quantity",
               "unit_price"]  # fmt: skip
STAGED_ORDERS = """
CREATE TEMP TABLE staged_orders ON COMMIT DROP AS
SELECT o.*, t.total, nextval(pg_get_serial_sequence('orders', 'id')) AS id
FROM (SELECT DISTINCT ON (external_id) external_id, ordered_at::timestamptz AS ordered_at,
             buyer_id::bigint AS buyer_id, channel, upper(currency) AS currency,
             coalesce(for_resale IN ('true', '1', 'yes', 'y'), false) AS for_resale
      FROM staging ORDER BY external_id, line) o
JOIN (SELECT external_id, sum(quantity::int * round(unit_price::numeric * 100)::bigint) AS total
      FROM staging GROUP BY external_id) t USING (external_id)
"""
INSERT_ORDERS = """
INSERT INTO orders (id, workspace_id, external_id, buyer_id, recipient_id, channel, status, currency,
                    total_minor, for_resale, buyer_class, ordered_at, created_at, updated_at)
SELECT s.id, $1, s.external_id, s.buyer_id, NULL, s.channel, 'completed', s.currency, s.total, s.for_resale,
       CASE WHEN k.kind = 'organisation' AND k.vat_number IS NOT NULL AND s.for_resale
            THEN 'reseller' ELSE 'consumer' END,
       s.ordered_at, now(), now()
FROM staged_orders s JOIN contacts k ON k.id = s.buyer_id AND k.workspace_id = $1
"""
INSERT_LINES = """
INSERT INTO order_lines (workspace_id, order_id, product_id, range_id, quantity, unit_price_minor)
SELECT $1, s.id, p.id, p.range_id, l.quantity::int, round(l.unit_price::numeric * 100)::bigint
FROM staging l JOIN staged_orders s USING (external_id) JOIN products p ON p.workspace_id = $1 AND p.sku = l.sku
"""


async def floor(url: str, orders_file: Path, contacts: int, orders: int) -> None:
    engine = create_engine(url)
    await migrate(engine)
    async with create_session_factory(engine)() as session:
        workspace = await create_shop(session)
        await build_contacts(session, workspace.id, contacts)
    await engine.dispose()
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await connection.execute("ANALYZE")
    steps: list[tuple[str, float]] = []
    started = last = time.perf_counter()

    def step(label: str) -> None:
        nonlocal last
        now = time.perf_counter()
        steps.append((label, now - last))
        last = now

    async with connection.transaction():
        await connection.execute(
            "CREATE TEMP TABLE staging (line bigserial, external_id text, ordered_at text, buyer_id text, "
            "channel text, currency text, for_resale text, sku text, quantity text, unit_price text) ON COMMIT DROP"
        )
        await connection.copy_to_table(
            "staging",
            source=str(orders_file),
            columns=CSV_COLUMNS,
            format="csv",
            header=True,
        )
        step("COPY of the CSV")
        await connection.execute(STAGED_ORDERS)
        step("orders grouped")
        await connection.execute(INSERT_ORDERS, workspace.id)
        step("orders inserted")
        await connection.execute(INSERT_LINES, workspace.id)
        step("lines inserted")
    await connection.close()
    seconds = time.perf_counter() - started
    print(f"PostgreSQL, {orders:,} orders into Frontdesk's schema with set-based SQL (no checks, no figures):")
    for label, taken in steps:
        print(f"  {label:<18}{taken:>7.1f} s")
    print(f"  total {seconds:.1f} s = {orders / seconds:,.0f} orders/s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=300_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FRONTDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        orders_file = Path(tmp) / "orders.csv"
        write_orders_csv(orders_file, args.contacts, args.orders)
        async with scratch_postgres_database(args.postgres_url) as url:
            await floor(url, orders_file, args.contacts, args.orders)


if __name__ == "__main__":
    asyncio.run(main())
