"""Customer success at scale: the purchase summary, the BG/NBD and Gamma-Gamma fits, scoring, health,
playbooks and the whole daily refresh, against a bare baseline each and the `lifetimes` reference fit.

The workspace is the reports benchmark's (time zone Europe/Berlin): 1,000,000 contacts and 5,000,000 orders over
24 months with conversations, NPS answers, complaints and reviews (``--scale`` multiplies every count),
generated and loaded by benchmarks/reports_data.py and reports_load.py. On SQLite and/or PostgreSQL it prints
the median of ``--repeat`` runs (fewer when one timing's runs exceed ``--budget`` seconds) of:

- the per-customer purchase summary (success.clv_summary.purchase_summary), against one plain GROUP BY over
  the same completed orders (the bare pass the summary cannot beat by much);
- the fit (success.clv_math.fit_bgnbd + fit_gamma_gamma on that summary), against lifetimes' BetaGeoFitter +
  GammaGammaFitter on the same summary: time, parameters side by side, relative differences, differences in
  standard errors, agreement (benchmarks/clv_reference.py states the tolerance) and log-likelihoods;
- scoring every customer (success.clv.score_customers: summary, predictions, rows written), against the
  prediction arithmetic alone (clv_math over the summary in memory);
- the health scores (success.health.score_health), against reading every customer's figures row once;
- the playbooks (success.playbooks.run_playbooks), against counting each playbook rule's segment;
- the full daily refresh (commerce.figures.refresh_workspace + success.refresh.refresh_success, committed, as
  the daily job runs it) from a workspace never refreshed before (every prediction, score, history row and
  task is new: the most work a refresh does), each part timed; goal < 60 s: PASS or MISS. It runs first (the
  figure the goal is about, printed early in a long run); once more at the end, with nothing new (the next
  day's refresh);
- before the databases (step "reference"), the same fits on data with a known answer: a summary simulated
  from the models themselves, and the CDNOW sample with its published parameters.

    python benchmarks/clv.py [--scale 1] [--backend sqlite|postgresql|both] [--repeat 3]   # temporary data

The load takes long at --scale 1 (about 30-60 min per database); load once, time as often as needed:

    python benchmarks/clv.py --scale 1 --backend both --data-dir DIR --keep --load-only
    python benchmarks/clv.py --reuse DIR [--backend ...] [--steps refresh]
    python benchmarks/clv.py --drop DIR      # drops the kept PostgreSQL database, removes DIR's files
(the kept data is the reports benchmark's: benchmarks/reports.py --reuse/--drop DIR work on it too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

import clv_steps
import reports_kept as kept_data
from reports_harness import Statements
from reports_kept import Manifest

import reports
from frontdesk.db import create_engine, create_session_factory

# "reference": the fits on simulated and CDNOW data (no database; once per run, before the databases).
STEPS = ("reference", "summary", "fit", "score", "health", "playbooks", "refresh")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, help="multiplies every row count (default 1; 0.01: a quick run)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), help="default: both (--reuse: the kept)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the median is printed")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds one timing's runs may take in all")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of: {', '.join(STEPS)}")
    parser.add_argument("--no-reference", action="store_true", help="skip the lifetimes reference fit")
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
    args = parser.parse_args()
    for option, needs, given in (("--keep", "--data-dir", args.data_dir), ("--load-only", "--keep", args.keep)):
        if getattr(args, option[2:].replace("-", "_")) and not given:
            parser.error(f"{option} needs {needs}")
    if args.scale is not None and (args.reuse or args.drop):
        parser.error("--scale is the kept data's (its manifest's) with --reuse and --drop")
    args.scale = 1.0 if args.scale is None else args.scale
    args.steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    if unknown := [step for step in args.steps if step not in STEPS]:
        parser.error(f"--steps: unknown {', '.join(unknown)} (steps: {', '.join(STEPS)})")
    # What reports.build reads besides the above.
    args.statements, args.refresh = False, False
    return args


async def load(args: argparse.Namespace, directory: Path) -> None:
    """Generates and loads the data into ``directory`` (and a kept PostgreSQL database) by the reports
    benchmark's code; ``--keep`` or not, it is kept until this run ends (a temporary load is dropped then)."""
    loading = argparse.Namespace(**vars(args))
    loading.data_dir, loading.keep, loading.load_only = directory, True, True
    await reports.build(loading)


async def time_kept(args: argparse.Namespace, directory: Path) -> int:
    """Times every step on each database loaded in ``directory``; returns how many goals were missed or
    steps failed."""
    kept = Manifest.read(directory)
    plan = kept.plan
    loaded = kept.loaded()
    backends = {None: loaded, "both": list(reports.BACKENDS)}.get(args.backend, [args.backend])
    if missing := [b for b in backends if b not in loaded]:
        raise SystemExit(f"{directory} holds no loaded {' or '.join(missing)} database (loaded: {loaded or 'none'})")
    print(f"\nData in {directory} (scale {kept.scale}): {plan.contacts:,} contacts, {plan.orders:,} orders, "
          f"{plan.start:%Y-%m-%d %H:%M} to {plan.now:%Y-%m-%d %H:%M} UTC, {reports.ZONE}; "
          f"every step runs as of {plan.now:%Y-%m-%d %H:%M} UTC (the data's end)")  # fmt: skip
    print(f"Median of up to {args.repeat} runs per timing (fewer once a timing's runs took {args.budget:.0f} s), "
          f"seconds; ratio = Frontdesk / baseline")  # fmt: skip
    problems = 0
    if "reference" in args.steps and not args.no_reference:
        problems += await clv_steps.reference_checks(max(2_000, round(700_000 * kept.scale)), args.repeat, args.budget)
    if not set(args.steps) - {"reference"}:
        backends = []
    for backend in sorted(backends, key=list(reports.BACKENDS).index):
        engine = create_engine(kept.url(backend, args.postgres_url))
        statements = Statements(engine)
        try:
            await kept_data.migrate_kept(engine)
            async with create_session_factory(engine)() as session:
                bench = clv_steps.Bench(
                    name=reports.BACKENDS[backend], session=session, statements=statements,
                    workspace_id=kept.shop(backend).workspace_id, now=plan.now, repeat=args.repeat,
                    budget=args.budget, reference=not args.no_reference,
                )  # fmt: skip
                problems += await bench.run(args.steps)
        finally:
            await engine.dispose()
    if kept.scale != 1:
        print(f"\n(--scale {kept.scale}: the goal is set for --scale 1, the issue's workspace)")
    return problems


async def main() -> int:
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each line as it comes, also into a file
    # A playbook whose rule this checkout cannot parse is printed once by the benchmark, not logged every run.
    logging.getLogger("frontdesk.success.playbooks").setLevel(logging.ERROR)
    started = time.perf_counter()
    if args.drop:
        await kept_data.drop_databases(Manifest.read(args.drop.resolve()), args.postgres_url)
        kept_data.remove_files(args.drop.resolve())
        return 0
    if args.reuse:
        problems = await time_kept(args, args.reuse.resolve())
    else:
        with contextlib.ExitStack() as stack:
            if args.data_dir is None:
                directory = Path(stack.enter_context(tempfile.TemporaryDirectory(ignore_cleanup_errors=True)))
            else:
                directory = args.data_dir.resolve()
                directory.mkdir(parents=True, exist_ok=True)
            try:
                await load(args, directory)
                problems = 0 if args.load_only else await time_kept(args, directory)
            finally:
                if not args.keep:  # the temporary load: its PostgreSQL database goes too
                    with contextlib.suppress(SystemExit):
                        await kept_data.drop_databases(Manifest.read(directory), args.postgres_url)
                    kept_data.remove_files(directory)
    print(f"\n(the whole run took {time.perf_counter() - started:.0f} s)")
    if problems:
        print(f"{problems} goal(s) missed or step(s) failed: exit code 1")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
