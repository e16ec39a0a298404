"""When a failed delivery is tried again: exponential backoff with equal jitter, for a bounded time.

Pauses after the 1st, 2nd, ... failed attempt: about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2-6 h.
Each pause is drawn from [base / 2, base] ("equal jitter"), so endpoints that failed together (an outage of the
receiver) do not come back in lockstep, and the ranges do not overlap: a later pause is never shorter than an
earlier one. The last attempt is made at the end of the window (3 days after the delivery was queued); after
it the delivery fails.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

BASE_SECONDS = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
LATE_SECONDS = (2 * 3600.0, 6 * 3600.0)  # after the schedule above: uniform in this range
RETRY_WINDOW = timedelta(days=3)


def pause_after(attempts: int, rng: random.Random) -> timedelta:
    """The pause after the ``attempts``-th failed attempt (1 = the first)."""
    index = max(attempts, 1) - 1
    if index < len(BASE_SECONDS):
        base = BASE_SECONDS[index]
        return timedelta(seconds=base / 2 + rng.random() * base / 2)
    low, high = LATE_SECONDS
    return timedelta(seconds=low + rng.random() * (high - low))


def next_attempt_at(
    attempts: int, created_at: datetime, now: datetime, rng: random.Random, *, window: timedelta = RETRY_WINDOW
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts of a delivery queued at ``created_at``; None when
    the window is over (give up)."""
    deadline = created_at + window
    if now >= deadline:
        return None
    return min(now + pause_after(attempts, rng), deadline)
