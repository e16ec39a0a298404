"""The Redis broker through a Redis that is killed and started again: nothing hangs, nothing goes deaf."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

from frontdesk.realtime.broker import OVERFLOW, RedisBroker
from tests.redis_subscriptions import until_subscribed
from tests.reliability.redis_server import OwnRedis


async def _next(queue: asyncio.Queue[str], seconds: float = 8.0) -> str:
    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can lose its timeout when the wait and the
    # cancellation race, and this suite once hung here in CI instead of failing.
    async with asyncio.timeout(seconds):
        return await queue.get()


async def _until(queue: asyncio.Queue[str], wanted: str, seconds: float = 10.0) -> list[str]:
    """Frames up to and including ``wanted``."""
    seen: list[str] = []
    async with asyncio.timeout(seconds):
        while True:
            seen.append(await queue.get())
            if seen[-1] == wanted:
                return seen


async def test_subscriptions_made_while_redis_is_down_work_once_it_returns(own_redis: OwnRedis) -> None:
    prefix = f"fd-{secrets.token_hex(3)}:"
    one, two = RedisBroker(own_redis.url, prefix=prefix, timeout=0.5), RedisBroker(own_redis.url, prefix=prefix)
    await one.start()
    await two.start()
    try:
        async with two.subscribe("inbox:1") as before:
            await one.publish("inbox:1", {"n": 1})
            assert json.loads(await _next(before)) == {"n": 1}

            own_redis.kill()
            started = time.monotonic()
            await one.publish("inbox:1", {"n": 2})  # neither raises nor hangs
            async with two.subscribe("conversation:9") as during:  # returns at once, unconfirmed
                assert time.monotonic() - started < 3
                own_redis.start()
                # Back: both queues are told to resync (what passed meanwhile is in the database) ...
                assert OVERFLOW in await _until(before, OVERFLOW)
                assert await _next(during) == OVERFLOW
                # ... and the subscription made during the outage hears new events, as does the old one.
                await one.publish("conversation:9", {"n": 3})
                assert json.loads(await _next(during)) == {"n": 3}
                await one.publish("inbox:1", {"n": 4})
                frames = await _until(before, json.dumps({"n": 4}))
                # The event refused during the outage was replayed once Redis took it again.
                assert json.dumps({"n": 2}) in frames
    finally:
        started = time.monotonic()
        await one.close()
        await two.close()
        assert time.monotonic() - started < 5


async def test_an_event_refused_by_redis_reaches_the_publishing_process_once(own_redis: OwnRedis) -> None:
    broker = RedisBroker(own_redis.url, prefix=f"fd-{secrets.token_hex(3)}:", timeout=0.5)
    await broker.start()
    try:
        async with broker.subscribe("inbox:1") as queue:
            own_redis.kill()
            await broker.publish("inbox:1", {"n": 1})
            assert json.loads(await _next(queue)) == {"n": 1}  # delivered here at once
            own_redis.start()
            assert await _next(queue) == OVERFLOW
            await broker.publish("inbox:1", {"n": 2})
            # The replayed copy of n=1 came back through Redis and was not delivered a second time.
            assert json.loads(await _next(queue)) == {"n": 2}
    finally:
        await broker.close()


async def test_shutdown_is_prompt_while_redis_is_down(own_redis: OwnRedis) -> None:
    broker = RedisBroker(own_redis.url, prefix=f"fd-{secrets.token_hex(3)}:", timeout=0.5)
    await broker.start()
    async with broker.subscribe("inbox:1"):
        own_redis.kill()
        for n in range(50):
            await broker.publish("inbox:1", {"n": n})
    started = time.monotonic()
    await broker.close()
    assert time.monotonic() - started < 3


async def test_a_frame_replayed_after_its_listener_left_does_not_swallow_the_next_identical_one(
    own_redis: OwnRedis,
) -> None:
    """A failed publish is delivered here at once and its echo expected later; if the listener left meanwhile,
    no echo comes, and a later identical frame (a typing event) from elsewhere must still be delivered."""
    prefix = f"fd-{secrets.token_hex(3)}:"
    here, there = RedisBroker(own_redis.url, prefix=prefix, timeout=0.5), RedisBroker(own_redis.url, prefix=prefix)
    await here.start()
    await there.start()
    typing = {"type": "typing", "conversation_id": 7}
    try:
        async with here.subscribe("conversation:7") as queue:
            own_redis.kill()
            await here.publish("conversation:7", typing)  # fails: delivered locally, replayed later
            assert json.loads(await _next(queue)) == typing
        own_redis.start()
        await asyncio.sleep(1.5)  # reconnected, the backlog replayed to nobody here
        async with here.subscribe("conversation:7") as queue:
            await until_subscribed(own_redis.url, prefix + "conversation:7")
            await there.publish("conversation:7", typing)
            frames = await _until(queue, json.dumps(typing))
            assert frames[-1] == json.dumps(typing)
    finally:
        await here.close()
        await there.close()


async def test_close_ends_a_reader_that_swallowed_its_cancellation(own_redis: OwnRedis) -> None:
    """redis-py can turn a cancellation inside a read into a connection error; close() must still return."""
    broker = RedisBroker(own_redis.url, prefix=f"fd-{secrets.token_hex(3)}:", timeout=0.5)
    await broker.start()
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1

    assert broker._reader is not None
    broker._reader.cancel()
    broker._reader = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await broker.close()
    assert swallowed == 1 and broker._reader.cancelled()
