"""Two `frontdesk serve` processes relay chats through the suite's own Redis, which is killed mid-conversation
and started again. Visitors are on one process, agents on the other; every client's view is then compared
with the database, and the figures are written to test-artifacts/redis-restart-<backend>.json."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Database
from tests.conversations.chat_clients import Agent, Visitor, allow_site
from tests.factories import WorkspaceHandle
from tests.live_server import LiveServer
from tests.reliability.figures import Figures, agent_figures, stored_messages, visitor_figures
from tests.reliability.redis_server import OwnRedis

VISITORS = 3
SETTLE_SECONDS = 15.0


async def test_a_redis_restart_mid_conversation_loses_and_doubles_nothing(
    database: Database,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    own_redis: OwnRedis,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    visitor_side = LiveServer(database.url, tmp_path, redis_url=own_redis.url)
    agent_side = LiveServer(database.url, tmp_path, redis_url=own_redis.url)
    visitor_side.start()
    agent_side.start()
    figures = Figures()
    clients: list[Visitor | Agent] = []
    try:
        token = await allow_site(engine, workspace.id)
        agent = Agent(agent_side.url, workspace.admin_email)
        clients.append(agent)
        agent.api_headers = workspace.headers
        await agent.login()
        await agent.connect()
        visitors: list[Visitor] = []
        conversation_of: dict[Visitor, int] = {}

        async def open_chat(label: str) -> Visitor:
            visitor = Visitor(visitor_side.url, token)
            clients.append(visitor)
            async with asyncio.timeout(10):  # must not hang, Redis or not
                await visitor.start_session()
                await visitor.connect()
                await visitor.send(f"{label}: hello", team="support")
                figures.sent += 1
                conversation_of[visitor] = (await visitor.expect("ack"))["conversation_id"]
            figures.acknowledged += 1
            visitors.append(visitor)
            return visitor

        async def exchange(label: str) -> None:
            """One line from every visitor (acknowledged) and one reply from the agent to each."""
            for i, visitor in enumerate(visitors):
                async with asyncio.timeout(10):
                    await visitor.send(f"{label}: line of visitor {i}")
                    figures.sent += 1
                    await visitor.expect("ack")
                    figures.acknowledged += 1
                    reply = await agent.reply(conversation_of[visitor], f"{label}: answer to visitor {i}")
                    figures.sent += 1
                assert reply.status_code == 200, reply.text
                figures.acknowledged += 1

        for n in range(VISITORS):
            await open_chat(f"visitor {n}")
        await exchange("before")
        await exchange("before, again")

        own_redis.kill()
        killed_at = time.monotonic()
        await exchange("outage")
        await asyncio.sleep(1.0)  # an outage of a few seconds, with traffic all along
        late = await open_chat("opened during the outage")
        second_console = Agent(agent_side.url, workspace.admin_email)
        clients.append(second_console)
        second_console.api_headers = workspace.headers
        async with asyncio.timeout(10):
            await second_console.login()
            await second_console.connect()  # a console that connects during the outage
        await exchange("outage, again")
        await asyncio.sleep(1.0)
        await exchange("outage, once more")
        outage_seconds = time.monotonic() - killed_at

        own_redis.start()
        back_at = time.monotonic()
        # Live delivery resumes by itself: probe both ways until a line arrives as an event, not by a reload.
        resumed_to_visitor = resumed_to_agent = None
        probe = 0
        while resumed_to_visitor is None or resumed_to_agent is None:
            assert time.monotonic() - back_at < 20, "live delivery did not resume within 20 s"
            probe += 1
            reply = await agent.reply(conversation_of[late], f"probe {probe} to the late visitor")
            assert reply.status_code == 200
            figures.sent += 1
            figures.acknowledged += 1
            # The visitor probes once a second: within its rate limit (a burst of 10, then one every 2 s).
            if resumed_to_agent is None and probe % 4 == 1:
                await late.send(f"probe {probe} from the late visitor")
                await late.expect("ack")
                figures.sent += 1
                figures.acknowledged += 1
            await asyncio.sleep(0.25)
            for seq, message in late.messages.items():
                to_visitor = message["body"] == f"probe {probe} to the late visitor"
                if resumed_to_visitor is None and to_visitor and late.route[seq] == "live":
                    resumed_to_visitor = time.monotonic() - back_at
            for (cid, seq), how in second_console.route.items():
                from_visitor = second_console.messages[cid][seq]["body"].endswith("from the late visitor")
                if resumed_to_agent is None and from_visitor and how == "live":
                    resumed_to_agent = time.monotonic() - back_at
        await exchange("after")

        # Everyone syncs by themselves (no reconnect): wait until every client holds what the database holds.
        conversation_ids = sorted(conversation_of.values())
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            stored = {cid: await stored_messages(visitor_side.url, workspace.headers, cid) for cid in conversation_ids}
            # The late console never opened the older chats: it loads them, as a click on each would.
            await second_console.sync(conversation_ids, route="load")
            results = [visitor_figures(f"visitor {i}", v, stored[conversation_of[v]]) for i, v in enumerate(visitors)]
            results += [agent_figures("console", agent, stored), agent_figures("console 2", second_console, stored)]
            if all(r.lost == 0 for r in results) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        figures.clients = results
        figures.stored = sum(len(messages) for messages in stored.values())
        client_ids = [m["client_id"] for messages in stored.values() for m in messages]
        figures.stored_twice = len(client_ids) - len(set(client_ids))

        # Nobody was disconnected: the same sockets are open, and still reading.
        for client in clients:
            assert client.socket is not None and client._reader is not None and not client._reader.done()

        # A graceful shutdown (SIGTERM) with Redis down again, while the clients are still connected.
        own_redis.kill()
        shutdown_started = time.monotonic()
        visitor_side.stop()
        agent_side.stop()
        shutdown_seconds = time.monotonic() - shutdown_started
        figures.extra = {
            "backend": database.backend,
            "outage_seconds": round(outage_seconds, 2),
            "seconds_until_live_to_visitor": round(resumed_to_visitor, 2),
            "seconds_until_live_to_agent": round(resumed_to_agent or 0, 2),
            "graceful_shutdown_seconds_both_processes_redis_down": round(shutdown_seconds, 2),
        }
        data = figures.write(artifacts_dir / f"redis-restart-{database.backend}.json")
        assert figures.acknowledged == figures.sent
        assert figures.stored == figures.sent  # every acknowledged line stored, once
        assert data["lost"] == 0 and data["doubled"] == 0, data
        assert all(client.out_of_place == 0 for client in figures.clients)
        assert shutdown_seconds < 10
        assert resumed_to_visitor < 10 and (resumed_to_agent or 0) < 10
    finally:
        for client in clients:
            await client.close()
        visitor_side.stop()
        agent_side.stop()
