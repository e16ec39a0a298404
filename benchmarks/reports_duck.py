"""The benchmark's reference figures: DuckDB over the Parquet files, written from the definitions.

Each function answers one figure for a period, a granularity, a time zone and (optionally) the benchmark's
segment, as ``{"value": whole period, "by_bucket": {label: value}}``; buckets with no row are filled in by
the caller (0 for counts, None for rates). Rates, means and rounding use ``frontdesk.reports.figures``: the
shared arithmetic is the definition, not the code under test. The definitions (docs/reports.md):

- revenue: sum of ``total_minor`` of completed orders, by the local bucket of ``ordered_at``;
- new customers: buyers whose first completed order ever falls in the bucket;
- repeat-purchase rate: of the buyers with a completed order in the bucket, the share with 2 or more
  completed orders up to the bucket's end (whole period: up to the period's end);
- cohorts: by local month of the first completed order, one per month of the period (an empty one too);
  active[k]: the cohort's buyers with a completed order in month cohort + k (up to the period's last month);
- conversations: conversations created in the bucket; first-response time: minutes from creation to the
  first response, median and 90th percentile (``percentile_cont``), of those created in the bucket and
  answered; CSAT: ratings 4-5 per rating, percent, of conversations created in the bucket;
- NPS: % promoters (9-10) - % detractors (0-6) of the answers given in the bucket;
- complaint rate: complaints raised per 100 orders placed (not cancelled) in the bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from frontdesk.reports.figures import rate

SEGMENT_RULE = 'country = "DE" and market = "b2b"'
SEGMENT_SQL = "SELECT id FROM contacts WHERE country = 'DE' AND market = 'b2b'"  # the rule above, by hand


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime
    first_day: date
    last_day: date
    granularity: str  # day, week, month
    time_zone: str
    segment: bool


def connect(directory: Path) -> duckdb.DuckDBPyConnection:
    duck = duckdb.connect()
    for table in ("contacts", "orders", "order_lines", "conversations", "messages", "survey_recipients", "complaints"):
        duck.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{directory / table}.parquet')")
    return duck


def _local(column: str, p: Period) -> str:
    return f"({column} AT TIME ZONE '{p.time_zone}')"


def _label(column: str, p: Period) -> str:
    local = _local(column, p)
    if p.granularity == "day":
        return f"strftime({local}, '%Y-%m-%d')"
    if p.granularity == "month":
        return f"strftime({local}, '%Y-%m')"
    return f"(CAST(isoyear({local}) AS VARCHAR) || '-W' || lpad(CAST(week({local}) AS VARCHAR), 2, '0'))"


def _within(column: str) -> str:
    return f"{column} >= $since AND {column} < $until"


def _member(column: str, p: Period) -> str:
    return f"AND {column} IN ({SEGMENT_SQL})" if p.segment else ""


def _run(duck: duckdb.DuckDBPyConnection, sql: str, p: Period, **more: Any) -> list[Any]:
    """``sql``'s rows, given the period's bounds it names ($since, $until): DuckDB refuses unused ones."""
    params = {name: value for name, value in (("since", p.since), ("until", p.until)) if f"${name}" in sql}
    params.update(more)
    return duck.execute(sql, params).fetchall()


def _grouped(duck: duckdb.DuckDBPyConnection, sql: str, p: Period) -> dict[str, Any]:
    """``sql`` selects (label, value) rows, label NULL for the whole period (GROUPING SETS)."""
    rows = _run(duck, sql, p)
    by_bucket = {label: value for label, value in rows if label is not None}
    whole = [value for label, value in rows if label is None]
    return {"value": whole[0] if whole else None, "by_bucket": by_bucket}


def revenue(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _grouped(duck, f"""
        SELECT {_label('ordered_at', p)} AS label, sum(total_minor) FROM orders
        WHERE status = 'completed' AND {_within('ordered_at')} {_member('buyer_id', p)}
        GROUP BY GROUPING SETS ((label), ())""", p)  # fmt: skip


def new_customers(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _grouped(duck, f"""
        WITH firsts AS (SELECT buyer_id, min(ordered_at) AS first_at FROM orders
                        WHERE status = 'completed' AND buyer_id IS NOT NULL {_member('buyer_id', p)} GROUP BY buyer_id)
        SELECT {_label('first_at', p)} AS label, count(*) FROM firsts WHERE {_within('first_at')}
        GROUP BY GROUPING SETS ((label), ())""", p)  # fmt: skip


def repeat_purchase_rate(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    rows = _run(duck, f"""
        WITH completed AS (SELECT buyer_id, ordered_at, {_label('ordered_at', p)} AS label FROM orders
                           WHERE status = 'completed' AND buyer_id IS NOT NULL AND ordered_at < $until
                           {_member('buyer_id', p)}),
             firsts AS (SELECT buyer_id, min(ordered_at) AS first_at FROM completed GROUP BY buyer_id),
             per AS (SELECT label, buyer_id, count(*) AS n, min(ordered_at) AS own_first FROM completed
                     WHERE ordered_at >= $since GROUP BY label, buyer_id),
             buckets AS (SELECT label, count(*) AS customers,
                                count(*) FILTER (WHERE firsts.first_at < own_first OR n >= 2) AS repeat
                         FROM per JOIN firsts USING (buyer_id) GROUP BY label),
             whole AS (SELECT count(*) AS customers,
                              count(*) FILTER (WHERE firsts.first_at < $since OR n >= 2) AS repeat
                       FROM (SELECT buyer_id, sum(n) AS n FROM per GROUP BY buyer_id) JOIN firsts USING (buyer_id))
        SELECT label, customers, repeat FROM buckets
        UNION ALL SELECT NULL, customers, repeat FROM whole""", p)  # fmt: skip
    # An earlier order than the buyer's first in the bucket can only lie before the bucket.
    by_bucket = {label: rate(repeat, customers) for label, customers, repeat in rows if label is not None}
    whole = [rate(repeat, customers) for label, customers, repeat in rows if label is None]
    return {"value": whole[0], "by_bucket": by_bucket}


def cohorts(duck: duckdb.DuckDBPyConnection, p: Period) -> list[dict[str, Any]]:
    """[{"cohort": "YYYY-MM", "customers": n, "active": [n0, n1, ...]}] for the period's months."""
    month = f"(year({_local('ordered_at', p)}) * 12 + month({_local('ordered_at', p)}) - 1)"
    rows = _run(duck, f"""
        WITH completed AS (SELECT DISTINCT buyer_id, {month} AS m FROM orders
                           WHERE status = 'completed' AND buyer_id IS NOT NULL AND ordered_at < $until
                           {_member('buyer_id', p)}),
             firsts AS (SELECT buyer_id, min(m) AS c FROM completed GROUP BY buyer_id)
        SELECT c, completed.m - c AS k, count(*) FROM completed JOIN firsts USING (buyer_id)
        WHERE c >= $first
        GROUP BY c, k ORDER BY c, k""", p, first=p.first_day.year * 12 + p.first_day.month - 1)  # fmt: skip
    first, last = p.first_day.year * 12 + p.first_day.month - 1, p.last_day.year * 12 + p.last_day.month - 1
    # Every month of the period is a cohort, an empty one too (customers 0, every active count 0).
    found: dict[int, list[int]] = {c: [0] * (last - c + 1) for c in range(first, last + 1)}
    for c, k, n in rows:
        found[c][k] = n
    return [{"cohort": f"{c // 12:04d}-{c % 12 + 1:02d}", "customers": active[0], "active": active}
            for c, active in sorted(found.items())]  # fmt: skip


def conversations(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _grouped(duck, f"""
        SELECT {_label('created_at', p)} AS label, count(*) FROM conversations
        WHERE {_within('created_at')} {_member('contact_id', p)}
        GROUP BY GROUPING SETS ((label), ())""", p)  # fmt: skip


def _first_response(duck: duckdb.DuckDBPyConnection, p: Period, fraction: float) -> dict[str, Any]:
    found = _grouped(duck, f"""
        SELECT {_label('created_at', p)} AS label,
               quantile_cont(epoch(first_response_at - created_at) / 60.0, {fraction}) FROM conversations
        WHERE first_response_at IS NOT NULL AND {_within('created_at')} {_member('contact_id', p)}
        GROUP BY GROUPING SETS ((label), ())""", p)  # fmt: skip
    return found


def first_response_median(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _first_response(duck, p, 0.5)


def first_response_p90(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _first_response(duck, p, 0.9)


def nps_score(net: int, answers: int) -> float | None:
    """NPS is written to one decimal (docs/reports.md), unlike the other rates' two."""
    return round(100 * net / answers, 1) if answers else None


def _rates(
    duck: duckdb.DuckDBPyConnection, sql: str, p: Period, of: Callable[[int, int], float | None] = rate
) -> dict[str, Any]:
    """``sql`` selects (label, numerator, denominator), label NULL for the whole period."""
    rows = _run(duck, sql, p)
    by_bucket = {label: of(a, b) for label, a, b in rows if label is not None}
    whole = [of(a, b) for label, a, b in rows if label is None]
    return {"value": whole[0] if whole else None, "by_bucket": by_bucket}


def csat(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _rates(duck, f"""
        SELECT {_label('created_at', p)} AS label, count(*) FILTER (WHERE csat_rating >= 4), count(*)
        FROM conversations WHERE csat_rating IS NOT NULL AND {_within('created_at')} {_member('contact_id', p)}
        GROUP BY GROUPING SETS ((label), ())""", p)  # fmt: skip


def nps(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _rates(duck, f"""
        SELECT {_label('answered_at', p)} AS label,
               count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6), count(*)
        FROM survey_recipients WHERE score IS NOT NULL AND {_within('answered_at')} {_member('contact_id', p)}
        GROUP BY GROUPING SETS ((label), ())""", p, nps_score)  # fmt: skip


def complaint_rate(duck: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    return _rates(duck, f"""
        WITH raised AS (SELECT {_label('created_at', p)} AS label, 1 AS complaint, 0 AS placed FROM complaints
                        WHERE {_within('created_at')} {_member('contact_id', p)}
                        UNION ALL
                        SELECT {_label('ordered_at', p)}, 0, 1 FROM orders
                        WHERE status != 'cancelled' AND {_within('ordered_at')} {_member('buyer_id', p)})
        SELECT label, sum(complaint), sum(placed) FROM raised GROUP BY GROUPING SETS ((label), ())""", p)  # fmt: skip
