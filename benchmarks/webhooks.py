"""Connections: outbound webhooks delivered per second with commit-to-receipt p50/p99 (and the same while one
endpoint hangs), and inbound shop order webhooks per second against the bare orders API path, on SQLite and
PostgreSQL. Each run gets fresh temporary databases.

    python benchmarks/webhooks.py [--rate 200] [--seconds 10] [--orders 2000] [--skip-sqlite] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

from scratch import scratch_postgres_database
from webhooks_inbound import run_inbound
from webhooks_outbound import run_outbound


def _print_outbound(results: list[dict[str, Any]]) -> None:
    print("\nOutbound: events committed at a steady rate, each to 2 endpoints on a local receiver")
    header = f"{'':<12}{'phase':<16}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'lost':>6}{'p99 vs steady':>15}"
    print(header)
    for result in results:
        steady, hanging = result["steady"], result["hanging"]
        for name, figures in (("steady", steady), ("+1 hanging", hanging)):
            ratio = figures["p99_ms"] / steady["p99_ms"] if steady["p99_ms"] else float("nan")
            print(
                f"{result['database']:<12}{name:<16}{figures['delivered_per_s']:>10.0f}{figures['p50_ms']:>9.1f}"
                f"{figures['p99_ms']:>9.1f}{figures['lost']:>6}{ratio:>15.2f}"
            )
        print(f"{'':<12}(the hanging endpoint held {hanging['hung_requests']} requests open)")
    if results:
        print(f"Goal: p99 < 1000 ms at {results[0]['rate']} events/s; the hanging endpoint moves nothing.")


def _print_inbound(results: list[tuple[str, dict[str, Any]]]) -> None:
    print("\nInbound: Shopify-format order webhooks, end to end, against the bare orders API path")
    for database, figures in results:
        rates = {key: value for key, value in figures.items() if isinstance(value, int | float)}
        shown = "  ".join(f"{key}={value:.1f}" for key, value in rates.items())
        print(f"{database:<12}{shown}")
        per_s = {key: value for key, value in rates.items() if key.endswith("per_s") and value}
        bare = next((value for key, value in per_s.items() if "bare" in key or "api" in key), None)
        for key, value in per_s.items():
            if bare and value is not bare:
                print(f"{'':<12}{key} / bare: {value / bare:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=200, help="events committed per second")
    parser.add_argument("--seconds", type=float, default=10, help="length of each outbound phase")
    parser.add_argument("--orders", type=int, default=2000, help="inbound order webhooks")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FRONTDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    outbound: list[dict[str, Any]] = []
    inbound: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            outbound.append(
                await run_outbound(f"sqlite+aiosqlite:///{tmp}/outbound.db", rate=args.rate, seconds=args.seconds)
            )
            inbound.append(("sqlite", await run_inbound(f"sqlite+aiosqlite:///{tmp}/inbound.db", orders=args.orders)))
        if not args.skip_postgres:
            async with scratch_postgres_database(args.postgres_url) as url:
                outbound.append(await run_outbound(url, rate=args.rate, seconds=args.seconds))
            async with scratch_postgres_database(args.postgres_url) as url:
                inbound.append(("postgresql", await run_inbound(url, orders=args.orders)))
    _print_outbound(outbound)
    _print_inbound(inbound)


if __name__ == "__main__":
    asyncio.run(main())
