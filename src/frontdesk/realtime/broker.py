"""Publish/subscribe between the process that wrote something and every socket that should hear of it.

One process: ``InProcessBroker`` hands events straight to local subscribers. Several processes
(``FRONTDESK_REDIS_URL`` set): ``RedisBroker`` sends them through Redis pub/sub, and each process hands what
it receives to its own subscribers. Either way a subscriber is an ``asyncio.Queue``; a subscriber that falls
too far behind is told so (``overflow``) and resynchronises from the database, so a slow socket can never
stall the others or make the server run out of memory. Events carry no state that is not also stored:
whoever misses one reads it back by sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis.asyncio as redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)

Event = dict[str, Any]
# Subscribers receive events as JSON text, serialised once however many sockets forward them.
Frame = str
OVERFLOW: Frame = '{"type": "overflow"}'
QUEUE_LIMIT = 1000
# Events kept for Redis while it is away; beyond this the oldest go (subscribers find them by sequence number).
BACKLOG_LIMIT = 100_000
KEEPALIVE = "_keepalive"
# Between two attempts to reach Redis again (publish replay, pub/sub reconnection): live delivery resumes at
# most this long after Redis is back, at the price of a few refused connections a second while it is away.
RETRY_MAX_SECONDS = 0.5


class Broker(Protocol):
    async def publish(self, channel: str, event: Event) -> None: ...

    def subscribe(self, *channels: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[Frame]]: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class LocalFanout:
    """The subscribers of this process, by channel."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Frame]]] = defaultdict(set)

    def channels(self) -> set[str]:
        return {channel for channel, queues in self._queues.items() if queues}

    def add(self, channel: str, queue: asyncio.Queue[Frame]) -> bool:
        """Adds the queue; True when it is the channel's first local subscriber."""
        first = not self._queues[channel]
        self._queues[channel].add(queue)
        return first

    def remove(self, channel: str, queue: asyncio.Queue[Frame]) -> bool:
        """Removes the queue; True when the channel has no local subscriber left."""
        queues = self._queues.get(channel)
        if queues is None:
            return False
        queues.discard(queue)
        if not queues:
            del self._queues[channel]
            return True
        return False

    def deliver(self, channel: str, frame: Frame) -> None:
        for queue in list(self._queues.get(channel, ())):
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:
                # Make room for one marker: the reader drops what it has and reloads from the database.
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(OVERFLOW)


class InProcessBroker:
    def __init__(self) -> None:
        self.fanout = LocalFanout()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, channel: str, event: Event) -> None:
        self.fanout.deliver(channel, json.dumps(event))

    @contextlib.asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[Frame]]:
        queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        for channel in channels:
            self.fanout.add(channel, queue)
        try:
            yield queue
        finally:
            for channel in channels:
                self.fanout.remove(channel, queue)


class RedisBroker:
    """Fan-out between processes through Redis pub/sub (one connection per process for all subscriptions).

    Redis may go away at any moment; nothing here hangs or raises because of it. Every call to Redis has a
    timeout. A publish that fails is delivered to this process's own subscribers at once and kept, in order,
    to be sent again in the background until Redis takes it. Subscriptions are the local fan-out's channels:
    whenever the pub/sub connection is (re)made, all of them are subscribed again, and every local subscriber
    is told to resync (``overflow``), because events may have passed while the connection was down.

    Timeouts use ``asyncio.timeout``, not ``asyncio.wait_for``: on Python 3.11 ``wait_for`` swallows a
    cancellation that arrives as its inner call completes, and the reader would then never stop.
    """

    def __init__(self, url: str, prefix: str = "frontdesk:", *, timeout: float = 2.0) -> None:
        self._url = url
        self._timeout = timeout
        self._redis = redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._pubsub: PubSub | None = None
        self._prefix = prefix
        self.fanout = LocalFanout()
        self._reader: asyncio.Task[None] | None = None
        self._replayer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._connected = asyncio.Event()
        self._broken = asyncio.Event()  # set by anyone who saw the pub/sub connection fail
        self._backlog: deque[tuple[str, Frame]] = deque(maxlen=BACKLOG_LIMIT)
        self._backlog_ready = asyncio.Event()
        # Frames this process delivered itself while Redis refused them: their echo is not delivered twice.
        self._delivered_locally: Counter[tuple[str, Frame]] = Counter()
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._connect()
        except Exception:  # the process serves anyway: one process's live chat works, the rest follows
            log.exception("redis is not reachable at startup; retrying in the background")
            await self._drop_pubsub()
        self._reader = asyncio.create_task(self._read(), name="frontdesk-redis-reader")
        self._replayer = asyncio.create_task(self._replay(), name="frontdesk-redis-replay")

    async def close(self) -> None:
        self._closing = True
        for task in (self._reader, self._replayer):
            if task is not None:
                await _stop(task)
        if self._backlog:
            log.warning("%d events were never published: redis was unreachable", len(self._backlog))
        await self._drop_pubsub()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._timeout):
                await self._redis.aclose()

    async def publish(self, channel: str, event: Event) -> None:
        frame = json.dumps(event)
        if not self._backlog:  # events wait behind older ones still queued, so each channel stays in order
            try:
                async with asyncio.timeout(self._timeout):
                    await self._redis.publish(self._prefix + channel, frame)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis publish failed; delivering locally and replaying later", exc_info=True)
        self.fanout.deliver(channel, frame)
        if len(self._backlog) == self._backlog.maxlen:  # the oldest goes; subscribers find it by number
            self._forget_local(self._backlog.popleft())
        self._delivered_locally[(channel, frame)] += 1
        self._backlog.append((channel, frame))
        self._backlog_ready.set()

    def _forget_local(self, key: tuple[str, Frame]) -> bool:
        """Counts off one echo of a frame this process delivered itself; False when none was expected."""
        if self._delivered_locally[key] <= 0:
            self._delivered_locally.pop(key, None)
            return False
        self._delivered_locally[key] -= 1
        if not self._delivered_locally[key]:
            del self._delivered_locally[key]
        return True

    async def _replay(self) -> None:
        delay = 0.1
        while not self._closing:
            await self._backlog_ready.wait()
            while self._backlog:
                channel, frame = self._backlog[0]
                try:
                    async with asyncio.timeout(self._timeout):
                        await self._redis.publish(self._prefix + channel, frame)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.debug("replay failed", exc_info=True)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_SECONDS)
                    continue
                delay = 0.1
                self._backlog.popleft()
                if channel not in self.fanout.channels():  # nobody here listens: no echo will come to count off
                    self._forget_local((channel, frame))
            self._backlog_ready.clear()

    async def _connect(self) -> None:
        """A fresh pub/sub connection subscribed to every channel someone here listens to."""
        pubsub = self._redis.pubsub()
        self._pubsub = pubsub
        # A pub/sub connection needs one subscription before it can be read; this one is never published to.
        await pubsub.subscribe(self._prefix + KEEPALIVE, *(self._prefix + c for c in self.fanout.channels()))
        self._broken.clear()
        self._connected.set()

    async def _drop_pubsub(self) -> None:
        self._connected.clear()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._timeout):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _reconnect(self) -> None:
        """Until Redis answers again; then every local subscriber resyncs from the database."""
        delay = 0.1
        while not self._closing:
            async with self._lock:
                await self._drop_pubsub()
                try:
                    async with asyncio.timeout(self._timeout):
                        await self._connect()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.debug("redis still unreachable", exc_info=True)
                else:
                    log.warning("redis pub/sub connection is back; subscribers resync")
                    for channel in self.fanout.channels():
                        self.fanout.deliver(channel, OVERFLOW)
                    return
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _read(self) -> None:
        while not self._closing:
            pubsub = self._pubsub
            if pubsub is None or self._broken.is_set():
                await self._reconnect()
                continue
            try:
                async with asyncio.timeout(self._timeout + 1.0):
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis pub/sub connection lost; reconnecting", exc_info=True)
                self._broken.set()
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()[len(self._prefix) :]
            frame = message["data"].decode()
            if self._delivered_locally and self._forget_local((channel, frame)):
                continue
            self.fanout.deliver(channel, frame)

    @contextlib.asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[Frame]]:
        """Returns once Redis confirmed the subscription, or at once while Redis is away (the reconnection
        subscribes it and tells the queue to resync)."""
        queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        async with self._lock:
            new = [channel for channel in channels if self.fanout.add(channel, queue)]
            if new and self._pubsub is not None and not self._broken.is_set():
                try:
                    async with asyncio.timeout(self._timeout):
                        await self._pubsub.subscribe(*(self._prefix + c for c in new))
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.warning("redis subscribe failed; resubscribing on reconnect", exc_info=True)
                    self._broken.set()
        try:
            yield queue
        finally:
            async with self._lock:
                gone = [channel for channel in channels if self.fanout.remove(channel, queue)]
                # Echoes of a channel nobody here listens to any more will not arrive: an entry left waiting for
                # one would swallow the next identical frame (a typing event) after a new subscription.
                for key in [key for key in self._delivered_locally if key[0] in gone]:
                    del self._delivered_locally[key]
                if gone and self._pubsub is not None and not self._broken.is_set():
                    try:
                        async with asyncio.timeout(self._timeout):
                            await self._pubsub.unsubscribe(*(self._prefix + c for c in gone))
                    except asyncio.CancelledError:
                        raise
                    except Exception:  # a channel left subscribed only costs the events nobody reads
                        self._broken.set()


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancels the task until it has ended.

    One cancellation is not always enough: redis-py can turn a cancellation that lands inside a read into a
    connection error, which the loops take for Redis going away, and a single ``cancel()`` followed by
    ``await task`` then waited for ever (CI hung on it in ``tests/reliability``). The loops also stop at their
    next turn once ``_closing`` is set.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    if not task.cancelled() and task.exception() is not None:
        log.warning("redis broker task ended with an error", exc_info=task.exception())


def create_broker(redis_url: str | None, channel_prefix: str = "frontdesk:") -> Broker:
    return RedisBroker(redis_url, prefix=channel_prefix) if redis_url else InProcessBroker()
