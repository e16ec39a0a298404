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
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis.asyncio as redis

log = logging.getLogger(__name__)

Event = dict[str, Any]
# Subscribers receive events as JSON text, serialised once however many sockets forward them.
Frame = str
OVERFLOW: Frame = '{"type": "overflow"}'
QUEUE_LIMIT = 1000


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
    """Fan-out between processes through Redis pub/sub (one connection per process for all subscriptions)."""

    def __init__(self, url: str, prefix: str = "frontdesk:") -> None:
        self._redis = redis.from_url(url)
        self._pubsub = self._redis.pubsub()
        self._prefix = prefix
        self.fanout = LocalFanout()
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self._redis.ping()
        # A pub/sub connection needs one subscription before it can be read; this one is never published to.
        await self._pubsub.subscribe(self._prefix + "_keepalive")
        self._reader = asyncio.create_task(self._read(), name="frontdesk-redis-reader")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def publish(self, channel: str, event: Event) -> None:
        await self._redis.publish(self._prefix + channel, json.dumps(event))

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped connection: redis-py reconnects; tell readers to resync
                log.exception("redis pub/sub read failed; resubscribing")
                await asyncio.sleep(0.5)
                for channel in self.fanout.channels():
                    self.fanout.deliver(channel, OVERFLOW)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()[len(self._prefix) :]
            self.fanout.deliver(channel, message["data"].decode())

    @contextlib.asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[Frame]]:
        queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        async with self._lock:
            new = [channel for channel in channels if self.fanout.add(channel, queue)]
            if new:
                await self._pubsub.subscribe(*(self._prefix + channel for channel in new))
        try:
            yield queue
        finally:
            async with self._lock:
                gone = [channel for channel in channels if self.fanout.remove(channel, queue)]
                if gone:
                    await self._pubsub.unsubscribe(*(self._prefix + channel for channel in gone))


def create_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
