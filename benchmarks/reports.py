"""Reports at scale: every report, the cohorts and the dashboard over 24 months, against DuckDB over Parquet.

Builds one workspace (time zone Europe/Berlin) of 1,000,000 contacts, 5,000,000 orders with their lines over
24 months, 200,000 conversations with about 2,000,000 messages, 200,000 NPS answers, 50,000 complaints,
100,000 reviews and 30,000 referrals (``--scale`` multiplies every count), written once as Parquet
(benchmarks/reports_data.py) and loaded into SQLite and/or a throw-away PostgreSQL database
(``frontdesk_bench_<random>``, dropped at the end; benchmarks/reports_load.py). Then, on each database, the
median of ``--repeat`` runs of:

- each report of ``frontdesk.reports.catalogue.REPORTS`` (``definition.compute``) for 24 months by month, and
  the cohort matrix, unfiltered and for the segment ``country = "DE" and market = "b2b"``;
- the dashboard;
- each figure the issue names, by its Frontdesk function or report field, and by DuckDB over the same rows
  (benchmarks/reports_duck.py): the numbers must be equal (MISMATCH otherwise), and the time ratio is printed.

Exit code 1 when any figure differs from DuckDB's (or a report fails). The goal: the dashboard under 300 ms
and every report under 1 s on PostgreSQL, each figure within 5x of DuckDB.

    python benchmarks/reports.py [--scale 1] [--backend sqlite|postgresql|both] [--repeat 5] [--statements]

The load (about an hour at --scale 1) can be done once and the timings run many times, on the report code
of the checkout at the time (benchmarks/reports_kept.py; migrations added since the load are applied):

    python benchmarks/reports.py --scale 1 --backend postgresql --data-dir DIR --keep --load-only
    python benchmarks/reports.py --reuse DIR [--backend ...] [--refresh]    # as often as needed
    python benchmarks/reports.py --drop DIR     # drops the kept database, removes DIR's files
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

import reports_duck as duck_figures
import reports_harness
import reports_kept as kept_data
from reports_data import Plan, Shop, create_shop, generate
from reports_harness import Check, Results, Statements, compare, first_difference, path_of, timed, timed_sync
from reports_kept import Manifest
from reports_load import load
from scratch import scratch_postgres_database
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_workspace
from frontdesk.db import create_engine, create_session_factory, migrate
from frontdesk.reports import customers, feedback, support
from frontdesk.reports.catalogue import REPORTS, REPORTS_BY_KEY
from frontdesk.reports.controls import Granularity, ReportControls, local_midnight
from frontdesk.reports.dashboard import dashboard
from frontdesk.workspaces.models import Role

ZONE = "Europe/Berlin"
NOW = datetime.now(UTC).replace(microsecond=0)  # the data's end; with --reuse, the load's (from its manifest)
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SEGMENT = duck_figures.SEGMENT_RULE


CHECKS = [
    Check("revenue per month", duck_figures.revenue, customers.revenue, "money"),
    Check("new customers per month", duck_figures.new_customers, customers.new_customers),
    Check("repeat-purchase rate per month", duck_figures.repeat_purchase_rate, customers.repeat_purchase_rate, "rate"),
    Check("conversations per day", duck_figures.conversations,
          ("support", "period.conversations", "buckets[].conversations"), granularity=Granularity.day),
    Check("first response median / month", duck_figures.first_response_median, support.first_response_minutes, "rate"),
    Check("first response p90 / month", duck_figures.first_response_p90,
          ("support", "period.first_response.p90", "buckets[].first_response.p90"), "rate"),
    Check("CSAT per month", duck_figures.csat, support.csat, "rate"),
    Check("NPS per month", duck_figures.nps, feedback.nps, "rate"),
    Check("complaint rate per month", duck_figures.complaint_rate, feedback.complaint_rate, "rate"),
]  # fmt: skip


def controls_for(workspace_id: int, granularity: Granularity, segment: str | None) -> ReportControls:
    zone = ZoneInfo(ZONE)
    today = NOW.astimezone(zone).date()
    months = today.year * 12 + today.month - 1 - 23
    return ReportControls(workspace_id=workspace_id, first_day=date(months // 12, months % 12 + 1, 1),
                          last_day=today, granularity=granularity, time_zone=ZONE, segment=segment)  # fmt: skip


def period_of(controls: ReportControls) -> duck_figures.Period:
    c = controls
    return duck_figures.Period(
        c.since, c.until, c.first_day, c.last_day, c.granularity.value, c.time_zone, c.segment is not None
    )


async def bench_backend(
    name: str,
    session: AsyncSession,
    shop: Shop,
    args: argparse.Namespace,
    duck: dict[tuple[str, bool], Any],
    statements: Statements,
) -> Results:
    ws = shop.workspace_id
    slowest: list[tuple[str, list[tuple[float, str]]]] = []
    reports: list[tuple[str, float, float]] = []
    computed: dict[tuple[str, Granularity, bool], Any] = {}
    report_seconds: dict[tuple[str, Granularity, bool], float] = {}
    runs = [(definition.key, definition.compute, Granularity.month) for definition in REPORTS]
    runs.append(("support", REPORTS_BY_KEY["support"].compute, Granularity.day))
    for key, compute, granularity in runs:
        row = []
        for segment in (None, SEGMENT):
            controls = controls_for(ws, granularity, segment)
            seconds, result = await timed(session, args.repeat, lambda c=controls, f=compute: f(session, c))  # type: ignore[misc]
            computed[(key, granularity, segment is not None)] = result
            report_seconds[(key, granularity, segment is not None)] = seconds
            row.append(seconds)
            if args.statements:
                found = await statements.slowest(session, lambda c=controls, f=compute: f(session, c))  # type: ignore[misc]
                slowest.append((f"{key} by {granularity.value}{', segment' if segment else ''}", found))
        label = key if granularity is Granularity.month else f"{key} (by day, 24 months)"
        reports.append((label, row[0], row[1]))
    row = []
    cohort_results = {}
    for segment in (None, SEGMENT):
        controls = controls_for(ws, Granularity.month, segment)
        seconds, cohort_results[segment is not None] = await timed(
            session, args.repeat, lambda c=controls: customers.cohorts(session, c)
        )
        row.append(seconds)
    reports.append(("cohorts", row[0], row[1]))
    dashboard_seconds, board = await timed(
        session, args.repeat, lambda: dashboard(session=session, workspace_id=ws, role=Role.admin, now=NOW)
    )
    if args.statements:
        found = await statements.slowest(
            session, lambda: dashboard(session=session, workspace_id=ws, role=Role.admin, now=NOW)
        )
        slowest.append(("dashboard", found))
    failures = [
        f"{key} by {granularity.value}{' (segment)' if segmented else ''}: {result!r}"
        for (key, granularity, segmented), result in computed.items()
        if isinstance(result, Exception)
    ]
    if isinstance(board, Exception):
        failures.append(f"dashboard: {board!r}")
    figures = []
    for check in CHECKS:
        for segmented in (False, True):
            controls = controls_for(ws, check.granularity, SEGMENT if segmented else None)
            variant = "segment" if segmented else "all"
            duck_seconds, expected = duck[(check.name, segmented)]
            problems: list[str] = []
            if isinstance(check.source, tuple):
                key, value_path, bucket_path = check.source
                seconds = report_seconds[(key, check.granularity, segmented)]
                result = computed[(key, check.granularity, segmented)]
                value = by_bucket = None
                if isinstance(result, Exception):
                    problems.append(f"the {key} report failed: {result!r}")
                else:
                    try:
                        data = result.model_dump(mode="json")
                        value, by_bucket = path_of(data, value_path), path_of(data, bucket_path)
                    except LookupError as error:
                        problems.append(f"{type(result).__name__}: {error}")
            else:
                source = check.source
                seconds, result = await timed(session, args.repeat, lambda s=source, c=controls: s(session, c))  # type: ignore[misc]
                if isinstance(result, Exception):
                    problems.append(f"{check.source.__qualname__} failed: {result!r}")
                else:
                    value, by_bucket = result.value, result.by_bucket
            if not problems:
                problems = compare(check, expected, value, by_bucket, controls.labels())
            # A field's time is its whole report's: marked, so the ratio is read as such.
            label = f"{check.name} *" if isinstance(check.source, tuple) else check.name
            figures.append((label, variant, seconds, duck_seconds, problems))
    for segmented in (False, True):
        duck_seconds, expected = duck[("cohort matrix", segmented)]
        got = cohort_results[segmented]
        seconds = reports[-1][2 if segmented else 1]
        if isinstance(got, Exception):
            problems = [f"cohorts failed: {got!r}"]
        else:
            mine = [cohort.model_dump() for cohort in got.cohorts]
            problems = [] if mine == expected else [first_difference(mine, expected)]
        figures.append(("cohort matrix", "segment" if segmented else "all", seconds, duck_seconds, problems))
    return Results(name, reports, dashboard_seconds, figures, slowest, failures)


def reference(directory: Path, workspace_id: int, repeat: int) -> dict[tuple[str, bool], Any]:
    """Every check's DuckDB answer and median seconds, unfiltered and for the segment."""
    duck = duck_figures.connect(directory)
    found: dict[tuple[str, bool], Any] = {}
    named = [(check.name, check.duck, check.granularity) for check in CHECKS]
    for name, compute, granularity in [*named, ("cohort matrix", duck_figures.cohorts, Granularity.month)]:
        for segmented in (False, True):
            period = period_of(controls_for(workspace_id, granularity, SEGMENT if segmented else None))
            found[(name, segmented)] = timed_sync(repeat, lambda f=compute, p=period: f(duck, p))  # type: ignore[misc]
    return found


def files_size(directory: Path, pattern: str) -> int:
    return sum(f.stat().st_size for f in directory.glob(pattern))


async def run_backend(
    backend: str, url: str, args: argparse.Namespace, state: dict[str, Any], directory: Path, kept: Manifest | None
) -> Results | None:
    """Creates the shop in a new database, generates the data (for the first database), loads it and, but
    with --load-only, times the reports."""
    name = BACKENDS[backend]
    engine = create_engine(url)
    statements = Statements(engine)
    await migrate(engine)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            shop = await create_shop(session, ZONE)
            if "plan" not in state:  # the first database's ids are the ones the data is generated for
                zone = ZoneInfo(ZONE)
                start = local_midnight(controls_for(shop.workspace_id, Granularity.month, None).first_day, zone)
                plan = Plan.of(args.scale, start, NOW)
                started = time.perf_counter()
                generate(plan, shop, directory)
                state.update(plan=plan, shop=shop, generated=time.perf_counter() - started)
                state["parquet_bytes"] = files_size(directory, "*.parquet")
                if kept is not None:
                    kept.generated(plan, shop)
                if not args.load_only:
                    started = time.perf_counter()
                    state["duck"] = reference(directory, shop.workspace_id, args.repeat)
                    state["duck_seconds"] = time.perf_counter() - started
                print_plan(state, args.scale)  # before the long loads, to plan by
            plan = state["plan"]
            started = time.perf_counter()
            seconds = await load(session, plan, shop, state["shop"], directory)
            total = time.perf_counter() - started
            rows = sum(plan.rows.values())
            print(
                f"\n{name}: loaded {rows:,} rows in {total:.1f} s = {total / rows * 100_000:.2f} s per 100k rows; "
                f"at --scale 1 about {total / args.scale / 60:.0f} min"
            )
            if url.startswith("sqlite"):
                print(f"  SQLite file: {files_size(directory, 'bench.db*') / 2**30:.2f} GiB")
            for table, spent in seconds.items():
                count = plan.contacts if table == "contacts" else plan.rows.get(table)
                per = f" ({spent / count * 100_000:.2f} s per 100k)" if count else ""
                print(f"  {table:<40}{spent:>8.1f} s{per}")
            if kept is not None:
                kept.database(backend, shop=shop)
            if args.load_only:
                return None
            return await bench_backend(name, session, shop, args, state["duck"], statements)
    finally:
        await engine.dispose()


def print_plan(state: dict[str, Any], scale: float) -> None:
    plan: Plan = state["plan"]
    rows = sum(plan.rows.values())
    print(f"\nData (scale {scale}): {plan.start:%Y-%m-%d %H:%M} UTC to {plan.now:%Y-%m-%d %H:%M} UTC, {ZONE}")
    for table, count in plan.rows.items():
        spent = plan.seconds.get(table)
        per = f"{spent / count * 100_000:>7.2f} s per 100k" if spent is not None else "  (with the table above)"
        print(f"  {table:<20}{count:>12,}  {per}")
    per_100k = state["generated"] / rows * 100_000
    print(f"  generation: {state['generated']:.1f} s for {rows:,} rows = {per_100k:.2f} s per 100k rows; "
          f"at --scale 1 about {per_100k * rows / scale / 100_000 / 60:.0f} min")  # fmt: skip
    if "duck_seconds" in state:
        print(f"  DuckDB reference figures (all runs): {state['duck_seconds']:.1f} s")
    print(f"  Parquet files: {state['parquet_bytes'] / 2**30:.2f} GiB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, help="multiplies every row count (default 1; 0.01: a quick run)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), help="default: both (--reuse: the kept)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timing; the median is printed")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds one timing may take in all: fewer runs of slow ones"
    )
    parser.add_argument("--statements", action="store_true", help="print each report's three slowest SQL statements")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FRONTDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, metavar="DIR", help="write the Parquet files (and SQLite's) here")
    where.add_argument("--reuse", type=Path, metavar="DIR", help="time the data kept in DIR: no generation, no load")
    where.add_argument("--drop", type=Path, metavar="DIR", help="drop the database kept for DIR, remove its files")
    parser.add_argument("--keep", action="store_true", help="with --data-dir: keep the databases, for --reuse")
    parser.add_argument("--load-only", action="store_true", help="with --keep: load, time nothing")
    parser.add_argument(
        "--refresh", action="store_true", help="with --reuse: recompute the customers' figures (a new summary table)"
    )
    args = parser.parse_args()
    for option, needs, given in (("--keep", "--data-dir", args.data_dir), ("--load-only", "--keep", args.keep),
                                 ("--refresh", "--reuse", args.reuse)):  # fmt: skip
        if getattr(args, option[2:].replace("-", "_")) and not given:
            parser.error(f"{option} needs {needs}")
    if args.scale is not None and (args.reuse or args.drop):
        parser.error("--scale is the kept data's (its manifest's) with --reuse and --drop")
    args.scale = 1.0 if args.scale is None else args.scale
    return args


async def build(args: argparse.Namespace) -> list[Results]:
    """Generates and loads the data, times the reports; all in temporary places unless --data-dir --keep."""
    state: dict[str, Any] = {}
    found: list[Results | None] = []
    backends = ("sqlite", "postgresql") if args.backend in (None, "both") else (args.backend,)
    with contextlib.ExitStack() as stack:
        if args.data_dir is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        else:
            directory = args.data_dir.resolve()
            directory.mkdir(parents=True, exist_ok=True)
            kept_data.check_unused(directory)
        kept = Manifest.new(directory, args.scale) if args.keep else None
        try:
            if "sqlite" in backends:
                if kept is not None:
                    kept.database("sqlite", file=kept_data.SQLITE_FILE)
                found.append(await run_backend("sqlite", kept_data.sqlite_url(directory), args, state, directory, kept))
            if "postgresql" in backends:
                async with scratch_postgres_database(args.postgres_url, keep=args.keep) as url:
                    if kept is not None:
                        kept.database("postgresql", server=kept_data.server_of(url), database=make_url(url).database)
                    found.append(await run_backend("postgresql", url, args, state, directory, kept))
        except BaseException:
            if kept is not None:
                print(f"\nThe run failed; what it kept is listed in {directory}: remove it with --drop {directory}")
            raise
    if kept is not None:
        print(f"\nKept in {directory}: " + ", ".join(f"{b} ({e.get('database', e.get('file'))})"
                                                     for b, e in kept.data["databases"].items()))  # fmt: skip
        print(f"  time with: --reuse {directory}; remove with: --drop {directory}")
    return [result for result in found if result is not None]


async def time_kept(args: argparse.Namespace) -> list[Results]:
    """Times the reports on the databases loaded by an earlier --keep run, on the data's own ``now``."""
    global NOW
    directory = args.reuse.resolve()
    kept = Manifest.read(directory)
    plan = kept.plan
    NOW = plan.now  # the periods end where the data does, as in the run that loaded it
    args.scale = kept.scale
    loaded = kept.loaded()
    backends = {None: loaded, "both": list(BACKENDS)}.get(args.backend, [args.backend])
    if missing := [b for b in backends if b not in loaded]:
        raise SystemExit(f"{directory} holds no loaded {' or '.join(missing)} database (loaded: {loaded or 'none'})")
    print(f"\nReusing {directory} (scale {args.scale}): {sum(plan.rows.values()):,} rows, "
          f"{plan.start:%Y-%m-%d %H:%M} to {plan.now:%Y-%m-%d %H:%M} UTC")  # fmt: skip
    started = time.perf_counter()
    duck = reference(directory, kept.data["generated_shop"]["workspace_id"], args.repeat)
    print(f"  DuckDB reference figures (all runs): {time.perf_counter() - started:.1f} s")
    results = []
    for backend in sorted(backends, key=list(BACKENDS).index):
        print(f"\n{BACKENDS[backend]}:")
        shop = kept.shop(backend)
        engine = create_engine(kept.url(backend, args.postgres_url))
        statements = Statements(engine)
        try:
            migrated = await kept_data.migrate_kept(engine)
            if migrated and not args.refresh:
                print("  (if one adds a summary table refresh_workspace fills, time with --refresh)")
            async with create_session_factory(engine)() as session:
                if args.refresh:
                    started = time.perf_counter()
                    await refresh_workspace(session=session, workspace_id=shop.workspace_id, now=plan.now)
                    await session.commit()
                    print(f"  customer figures (refresh_workspace): {time.perf_counter() - started:.1f} s")
                if migrated or args.refresh:  # statistics for new indexes and tables
                    await session.execute(text("ANALYZE"))
                    await session.commit()
                results.append(await bench_backend(BACKENDS[backend], session, shop, args, duck, statements))
        finally:
            await engine.dispose()
    return results


async def main() -> int:
    args = parse_args()
    reports_harness.BUDGET = args.budget
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each line as it comes, also into a file
    if args.drop:
        await kept_data.drop_databases(Manifest.read(args.drop.resolve()), args.postgres_url)
        kept_data.remove_files(args.drop.resolve())
        return 0
    results = await time_kept(args) if args.reuse else await build(args)
    if args.load_only:
        return 0
    mismatches = sum(reports_harness.print_results(result) for result in results)
    for result in results:
        misses = reports_harness.goal_check(result)
        note = "" if result.backend == "PostgreSQL" else " (the goal is set for PostgreSQL; shown for reference)"
        print(f"\nGoal on {result.backend}{note}: " + ("met" if not misses else f"{len(misses)} missed"))
        for miss in misses:
            print(f"  MISSED: {miss}")
    if args.scale != 1:
        print(f"\n(--scale {args.scale}: the goal is set for --scale 1, the issue's workspace)")
    if mismatches:
        print(f"\n{mismatches} figure(s) differ from DuckDB's or report(s) failed: MISMATCH / ERROR (exit code 1)")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
