"""Two `frontdesk serve` processes share one workspace through Redis: a visitor on one, an agent on the other."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import redis.asyncio as redis
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.realtime.broker import RedisBroker
from frontdesk.settings import Settings
from tests.conftest import Database
from tests.conversations.chat_clients import Agent, Visitor, allow_site
from tests.conversations.test_presence_and_typing import online, wait_until_online
from tests.factories import WorkspaceHandle
from tests.live_server import LiveServer
from tests.redis_subscriptions import until_subscribed


async def test_visitor_on_one_process_and_agent_on_another_chat_both_ways(
    database: Database, engine: AsyncEngine, workspace: WorkspaceHandle, redis_url: str, tmp_path: Path
) -> None:
    first = LiveServer(database.url, tmp_path, redis_url=redis_url)
    second = LiveServer(database.url, tmp_path, redis_url=redis_url)
    first.start()
    second.start()
    try:
        token = await allow_site(engine, workspace.id)
        agent = Agent(second.url, workspace.admin_email)
        await agent.login()
        await agent.connect()
        visitor = Visitor(first.url, token)
        await visitor.start_session()
        await visitor.connect()

        await visitor.send("Hello from process one")
        conversation_id = (await visitor.expect("ack"))["conversation_id"]
        seen = await agent.expect("message", conversation_id=conversation_id)
        assert seen["message"]["body"] == "Hello from process one"

        await agent.reply(conversation_id, "Hello from process two")
        assert (await visitor.wait_for_body("Hello from process two"))["author_type"] == "agent"
        await visitor.close()
        await agent.close()
    finally:
        first.stop()
        second.stop()


async def test_redis_broker_delivers_across_brokers_and_stops_after_unsubscribe(redis_url: str) -> None:
    prefix = f"frontdesk-test-{secrets.token_hex(4)}:"
    one, two = RedisBroker(redis_url, prefix=prefix), RedisBroker(redis_url, prefix=prefix)
    await one.start()
    await two.start()
    try:
        async with two.subscribe("inbox:1") as queue:
            await until_subscribed(redis_url, prefix + "inbox:1")
            await one.publish("inbox:1", {"type": "message", "n": 1})
            assert json.loads(await asyncio.wait_for(queue.get(), timeout=3)) == {"type": "message", "n": 1}
        client = redis.from_url(redis_url)
        counts = await client.pubsub_numsub(prefix + "inbox:1")
        await client.aclose()
        assert counts[0][1] == 0  # the last local subscriber left, so the process unsubscribed
    finally:
        await one.close()
        await two.close()


async def test_installs_sharing_one_redis_hear_only_their_own_channels(redis_url: str, tmp_path: Path) -> None:
    # FRONTDESK_REDIS_CHANNEL_PREFIX: pub/sub is not kept apart by Redis database number, only by channel name.
    ours, theirs = (f"frontdesk-test-{secrets.token_hex(4)}:" for _ in range(2))
    app = create_app(
        Settings(
            redis_url=redis_url, redis_channel_prefix=ours, database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db"
        )
    )
    here = app.state.broker  # the serving process's own broker, built from the settings
    same, other = RedisBroker(redis_url, prefix=ours), RedisBroker(redis_url, prefix=theirs)
    for broker in (here, same, other):
        await broker.start()
    try:
        async with here.subscribe("inbox:1") as queue:
            await until_subscribed(redis_url, ours + "inbox:1")
            await other.publish("inbox:1", {"from": "another install"})
            await same.publish("inbox:1", {"from": "this install"})
            assert json.loads(await asyncio.wait_for(queue.get(), timeout=3)) == {"from": "this install"}
            await asyncio.sleep(0.2)
            assert queue.empty()
    finally:
        for broker in (here, same, other):
            await broker.close()


async def test_an_agent_with_consoles_on_two_processes_stays_online_when_one_closes(
    database: Database, engine: AsyncEngine, workspace: WorkspaceHandle, redis_url: str, tmp_path: Path
) -> None:
    first = LiveServer(database.url, tmp_path, redis_url=redis_url)
    second = LiveServer(database.url, tmp_path, redis_url=redis_url)
    first.start()
    second.start()
    consoles = [Agent(first.url, workspace.admin_email), Agent(second.url, workspace.admin_email)]
    try:
        for console in consoles:
            await console.login()
            await console.connect()
        await wait_until_online(engine, workspace.id, True)
        await consoles[0].close()  # its process marks the agent offline; the other process answers
        await asyncio.sleep(1.0)
        assert await online(engine, workspace.id), "the console on the other process is still connected"
        await consoles[1].close()
        await wait_until_online(engine, workspace.id, False)
    finally:
        for console in consoles:
            await console.close()
        first.stop()
        second.stop()
