"""A `frontdesk serve` killed (SIGKILL) in the middle of busy conversations, then started again: clients
reconnect, send again what was not acknowledged (same client ids) and resync. Every acknowledged line is
stored exactly once, in the order it was sent, and what every client shows equals the database. Figures go
to test-artifacts/server-kill-<backend>.json."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Database
from tests.conversations.chat_clients import Agent, Visitor, allow_site
from tests.factories import WorkspaceHandle
from tests.live_server import LiveServer
from tests.reliability.figures import Figures, agent_figures, stored_messages, visitor_figures

VISITORS = 3
LINES = 12
SETTLE_SECONDS = 15.0
# The kill comes once this many lines after the greetings are acknowledged, with most of the 72 still to come.
ACKNOWLEDGED_BEFORE_THE_KILL = 6


async def _reconnect(client: Visitor | Agent, deadline: float) -> None:
    await client.close_socket()
    while True:
        try:
            await client.connect()
            return
        except (OSError, TimeoutError, httpx.TransportError, Exception):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_a_server_killed_mid_conversation_loses_nothing_and_doubles_nothing(
    database: Database, engine: AsyncEngine, workspace: WorkspaceHandle, tmp_path: Path, artifacts_dir: Path
) -> None:
    server = LiveServer(database.url, tmp_path)
    server.start()
    figures = Figures()
    clients: list[Visitor | Agent] = []
    try:
        token = await allow_site(engine, workspace.id)
        agent = Agent(server.url, workspace.admin_email)
        agent.api_headers = workspace.headers
        clients.append(agent)
        await agent.login()
        await agent.connect()
        visitors: list[Visitor] = []
        conversation_of: dict[Visitor, int] = {}
        for n in range(VISITORS):
            visitor = Visitor(server.url, token)
            clients.append(visitor)
            await visitor.start_session()
            await visitor.connect()
            await visitor.send(f"visitor {n}: hello", team="support")
            conversation_of[visitor] = (await visitor.expect("ack"))["conversation_id"]
            visitors.append(visitor)
        figures.sent = figures.acknowledged = VISITORS
        # Per conversation and sender: the order lines were sent (visitor and agent write concurrently).
        sent_order: dict[tuple[int, str], list[str]] = {}
        restarted, under_way = asyncio.Event(), asyncio.Event()

        def acknowledge() -> None:
            figures.acknowledged += 1
            if figures.acknowledged >= VISITORS + ACKNOWLEDGED_BEFORE_THE_KILL:
                under_way.set()

        async def visitor_lines(n: int, visitor: Visitor) -> None:
            """Send each line until acknowledged; after a drop, reconnect and send it again, same client id."""
            for i in range(LINES):
                body, client_id = f"visitor {n}: line {i}", uuid.uuid4().hex
                sent_order.setdefault((conversation_of[visitor], "visitor"), []).append(body)
                figures.sent += 1
                while True:
                    try:
                        async with asyncio.timeout(2):
                            await visitor.send(body, client_id=client_id)
                            while (await visitor.expect("ack"))["client_id"] != client_id:
                                pass
                        break
                    except Exception:
                        await restarted.wait()
                        await _reconnect(visitor, time.monotonic() + 20)
                acknowledge()
                await asyncio.sleep(0.05)

        async def agent_replies(visitor: Visitor) -> None:
            conversation_id = conversation_of[visitor]
            for i in range(LINES):
                body, client_id = f"answer {i} in {conversation_id}", uuid.uuid4().hex
                sent_order.setdefault((conversation_id, "agent"), []).append(body)
                figures.sent += 1
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await agent.reply(conversation_id, body, client_id=client_id)).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
                acknowledge()
                await asyncio.sleep(0.05)

        traffic = [asyncio.create_task(visitor_lines(n, v)) for n, v in enumerate(visitors)]
        traffic += [asyncio.create_task(agent_replies(v)) for v in visitors]
        # Mid-conversation however busy the machine is (a fixed delay once killed it before any line was
        # acknowledged): lines in flight, some stored and not yet acknowledged.
        async with asyncio.timeout(30):
            await under_way.wait()
        server.kill()
        acknowledged_before = figures.acknowledged
        killed_at = time.monotonic()
        await asyncio.sleep(0.5)
        server.start()  # same port, same database
        down_seconds = time.monotonic() - killed_at
        restarted.set()
        await _reconnect(agent, time.monotonic() + 20)
        async with asyncio.timeout(60):
            await asyncio.gather(*traffic)

        conversation_ids = sorted(conversation_of.values())
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            stored = {cid: await stored_messages(server.url, workspace.headers, cid) for cid in conversation_ids}
            await agent.sync(conversation_ids)  # what console.js does on reconnect for the open conversation
            results = [visitor_figures(f"visitor {i}", v, stored[conversation_of[v]]) for i, v in enumerate(visitors)]
            results.append(agent_figures("console", agent, stored))
            if all(r.lost == 0 for r in results) or time.monotonic() > deadline:
                break
            for visitor in visitors:  # the widget resumes from its last contiguous number after reconnecting
                with contextlib.suppress(Exception):
                    await visitor.resume()
            await asyncio.sleep(0.5)
        figures.clients = results
        figures.stored = sum(len(messages) for messages in stored.values())
        client_ids = [m["client_id"] for messages in stored.values() for m in messages]
        figures.stored_twice = len(client_ids) - len(set(client_ids))
        in_order = all(
            [m["body"] for m in stored[cid] if m["body"] in set(bodies)] == bodies
            for (cid, _), bodies in sent_order.items()
        )
        figures.extra = {
            "backend": database.backend,
            "acknowledged_before_the_kill": acknowledged_before,
            "seconds_down": round(down_seconds, 2),
            "in_send_order": in_order,
        }
        data = figures.write(artifacts_dir / f"server-kill-{database.backend}.json")
        assert figures.acknowledged == figures.sent
        assert figures.stored == figures.sent, data
        assert data["lost"] == 0 and data["doubled"] == 0, data
        assert all(client.out_of_place == 0 for client in figures.clients)
        assert in_order
        assert VISITORS < acknowledged_before < figures.sent  # the kill did land mid-conversation
    finally:
        for client in clients:
            await client.close()
        server.stop()
