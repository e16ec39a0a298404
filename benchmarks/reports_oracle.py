"""Checks the benchmark's own reference: benchmarks/reports_duck.py against a plain-Python computation.

When benchmarks/reports.py prints a MISMATCH, this tells whether DuckDB's side can be trusted: it generates
a small workspace (no database needed), computes every figure from the Parquet rows in Python, by month,
ISO week and day, with and without the segment, and compares with the DuckDB queries. Exit code 1 on any
difference.

    PYTHONPATH=src python benchmarks/reports_oracle.py [--scale 0.003]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import reports_duck as duck_figures
from reports_data import Plan, Shop, generate
from reports_harness import same

import reports
from frontdesk.reports.controls import Granularity, ReportControls, label_of, local_midnight
from frontdesk.reports.figures import percentile, rate


def expected(data: dict[str, list[dict[str, Any]]], c: ReportControls, segment: set[int] | None) -> dict[str, Any]:
    """Every figure as (whole period, {label: value}), from the rows."""
    zone = ZoneInfo(c.time_zone)

    def label(at: datetime) -> str:
        return label_of(at.astimezone(zone).date(), c.granularity)

    def within(at: datetime | None) -> bool:
        return at is not None and c.since <= at < c.until

    def member(contact: int | None) -> bool:
        return segment is None or contact in segment

    def sums(pairs: dict[str, list[int]], of: Callable[[int, int], Any]) -> tuple[Any, dict[str, Any]]:
        return of(sum(a for a, _ in pairs.values()), sum(b for _, b in pairs.values())), {
            key: of(a, b) for key, (a, b) in pairs.items()
        }

    found: dict[str, Any] = {}
    orders = [o for o in data["orders"] if member(o["buyer_id"])]
    completed = [o for o in orders if o["status"] == "completed" and o["buyer_id"] is not None]
    revenue: dict[str, int] = defaultdict(int)
    for o in orders:
        if o["status"] == "completed" and within(o["ordered_at"]):
            revenue[label(o["ordered_at"])] += o["total_minor"]
    found["revenue"] = (sum(revenue.values()), dict(revenue))
    first: dict[int, datetime] = {}
    for o in completed:
        first[o["buyer_id"]] = min(first.get(o["buyer_id"], o["ordered_at"]), o["ordered_at"])
    new: dict[str, int] = defaultdict(int)
    for at in first.values():
        if within(at):
            new[label(at)] += 1
    found["new_customers"] = (sum(new.values()), dict(new))
    times: dict[int, list[datetime]] = defaultdict(list)
    for o in completed:
        times[o["buyer_id"]].append(o["ordered_at"])
    active: dict[str, set[int]] = defaultdict(set)
    for o in completed:
        if within(o["ordered_at"]):
            active[label(o["ordered_at"])].add(o["buyer_id"])
    ends = {bucket.label: bucket.end for bucket in c.buckets()}

    def repeat(buyers: set[int], end: datetime) -> float | None:
        return rate(sum(1 for b in buyers if sum(1 for at in times[b] if at < end) >= 2), len(buyers))

    every = set().union(*active.values()) if active else set()
    found["repeat_purchase_rate"] = (repeat(every, c.until), {k: repeat(v, ends[k]) for k, v in active.items()})
    conversations: dict[str, int] = defaultdict(int)
    waits: dict[str, list[float]] = defaultdict(list)
    ratings: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for x in data["conversations"]:
        if within(x["created_at"]) and member(x["contact_id"]):
            key = label(x["created_at"])
            conversations[key] += 1
            if x["first_response_at"]:
                waits[key].append((x["first_response_at"] - x["created_at"]).total_seconds() / 60)
            if x["csat_rating"] is not None:
                ratings[key][0] += x["csat_rating"] >= 4
                ratings[key][1] += 1
    found["conversations"] = (sum(conversations.values()), dict(conversations))
    every_wait = [w for ws in waits.values() for w in ws]
    for name, fraction in (("first_response_median", 0.5), ("first_response_p90", 0.9)):
        found[name] = (percentile(every_wait, fraction), {k: percentile(v, fraction) for k, v in waits.items()})
    found["csat"] = sums(ratings, rate)
    nps: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in data["survey_recipients"]:
        if a["score"] is not None and within(a["answered_at"]) and member(a["contact_id"]):
            nps[label(a["answered_at"])][0] += (a["score"] >= 9) - (a["score"] <= 6)
            nps[label(a["answered_at"])][1] += 1
    found["nps"] = sums(nps, duck_figures.nps_score)
    complaints: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for x in data["complaints"]:
        if within(x["created_at"]) and member(x["contact_id"]):
            complaints[label(x["created_at"])][0] += 1
    for o in orders:
        if o["status"] != "cancelled" and within(o["ordered_at"]):
            complaints[label(o["ordered_at"])][1] += 1
    found["complaint_rate"] = sums(complaints, rate)
    if c.granularity is Granularity.month:
        months = {b: {at.astimezone(zone).year * 12 + at.astimezone(zone).month - 1 for at in ts if at < c.until}
                  for b, ts in times.items()}  # fmt: skip
        low, high = (d.year * 12 + d.month - 1 for d in (c.first_day, c.last_day))
        matrix = {m: [0] * (high - m + 1) for m in range(low, high + 1)}
        for bought in months.values():
            if bought and min(bought) >= low:
                for m in bought:
                    matrix[min(bought)][m - min(bought)] += 1
        found["cohorts"] = [{"cohort": f"{m // 12:04d}-{m % 12 + 1:02d}", "customers": a[0], "active": a}
                            for m, a in sorted(matrix.items())]  # fmt: skip
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.003)
    args = parser.parse_args()
    shop = Shop(1, [(i + 1, i // 5 + 1) for i in range(40)], {1: [2, 3, 4], 2: [5, 6, 7]})
    start = local_midnight(reports.controls_for(1, Granularity.month, None).first_day, ZoneInfo(reports.ZONE))
    plan = Plan.of(args.scale, start, reports.NOW)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        generate(plan, shop, directory)
        duck = duck_figures.connect(directory)
        data = {t: pq.read_table(directory / f"{t}.parquet").to_pylist()
                for t in ("contacts", "orders", "conversations", "survey_recipients", "complaints")}  # fmt: skip
        return compare_all(duck, data)


def compare_all(duck: Any, data: dict[str, list[dict[str, Any]]]) -> int:
    members = {r["id"] for r in data["contacts"] if r["country"] == "DE" and r["market"] == "b2b"}
    differences = 0
    for granularity in Granularity:
        for segment in (None, members):
            controls = reports.controls_for(1, granularity, reports.SEGMENT if segment is not None else None)
            period = reports.period_of(controls)
            for name, want in expected(data, controls, segment).items():
                got = getattr(duck_figures, name)(duck, period)
                if name == "cohorts":
                    ok = got == want
                else:
                    value, by_bucket = want
                    ok = same(got["value"], value) and set(got["by_bucket"]) == set(by_bucket)
                    ok = ok and all(same(got["by_bucket"][key], v) for key, v in by_bucket.items())
                variant = f"{name} by {granularity.value}{', segment' if segment is not None else ''}"
                print(f"  {variant:<50}{'equal' if ok else 'DIFFERENT'}")
                differences += not ok
    print(f"{differences} difference(s) between DuckDB and the plain-Python computation")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
