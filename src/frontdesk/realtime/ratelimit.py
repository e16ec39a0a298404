"""Rate limits, counted by the `limits` library: in this process's memory, or in Redis shared by every process.

Each limit is a sliding-window counter keyed by what it protects (a visitor, an IP address, an e-mail address,
an API key). With ``FRONTDESK_REDIS_URL`` set, every serving process counts in the same Redis keys, so N
processes behind a load balancer allow what one would, not N times as much.

Redis going away must not stop chats or sign-ins: a limit whose shared storage fails counts in this process's
memory until Redis answers again (logged once per outage), so the limit still holds per process meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from frontdesk.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_KEY_PREFIX = "frontdesk-limits"
# A rate-limit check sits on the path of every chat message: a Redis that hangs must cost little.
_REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 5.0


def per_window(amount: int, per_second: float) -> RateLimitItem:
    """``amount`` actions at once, and ``per_second`` on average: ``amount`` per ``amount / per_second`` seconds."""
    window = max(1, round(amount / per_second)) if per_second > 0 else 1
    return RateLimitItemPerSecond(max(1, amount), window)


class RateLimits:
    """The storage every limit of one app counts in, and the limits made from it."""

    def __init__(self, redis_url: str | None, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        self._memory = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.shared = redis_url is not None
        self._storage: Storage | None = None
        if redis_url is not None:
            self._storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=key_prefix,
                wrap_exceptions=True,
                socket_timeout=_REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
            )
        self._primary = SlidingWindowCounterRateLimiter(self._storage) if self._storage else self._memory
        # After Redis fails, limits count in memory for a few seconds before Redis is tried again: during an
        # outage a chat message does not wait for a connection attempt on every check.
        self._redis_retry_at: float | None = None

    def limit(self, name: str, item: RateLimitItem) -> Limit:
        return Limit(name=name, item=item, limits=self)

    def _limiter(self) -> SlidingWindowCounterRateLimiter:
        if self._redis_retry_at is not None and time.monotonic() < self._redis_retry_at:
            return self._memory
        return self._primary

    def _redis_failed(self) -> None:
        if self._redis_retry_at is None:
            log.warning("Redis is unreachable: rate limits count per process until it returns")
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS

    async def _call(self, action: str, item: RateLimitItem, key: str) -> bool:
        limiter = self._limiter()
        try:
            result = await getattr(limiter, action)(item, key)
        except StorageError:
            self._redis_failed()
            return bool(await getattr(self._memory, action)(item, key))
        if limiter is self._primary and self._redis_retry_at is not None:
            self._redis_retry_at = None
            log.warning("rate limits are shared through Redis again")
        return bool(result)

    async def _reset_time(self, item: RateLimitItem, key: str) -> float:
        try:
            return (await self._limiter().get_window_stats(item, key)).reset_time
        except StorageError:
            self._redis_failed()
            return (await self._memory.get_window_stats(item, key)).reset_time

    async def _clear(self, item: RateLimitItem, key: str) -> None:
        with contextlib.suppress(StorageError):
            await self._limiter().clear(item, key)
        await self._memory.clear(item, key)


@dataclass(frozen=True)
class Limit:
    """One named limit, e.g. failed sign-ins per e-mail address."""

    name: str
    item: RateLimitItem
    limits: RateLimits

    async def hit(self, key: str) -> bool:
        """Count one action for ``key``; ``False`` when the limit was already reached (nothing counted)."""
        return await self.limits._call("hit", self.item, f"{self.name}:{key}")

    async def allows(self, key: str) -> bool:
        """Whether one more action for ``key`` is within the limit, without counting it."""
        return await self.limits._call("test", self.item, f"{self.name}:{key}")

    async def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may act again (at least 1), for a ``Retry-After`` header."""
        reset = await self.limits._reset_time(self.item, f"{self.name}:{key}")
        return max(1, math.ceil(reset - time.time()))

    async def clear(self, key: str) -> None:
        await self.limits._clear(self.item, f"{self.name}:{key}")


class InFlight:
    """At most ``most`` actions at once per key, in this process: for counts settled only after the action
    (failed sign-ins), which a burst of parallel attempts would otherwise all pass before the first counted."""

    def __init__(self, most: int) -> None:
        self.most = most
        self._counts: dict[str, int] = {}

    @contextlib.contextmanager
    def slot(self, key: str) -> Iterator[bool]:
        """Yields whether the action may go ahead; a slot taken is given back on leaving."""
        if self._counts.get(key, 0) >= self.most:
            yield False
            return
        self._counts[key] = self._counts.get(key, 0) + 1
        try:
            yield True
        finally:
            self._counts[key] -= 1
            if not self._counts[key]:
                del self._counts[key]


SIGNINS_IN_FLIGHT_PER_IP = 4


@dataclass(frozen=True)
class AppLimits:
    """Every rate limit of the app, from the settings, counted in one storage."""

    visitor_messages: Limit
    ip_requests: Limit
    signin_attempts_per_account: Limit
    signin_failures_per_account: Limit
    signin_failures_per_ip: Limit
    signins_in_flight_per_ip: InFlight
    api_requests: Limit

    @classmethod
    def from_settings(cls, settings: Settings) -> AppLimits:
        limits = RateLimits(settings.redis_url, key_prefix=settings.rate_limit_key_prefix)
        window = settings.signin_window_seconds
        return cls(
            visitor_messages=limits.limit(
                "visitor", per_window(settings.visitor_message_burst, settings.visitor_messages_per_second)
            ),
            ip_requests=limits.limit("ip", per_window(settings.ip_request_burst, settings.ip_requests_per_second)),
            signin_attempts_per_account=limits.limit(
                "signin-account", RateLimitItemPerSecond(settings.signin_attempts_per_account, window)
            ),
            signin_failures_per_account=limits.limit(
                "signin-account-failures", RateLimitItemPerSecond(settings.signin_failures_per_account, window)
            ),
            signin_failures_per_ip=limits.limit(
                "signin-ip", RateLimitItemPerSecond(settings.signin_failures_per_ip, window)
            ),
            signins_in_flight_per_ip=InFlight(SIGNINS_IN_FLIGHT_PER_IP),
            api_requests=limits.limit("api-key", RateLimitItemPerMinute(settings.api_requests_per_minute, 1)),
        )
