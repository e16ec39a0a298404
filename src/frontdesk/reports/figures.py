"""The arithmetic every report shares, defined once (docs/reports.md, "Common rules").

- A rate is ``100 * numerator / denominator`` rounded to 2 decimals; with nothing to divide by it is
  ``None`` (shown as "—"), never 0 and never an error.
- A median or 90th percentile is the linear interpolation between the two nearest ranks, as PostgreSQL's
  ``percentile_cont`` computes it; of no values it is ``None``.
- A mean is rounded to 2 decimals; of no values it is ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel


class Figure(BaseModel):
    """One figure over a report's period: its value over the whole period and its value in each bucket
    (one per ``ReportControls.buckets()``, in order; a count is 0 where nothing happened, a rate ``None``)."""

    value: float | None
    by_bucket: list[float | None]


def rate(numerator: float, denominator: float) -> float | None:
    """Percent, 2 decimals; ``None`` when the denominator is 0."""
    if not denominator:
        return None
    return round(100 * numerator / denominator, 2)


def mean(values: Sequence[float]) -> float | None:
    if not values:
        return None
    return round(math.fsum(values) / len(values), 2)


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` to 2 decimals (orders per customer); ``None`` when the denominator is 0."""
    if not denominator:
        return None
    return round(numerator / denominator, 2)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile (0.5: the median) by linear interpolation, as ``percentile_cont``."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
