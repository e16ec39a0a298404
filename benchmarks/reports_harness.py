"""The reports benchmark's checks and timings: comparing a Frontdesk figure with DuckDB's, medians of runs,
and the SQL statements a call ran."""

from __future__ import annotations

import math
import statistics
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.reports.controls import Granularity, ReportControls


@dataclass(frozen=True)
class Check:
    """One figure: how DuckDB computes it, and where Frontdesk gives it.

    ``source`` is either a figure function ``(session, controls) -> Figure`` or ``(report key, value path,
    bucket path)`` into the report's JSON: ``"period.conversations"``, ``"buckets[].conversations"``.
    """

    name: str
    duck: Callable[..., Any]
    source: Callable[[AsyncSession, ReportControls], Awaitable[Any]] | tuple[str, str, str]
    kind: str = "count"  # count (0 in an empty bucket), rate (None there), money (minor units, 0 there)
    granularity: Granularity = Granularity.month


BUDGET = 30.0  # seconds one timing may take in all (more runs only while under it); --budget sets it


def median_time(seconds: list[float]) -> float:
    return statistics.median(seconds)


async def timed(session: AsyncSession, repeat: int, run: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """The median seconds of ``repeat`` runs (fewer once they took ``BUDGET`` seconds together: a report of
    minutes is not run five times) and the last result. An exception is returned, not raised, and the
    session rolled back: on PostgreSQL its transaction is unusable after a failed statement."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = await run()
        except Exception as error:  # a failing report is a printed ERROR and a failed run, not a crash
            traceback.print_exc(limit=3)
            await session.rollback()
            return math.nan, error
        seconds.append(time.perf_counter() - started)
        if sum(seconds) > BUDGET:
            break
    return median_time(seconds), result


def timed_sync(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
        if sum(seconds) > BUDGET:
            break
    return median_time(seconds), result


def path_of(data: Any, path: str) -> Any:
    """``data`` (a report's JSON) at ``path``: dotted keys, ``key[]`` maps the rest over a list."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(data, dict) or key not in data:
        fields = ", ".join(data) if isinstance(data, dict) else type(data).__name__
        raise LookupError(f"no field {key!r} (fields: {fields}); fix the path in benchmarks/reports.py CHECKS")
    value = data[key]
    if many:
        return [path_of(item, rest) if rest else item for item in value]
    return path_of(value, rest) if rest else value


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.01)  # 2-decimal rounding at most


def compare(check: Check, expected: dict[str, Any], value: Any, by_bucket: Any, labels: list[str]) -> list[str]:
    """What differs, as short lines naming the bucket; empty when equal. Money may be minor or major units."""
    empty = None if check.kind == "rate" else 0
    want_buckets = [expected["by_bucket"].get(label, empty) for label in labels]
    want_value = expected["value"] if expected["value"] is not None else empty
    if check.kind == "money" and value is not None and want_value and not same(value, want_value):
        want_value = want_value / 100  # shown in major units
        want_buckets = [w / 100 if w is not None else None for w in want_buckets]
    problems = []
    if not same(value, want_value):
        problems.append(f"whole period: Frontdesk {value!r}, DuckDB {want_value!r}")
    if not isinstance(by_bucket, list) or len(by_bucket) != len(labels):
        size = len(by_bucket) if isinstance(by_bucket, list) else type(by_bucket).__name__
        problems.append(f"by_bucket: Frontdesk gives {size} values for {len(labels)} buckets")
        return problems
    wrong = [(lb, g, w) for lb, g, w in zip(labels, by_bucket, want_buckets, strict=True) if not same(g, w)]
    for label, got, want in wrong[:3]:
        problems.append(f"{label}: Frontdesk {got!r}, DuckDB {want!r}")
    if len(wrong) > 3:
        problems.append(f"... and {len(wrong) - 3} more of {len(labels)} buckets")
    return problems


class Statements:
    """With ``--statements``: the SQL one call ran and how long each statement took (why a report is slow)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.found: list[tuple[float, str]] | None = None
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, connection: Any, *_: Any) -> None:
        connection.info["bench_started"] = time.perf_counter()

    def _after(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        started = connection.info.pop("bench_started", None)
        if self.found is not None and started is not None:
            self.found.append((time.perf_counter() - started, " ".join(statement.split())))

    async def slowest(
        self, session: AsyncSession, run: Callable[[], Awaitable[Any]], count: int = 3
    ) -> list[tuple[float, str]]:
        self.found = []
        try:
            await run()
        except Exception:  # already reported by the timed runs
            await session.rollback()
        found, self.found = self.found, None
        return sorted(found, reverse=True)[:count]


def first_difference(mine: list[dict[str, Any]], expected: list[dict[str, Any]]) -> str:
    if len(mine) != len(expected):
        return f"Frontdesk has {len(mine)} cohorts, DuckDB {len(expected)}"
    for a, b in zip(mine, expected, strict=True):
        if a != b:
            return f"cohort {b['cohort']}: Frontdesk {a}, DuckDB {b}"
    return "differs"


@dataclass
class Results:
    backend: str
    reports: list[tuple[str, float, float]]  # name, seconds unfiltered, seconds with the segment
    dashboard: float
    figures: list[tuple[str, str, float, float, list[str]]]  # check, variant, Frontdesk s, DuckDB s, problems
    statements: list[tuple[str, list[tuple[float, str]]]]  # report and variant, its slowest statements
    failures: list[str]  # reports (and the dashboard) that raised


def print_results(results: Results) -> int:
    """Prints one database's table; returns the number of mismatching figures and failed reports."""
    print(f"\n{results.backend}: 24 months by month (median of the runs), seconds")
    print(f"  {'report':<34}{'all':>9}{'segment':>9}")
    for name, whole, segment in results.reports:
        print(f"  {name:<34}{whole:>9.3f}{segment:>9.3f}")
    print(f"  {'dashboard':<34}{results.dashboard:>9.3f}")
    print(f"  {'figure':<34}{'variant':>8}{'Frontdesk':>11}{'DuckDB':>9}{'ratio':>8}  check")
    mismatches = 0
    for name, variant, seconds, duck_seconds, problems in results.figures:
        ratio = seconds / duck_seconds if duck_seconds else math.inf
        print(f"  {name:<34}{variant:>8}{seconds:>11.3f}{duck_seconds:>9.3f}{ratio:>8.1f}  "
              f"{'MISMATCH' if problems else 'equal'}")  # fmt: skip
        for problem in problems:
            print(f"      {problem}")
        mismatches += bool(problems)
    print("  * Frontdesk's time is the whole report's (the figure is one of its fields), DuckDB's the figure's")
    for failure in results.failures:
        print(f"  ERROR: {failure}")
    mismatches += len(results.failures)
    for report, found in results.statements:
        print(f"  slowest statements of {report}:" + ("" if found else " (it ran no SQL)"))
        for seconds, statement in found:
            print(f"    {seconds:8.3f} s  {statement[:150]}")
    return mismatches


def goal_check(results: Results) -> list[str]:
    """What misses the issue's goal (meant for PostgreSQL at full scale)."""
    misses = []
    if not results.dashboard < 0.3:
        misses.append(f"dashboard {results.dashboard:.3f} s (goal < 0.3 s)")
    for name, whole, segment in results.reports:
        for variant, seconds in (("all", whole), ("segment", segment)):
            if not seconds < 1:
                misses.append(f"{name} ({variant}) {seconds:.3f} s (goal < 1 s)")
    for name, variant, seconds, duck_seconds, _ in results.figures:
        if not seconds <= 5 * duck_seconds:
            misses.append(f"{name} ({variant}) {seconds / duck_seconds:.1f}x DuckDB (goal <= 5x)")
    return misses
