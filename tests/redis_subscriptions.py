"""Waiting on Redis pub/sub state instead of pausing for it."""

from __future__ import annotations

import asyncio

import redis.asyncio as redis


async def until_subscribed(redis_url: str, channel: str) -> None:
    """Wait until Redis holds the subscription: a line published before it would reach nobody. A fixed pause
    before publishing was too short on a busy machine."""
    client = redis.from_url(redis_url)
    try:
        for _ in range(500):
            if (await client.pubsub_numsub(channel))[0][1] > 0:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"nobody subscribed to {channel} within 10 s")
    finally:
        await client.aclose()
