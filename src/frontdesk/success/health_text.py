"""The health score's texts: each customer's components as JSON and the reasons in words (docs/health.md).

At 700k customers, formatting a phrase or a JSON object per customer would take seconds; both are made from
the numbers as shown (rounded), which take a few thousand distinct values, so each text is made once per
distinct input and mapped back to the customers with numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from frontdesk.reports.feedback_counts import nps_class
from frontdesk.success.health_signals import CSAT_DAYS, SENTIMENT_DAYS, SUPPORT_LOAD_DAYS, Floats

TIMES = "\u00d7"  # the multiplication sign: "no order for 3\u00d7 their usual interval"


@dataclass
class Scored:
    """Per signal (in SIGNAL_NAMES order): raw values and 0-100 scores, NaN where the customer has no data."""

    values: dict[str, Floats]
    scores: dict[str, Floats]
    extra: dict[str, Floats]  # what the reasons and components need besides the value


MISSING = -1.0e9  # stands for NaN in the keys below (NaN never equals itself, so it would not group)


def _row_codes(keys: Floats) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """A code per row of ``keys`` (equal rows, equal codes) and the index of one row per code.

    The keys hold numbers of at most 3 decimals (or NaN): each column becomes whole thousandths, and the
    columns one mixed-radix integer, so one 1-D ``np.unique`` groups the rows (``np.unique(axis=0)`` sorts
    rows as opaque records, ten times slower)."""
    codes = np.zeros(len(keys), dtype=np.int64)
    for column in keys.T:
        missing = np.isnan(column)
        scaled = np.round(np.where(missing, 0.0, column) * 1000).astype(np.int64)
        low = int(scaled.min())
        digit = np.where(missing, 0, scaled - low + 1)  # 0 is NaN
        span = int(digit.max()) + 1
        if int(codes.max()) * span >= 2**62:  # compact first: the product must stay inside 64 bits
            codes = np.unique(codes, return_inverse=True)[1].reshape(-1).astype(np.int64)
        codes = codes * span + digit
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return inverse.reshape(-1), first


def grouped_text(keys: Floats, make: Callable[[list[float]], str]) -> npt.NDArray[np.object_]:
    """``make(row)`` for every row of ``keys``, computed once per distinct row: the texts of 700k customers come
    from a few thousand distinct inputs (rounded as shown), and formatting each customer's would take seconds."""
    if len(keys) == 0:
        return np.zeros(0, dtype=object)
    inverse, first = _row_codes(keys)
    keys = np.nan_to_num(keys, nan=MISSING)
    texts = np.empty(len(first), dtype=object)
    texts[:] = [make(row) for row in keys[first].tolist()]
    return cast(npt.NDArray[np.object_], texts[inverse])


def _shown_ratio(ratio: Floats) -> Floats:
    return np.where(ratio < 10, np.round(ratio, 1), np.round(ratio))


def reason_inputs(name: str, scored: Scored) -> Floats:
    """Per customer, the numbers the signal's phrase shows, rounded as shown (the phrase is made from them)."""
    value, extra = scored.values[name], scored.extra
    if name == "purchase_activity":
        basis = extra["basis"]
        overdue = (extra["repeat"] > 0) & (extra["ratio"] >= 1.5)
        # Only what the phrase of each basis shows (the rest zero), so equal phrases group together.
        by_model, by_interval = basis == 0, basis == 1
        return np.column_stack(
            [
                basis,
                np.where(by_model, np.round(np.nan_to_num(value) * 100), 0.0),
                np.where(by_interval | (by_model & overdue), _shown_ratio(extra["ratio"]), 0.0),
                np.where(basis == 2, np.round(extra["days_since"]), 0.0),
                by_model & overdue,
            ]
        )
    if name == "csat":
        return np.round(value, 1).reshape(-1, 1)
    if name == "sentiment_trend":
        previous = extra["previous"]
        falling = ~np.isnan(previous) & (value < previous)
        return np.column_stack([np.round(value, 1), np.round(previous, 1), falling])
    return value.reshape(-1, 1)


def _times(ratio: float) -> str:
    return f"{ratio:.1f}".removesuffix(".0") + TIMES


def phrase(name: str, shown: list[float]) -> str:
    """The phrase for a signal that pulls the score down (docs/health.md lists them), from its shown numbers."""
    if name == "purchase_activity":
        basis, percent, ratio, days, overdue = shown
        if basis == 2:
            return f"one order only, {days:.0f} days ago"
        overdue_text = f"no order for {_times(ratio)} their usual interval"
        if basis == 1:
            return overdue_text
        still = f"{percent:.0f}% likely still buying"
        return f"{still} ({overdue_text})" if overdue else still
    value = shown[0]
    if name == "complaints":
        return f"{value:.0f} open complaint{'s' if value != 1 else ''}"
    if name == "nps":
        return f"last NPS answer {value:.0f} ({nps_class(int(value))})"
    if name == "csat":
        return f"CSAT {value:.1f} of 5 in {CSAT_DAYS} days"
    if name == "sentiment_trend":
        if shown[2]:
            return f"sentiment falling ({value:+.1f} from {shown[1]:+.1f})"
        return f"negative sentiment ({value:+.1f} in {SENTIMENT_DAYS} days)"
    return f"{value:.0f} conversations in {SUPPORT_LOAD_DAYS} days"


def _json_number(x: float) -> str:
    x = float(x)  # a weight may be an int
    return str(int(x)) if x.is_integer() else repr(round(x, 3))


BASIS_NAMES = ("p_alive", "usual_interval", "lapsed_after_days")


def fragments(name: str, scored: Scored, weight: float) -> npt.NDArray[np.object_]:
    """``"name":{"value":..,"score":..,"weight":..}`` for every customer: the JSON of one signal's component,
    built as text (json.dumps per customer would take seconds at 700k customers)."""
    w = _json_number(weight)
    missing = f'"{name}":{{"value":null,"score":null,"weight":{w},"missing":true}}'
    head, tail = f'"{name}":{{"value":', f',"weight":{w}'
    value, score = np.round(scored.values[name], 3), scored.scores[name]
    if name == "purchase_activity":
        more = scored.extra["basis"]
    elif name == "sentiment_trend":
        more = np.round(scored.extra["previous"], 3)
    else:
        more = np.zeros(len(value))

    def make(row: list[float]) -> str:
        shown, points, extra = row
        if points == MISSING:
            return missing
        suffix = ""
        if name == "purchase_activity":
            suffix = f',"basis":"{BASIS_NAMES[int(extra)]}"'
        elif name == "sentiment_trend" and extra != MISSING:
            suffix = f',"previous":{_json_number(extra)}'
        return f'{head}{_json_number(shown)},"score":{int(points)}{tail}{suffix}}}'

    return grouped_text(np.column_stack([value, score, more]), make)
