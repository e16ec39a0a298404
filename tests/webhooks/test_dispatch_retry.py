"""The retry schedule: always ahead, never past the 3-day window, never shorter than the pause before."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from frontdesk.webhooks.retry import BASE_SECONDS, RETRY_WINDOW, next_attempt_at, pause_after

START = datetime(2026, 1, 1, tzinfo=UTC)


@given(
    attempts=st.integers(min_value=1, max_value=200),
    elapsed=st.floats(min_value=0, max_value=RETRY_WINDOW.total_seconds() * 1.5),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_the_next_attempt_is_ahead_and_within_three_days(attempts: int, elapsed: float, seed: int) -> None:
    now = START + timedelta(seconds=elapsed)
    at = next_attempt_at(attempts, START, now, random.Random(seed))
    if now >= START + RETRY_WINDOW:
        assert at is None
    else:
        assert at is not None
        assert now < at <= START + RETRY_WINDOW


@given(
    earlier=st.integers(min_value=1, max_value=50),
    later=st.integers(min_value=1, max_value=50),
    seeds=st.tuples(st.integers(), st.integers()),
)
def test_pauses_grow(earlier: int, later: int, seeds: tuple[int, int]) -> None:
    # Whatever the jitter draws, a later pause is never shorter than an earlier one, until the schedule settles
    # at every 2-6 hours (there pauses are drawn from one range).
    earlier, later = sorted((earlier, later))
    if later > len(BASE_SECONDS) + 1:
        earlier = min(earlier, len(BASE_SECONDS))
    if earlier < later:
        assert pause_after(later, random.Random(seeds[0])) >= pause_after(earlier, random.Random(seeds[1]))


def test_the_schedule_starts_within_seconds_and_settles_at_hours() -> None:
    rng = random.Random(1)
    assert timedelta(seconds=2.5) <= pause_after(1, rng) <= timedelta(seconds=5)
    assert timedelta(minutes=30) <= pause_after(6, rng) <= timedelta(hours=1)
    for attempts in range(7, 30):
        assert timedelta(hours=2) <= pause_after(attempts, rng) <= timedelta(hours=6)


def test_a_delivery_that_never_succeeds_is_tried_a_bounded_number_of_times() -> None:
    rng, now, made = random.Random(3), START, 0
    while (at := next_attempt_at(made + 1, START, now, rng)) is not None:
        made, now = made + 1, at
    assert now == START + RETRY_WINDOW  # the last attempt is made at the end of the window
    assert 15 <= made <= 40
