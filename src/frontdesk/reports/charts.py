"""What a report page draws: charts described as data, each with the table of its numbers.

A report turns its figures into ``Chart``s; the page draws each with the vendored chart library and prints its
numbers as a table under it (for screen readers, and as the fallback), and the CSV download is the same
tables written out. So the chart, the table and the CSV cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel

from frontdesk.csvsafe import format_row

ChartKind = Literal["line", "bar", "stacked-bar", "heatmap", "table"]  # a table: numbers only, nothing drawn
Value = float | int | None


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Value]


@dataclass(frozen=True)
class Chart:
    """One chart. ``labels`` run along the x axis (a heatmap's columns); each series is a line, a set of bars
    or a heatmap row, with one value per label (``None``: no value, e.g. a rate with nothing to divide by)."""

    key: str  # the chart's anchor on its page and its section in the CSV
    title: str
    kind: ChartKind
    labels: Sequence[str]
    series: Sequence[Series]
    unit: str = ""  # "%", "min", "EUR", "" for counts
    definition: str = ""  # the anchor of its definition in docs/reports.md
    note: str = ""  # one line under the title
    # A heatmap's cells may hold a share while the table also shows the count behind it.
    extra_rows: Sequence[Series] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for series in (*self.series, *self.extra_rows):
            if len(series.values) != len(self.labels):
                raise ValueError(f"chart {self.key}: series {series.name!r} has {len(series.values)} values "
                                 f"for {len(self.labels)} labels")  # fmt: skip


def _is_number(annotation: Any) -> bool:
    kinds = get_args(annotation) or (annotation,)
    return all(kind in (int, float, type(None)) for kind in kinds) and any(kind in (int, float) for kind in kinds)


def _scalars(value: Any, path: str) -> list[tuple[str, float | int | None]]:
    """Every number of ``value`` outside its lists, with its path; a field that may be empty counts as a number."""
    if isinstance(value, BaseModel):
        found: list[tuple[str, float | int | None]] = []
        for name, field_info in type(value).model_fields.items():
            inner = getattr(value, name)
            if inner is None and _is_number(field_info.annotation):
                found.append((f"{path}{name}", None))
            else:
                found += _scalars(inner, f"{path}{name}.")
        return found
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    return [(path.rstrip("."), value)]


ACRONYMS = {"nps": "NPS", "csat": "CSAT"}


def _readable(path: str) -> str:
    """``first_response.p90`` -> ``First response: p90``; a Figure's ``value`` is the figure itself."""
    parts = [
        " ".join(ACRONYMS.get(word, word) for word in part.split("_")) for part in path.split(".") if part != "value"
    ]
    text = ": ".join(parts)
    return text[:1].upper() + text[1:]


def whole_period_table(report: BaseModel) -> Chart:
    """Every whole-period number of a report's API answer (the figures outside its per-bucket and per-group
    lists), as the first table of its page and CSV: so the page and the CSV hold each number the API gives
    for the period, found from the schema rather than listed by hand."""
    rows = _scalars(report, "")
    return Chart(
        key="whole-period",
        title="Over the whole period",
        kind="table",
        labels=["whole period"],
        series=[Series(_readable(path), [value]) for path, value in rows],
        note="Every figure of the report over the whole period; the charts below show them by period and group.",
    )


def charts_csv(charts: Sequence[Chart]) -> str:
    """Every chart's table as one CSV: ``chart, series, label, value, unit``; an empty value is no value."""
    lines = [format_row(["chart", "series", "label", "value", "unit"])]
    for chart in charts:
        for series in (*chart.series, *chart.extra_rows):
            for label, value in zip(chart.labels, series.values, strict=True):
                lines.append(format_row([chart.key, series.name, label, value, chart.unit]))
    return "".join(lines)
