"""The demo's calendar: thirteen months of business days in the shop's time zone, with growth and a season.

Every generated history (chats, orders, feedback) draws its moments from here, so they share one story: the
shop grows through the year, peaks before Christmas, is busy on weekday office hours in Berlin and quiet at
night and at weekends.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TIME_ZONE = "Europe/Berlin"
ZONE = ZoneInfo(TIME_ZONE)
HISTORY_DAYS = 396  # thirteen months: a 12-month report and the year-over-year cohorts both have data
# How busy each calendar month is, relative to an ordinary one: the Christmas peak, a quiet summer.
SEASON = {1: 0.85, 2: 0.8, 3: 0.9, 4: 0.95, 5: 0.95, 6: 0.9, 7: 0.8, 8: 0.8, 9: 1.0, 10: 1.05, 11: 1.45, 12: 1.75}
GROWTH = 0.7  # the last day of the history is this much busier than the first (besides the season)
# Incoming chats by local hour: weekdays peak late morning and mid-afternoon; weekends are flat and low.
WEEKDAY_HOURS = [0.15, 0.08, 0.05, 0.05, 0.06, 0.15, 0.5, 1.4, 3.2, 5.0, 6.0, 5.8,
                 4.2, 4.8, 5.6, 5.2, 4.4, 3.2, 2.2, 1.8, 1.6, 1.2, 0.7, 0.35]  # fmt: skip
WEEKEND_HOURS = [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.4, 0.8, 1.2, 1.5, 1.6,
                 1.5, 1.4, 1.4, 1.3, 1.2, 1.1, 1.1, 1.2, 1.2, 0.9, 0.6, 0.3]  # fmt: skip
# Orders by local hour: from breakfast to late evening, most after work.
ORDER_HOURS = [0.2] * 7 + [1, 1.5, 2, 2, 2, 2.5, 2, 2, 2, 2, 2, 2.5, 3, 3.5, 3, 2, 1]
CHATS_BY_WEEKDAY = [1.15, 1.05, 1.0, 1.0, 0.9, 0.4, 0.3]  # Monday first
ORDERS_BY_WEEKDAY = [1.0, 1.0, 1.0, 1.0, 0.95, 0.85, 1.05]  # people shop on Sunday evenings too


@dataclass(frozen=True)
class Calendar:
    """The local days of the demo's history, up to ``now``."""

    now: datetime
    days: tuple[date, ...]

    @classmethod
    def ending(cls, now: datetime) -> Calendar:
        today = now.astimezone(ZONE).date()
        return cls(now=now, days=tuple(today - timedelta(days=n) for n in range(HISTORY_DAYS, -1, -1)))

    @property
    def first(self) -> date:
        return self.days[0]

    def busy(self, day: date) -> float:
        """How busy the shop is on ``day`` (before the weekday pattern): growth times season."""
        progress = (day - self.first).days / max(1, len(self.days) - 1)
        return (1 + GROWTH * progress) * SEASON[day.month]

    def pick_days(
        self, rng: random.Random, count: int, by_weekday: Sequence[float], since: date | None = None
    ) -> list[date]:
        """``count`` days (from ``since`` on), each as likely as the shop is busy on it."""
        days = self.days[max(0, (since - self.first).days) :] if since else self.days
        weights = [self.busy(day) * by_weekday[day.weekday()] for day in days]
        return rng.choices(days, weights=weights, k=count)

    def chat_moment(self, rng: random.Random, day: date) -> datetime | None:
        """A moment on ``day`` when a chat came in (local hour pattern), in UTC; None if still to come."""
        hours = WEEKDAY_HOURS if day.weekday() < 5 else WEEKEND_HOURS
        hour = rng.choices(range(24), weights=hours)[0]
        moment = local(day, hour, rng.uniform(0, 60))
        return moment if moment < self.now - timedelta(minutes=30) else None

    def end_of(self, day: date) -> datetime:
        """The last instant of ``day`` (or now, today): after every order and chat of that day."""
        return min(local(day + timedelta(days=1), 0) - timedelta(microseconds=1), self.now)

    def order_moment(self, rng: random.Random, day: date) -> datetime | None:
        hour = rng.choices(range(24), weights=[0.2] * 7 + [1, 1.5, 2, 2, 2, 2.5, 2, 2, 2, 2, 2, 2.5, 3, 3.5, 3, 2, 1])[
            0
        ]
        moment = local(day, hour, rng.uniform(0, 60))
        return moment if moment < self.now - timedelta(minutes=10) else None


def local(day: date, hour: int, minutes: float = 0.0) -> datetime:
    """The UTC instant of a local wall-clock time (a time skipped by the clock change moves on by an hour)."""
    wall = datetime.combine(day, time(hour), tzinfo=ZONE) + timedelta(minutes=minutes)
    return wall.astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def staffed(moment: datetime) -> bool:
    """Agents are online on weekdays 8:00-18:00 and on Saturdays 10:00-14:00, Berlin time."""
    wall = moment.astimezone(ZONE)
    if wall.weekday() < 5:
        return 8 <= wall.hour < 18
    return wall.weekday() == 5 and 10 <= wall.hour < 14


def next_opening(moment: datetime) -> datetime:
    """When agents are next online after ``moment`` (the next staffed hour, local time)."""
    wall = moment.astimezone(ZONE).replace(minute=0, second=0, microsecond=0)
    for _ in range(24 * 4):
        wall = wall + timedelta(hours=1)
        at = local(wall.date(), wall.hour)
        if staffed(at):
            return at
    return moment + timedelta(hours=12)  # unreachable: some hour of every four days is staffed
