"""Live-chat fan-out: N visitors each sending one message a second, 20 agents watching the inbox.

For Frontdesk on SQLite, Frontdesk on PostgreSQL and, in the same run, a bare relay written on the
`websockets` library that routes the same traffic without storing it, this prints the visitor-to-agent
latency (p50, p99: from a visitor's send to the first agent's receipt), messages per second delivered,
and messages lost (acknowledged to the visitor but never seen by an agent), then Frontdesk's throughput as
a share of the bare relay's. Servers run as separate processes; this script is the load. Each visitor first
opens its conversation (contact, routing and assignment happen once per chat), then all send
one message a second: the steady state of N ongoing chats. The openings are timed apart from it.

    python benchmarks/chat_fanout.py [--visitors 1000] [--agents 20] [--seconds 20] [--open-rate 50]
                                     [--skip-sqlite] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

import httpx
import websockets
from scratch import scratch_postgres_database

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_engine, create_session_factory, migrate
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_agent, do_create_workspace

ROOT = Path(__file__).resolve().parent.parent
SITE = "http://bench.example"
PASSWORD = "benchmark-password"


@dataclass
class Stats:
    sent: dict[str, float] = field(default_factory=dict)  # client id -> send time
    acked: set[str] = field(default_factory=set)
    all_connected: asyncio.Event = field(default_factory=asyncio.Event)
    all_warm: asyncio.Event = field(default_factory=asyncio.Event)
    latencies: list[float] = field(default_factory=list)
    open_latencies: list[float] = field(default_factory=list)  # first message: send to acknowledgement
    seen: set[str] = field(default_factory=set)
    first_receipt: float | None = None
    visitors: int = 0
    connected: int = 0
    warmed: int = 0
    last_receipt: float = 0.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare_frontdesk(url: str, agents: int) -> tuple[str, list[str]]:
    engine = create_engine(url)
    await migrate(engine)
    async with create_session_factory(engine)() as session:
        workspace, admin, _ = await do_create_workspace(
            session=session,
            name="Bench",
            admin=AgentCreate(email="admin@bench.example", display_name="Admin", password=PASSWORD),
        )
        emails = [admin.email]
        for index in range(1, agents):
            agent = await do_create_agent(
                session=session,
                workspace_id=workspace.id,
                data=AgentCreate(
                    email=f"agent{index}@bench.example",
                    display_name=f"Agent {index}",
                    password=PASSWORD,
                    role=Role.agent,
                ),
            )
            emails.append(agent.email)
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        settings.allowed_origins = [SITE]
        await session.commit()
        token = settings.widget_token
    await engine.dispose()
    return token, emails


def start(command: list[str], env: dict[str, str], ready: str, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if ready.startswith("http") and httpx.get(ready, timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if not ready.startswith("http") and ready in log.read_text():
            return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


async def agent_loop(url: str, headers: dict[str, str], stats: Stats | None, stop: asyncio.Event) -> None:
    try:
        await _agent_loop(url, headers, stats, stop)
    except Exception as exc:
        print(f"{time.strftime('%H:%M:%S')} an agent's socket failed: {exc!r}", file=sys.stderr)
        raise


async def _agent_loop(url: str, headers: dict[str, str], stats: Stats | None, stop: asyncio.Event) -> None:
    async with websockets.connect(url, additional_headers=headers, max_queue=None) as socket:
        async for raw in socket:
            if stats is None:  # the other agents receive everything too, but only one measures
                if stop.is_set():
                    return
                continue
            now = time.perf_counter()
            data = json.loads(raw)
            for event in data if isinstance(data, list) else [data]:  # Frontdesk batches waiting events
                if event.get("type") != "message":
                    continue
                client_id = event["message"]["client_id"]
                sent = stats.sent.get(client_id)
                if sent is not None and client_id not in stats.seen:
                    stats.seen.add(client_id)
                    stats.latencies.append(now - sent)
                    stats.first_receipt = stats.first_receipt or now
                    stats.last_receipt = now
            if stop.is_set() and stats.seen >= stats.acked:
                return


async def visitor_loop(
    url: str, hello: dict[str, object] | None, stats: Stats, seconds: float, offset: float, open_at: float
) -> None:
    async with websockets.connect(url, additional_headers={"Origin": SITE}, max_queue=None) as socket:
        if hello is not None:
            await socket.send(json.dumps(hello))
            await socket.recv()  # ready
        stats.connected += 1
        if stats.connected == stats.visitors:
            stats.all_connected.set()
        await stats.all_connected.wait()

        async def read_acks() -> None:
            async for raw in socket:
                event = json.loads(raw)
                if event.get("type") == "ack":
                    if event["client_id"] in stats.sent:
                        stats.acked.add(event["client_id"])
                    else:
                        opened.set()

        opened = asyncio.Event()
        reader = asyncio.create_task(read_acks())
        # Warm-up: the first message opens the conversation (contact, routing, assignment). Chats open at
        # --open-rate a second; their acknowledgement time is reported apart from the steady state.
        await asyncio.sleep(open_at)
        opening = f"open-{secrets.token_hex(6)}"
        opening_sent = time.perf_counter()
        await socket.send(json.dumps({"type": "send", "client_id": opening, "body": "opening the chat"}))
        await opened.wait()
        stats.open_latencies.append(time.perf_counter() - opening_sent)
        stats.warmed += 1
        if stats.warmed == stats.visitors:
            stats.all_warm.set()
        await stats.all_warm.wait()
        await asyncio.sleep(offset)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            client_id = secrets.token_hex(8)
            stats.sent[client_id] = time.perf_counter()
            await socket.send(json.dumps({"type": "send", "client_id": client_id, "body": f"hello {client_id}"}))
            await asyncio.sleep(1.0)
        await asyncio.sleep(3)  # wait for the last acknowledgements
        reader.cancel()


async def run_load(
    visitor_url: str,
    agent_url: str,
    agent_headers: list[dict[str, str]],
    hellos: list[dict[str, object] | None],
    seconds: float,
    open_rate: float,
) -> Stats:
    stats = Stats(visitors=len(hellos))
    stop = asyncio.Event()
    agents = [
        asyncio.create_task(agent_loop(agent_url, h, stats if i == 0 else None, stop))
        for i, h in enumerate(agent_headers)
    ]
    await asyncio.sleep(1)
    visitors = [
        asyncio.create_task(visitor_loop(visitor_url, hello, stats, seconds, random.random(), index / open_rate))
        for index, hello in enumerate(hellos)
    ]
    await asyncio.gather(*visitors, return_exceptions=True)
    stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(agents[0], timeout=5)
    for task in agents:
        task.cancel()
    return stats


async def frontdesk_setup(
    base: str, token: str, emails: list[str], visitors: int
) -> tuple[list[dict[str, str]], list[dict[str, object] | None]]:
    headers = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for email in emails:
            http.cookies.clear()
            form = (await http.get("/login")).text
            csrf_token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            response = await http.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token})
            assert response.status_code == 303, response.text
            cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
            headers.append({"Origin": base, "Cookie": cookie})
        hellos: list[dict[str, object] | None] = []
        for _ in range(visitors):
            session = (
                await http.post(
                    "/widget/api/session",
                    headers={"Origin": SITE, "Content-Type": "text/plain"},
                    content=json.dumps({"widget_token": token}),
                )
            ).json()
            hellos.append({"type": "hello", "widget_token": token, "visitor_token": session["visitor_token"]})
    return headers, hellos


def summarize(name: str, stats: Stats, seconds: float) -> dict[str, float | int | str]:
    lost = len(stats.acked - stats.seen)
    latencies = sorted(stats.latencies)
    openings = sorted(stats.open_latencies)

    def pct(p: float, values: list[float] = latencies) -> float:
        return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else float("nan")

    span = (stats.last_receipt - stats.first_receipt) if stats.first_receipt else seconds
    return {
        "name": name,
        "sent": len(stats.sent),
        "acked": len(stats.acked),
        "delivered": len(stats.seen),
        "lost": lost,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "open_p50_ms": pct(0.5, openings),
        "open_p99_ms": pct(0.99, openings),
        "msgs_per_s": len(stats.seen) / max(span, 1e-9),
    }


async def bench_frontdesk(name: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, float | int | str]:
    token, emails = await prepare_frontdesk(url, args.agents)
    port = free_port()
    # Every simulated visitor comes from 127.0.0.1: lift the per-IP limit, keep the per-visitor one.
    env = {
        "FRONTDESK_DATABASE_URL": url,
        "FRONTDESK_IP_REQUEST_BURST": "1000000",
        "FRONTDESK_IP_REQUESTS_PER_SECOND": "1000000",
    }
    process = start(
        [str(Path(sys.executable).parent / "frontdesk"), "serve", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/healthz",
        workdir / f"{name}.log",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        headers, hellos = await frontdesk_setup(base, token, emails, args.visitors)
        stats = await run_load(
            f"ws://127.0.0.1:{port}/widget/ws",
            f"ws://127.0.0.1:{port}/console/ws",
            headers,
            hellos,
            args.seconds,
            args.open_rate,
        )
        result = summarize(name, stats, args.seconds)
        if result["lost"]:
            log = (workdir / f"{name}.log").read_text().splitlines()
            print(f"{name} lost messages; its log's errors:", *[line for line in log if "ERROR" in line], sep="\n")
        return result
    finally:
        process.terminate()
        process.wait(timeout=15)


async def bench_bare(args: argparse.Namespace, workdir: Path) -> dict[str, float | int | str]:
    port = free_port()
    process = start(
        [sys.executable, str(ROOT / "benchmarks" / "bare_relay.py"), str(port)], {}, "ready", workdir / "bare.log"
    )
    try:
        stats = await run_load(
            f"ws://127.0.0.1:{port}/visitor",
            f"ws://127.0.0.1:{port}/agent",
            [{} for _ in range(args.agents)],
            [None] * args.visitors,
            args.seconds,
            args.open_rate,
        )
        return summarize("bare relay", stats, args.seconds)
    finally:
        process.terminate()
        process.wait(timeout=15)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--open-rate", type=float, default=50, help="new chats a second during the warm-up")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FRONTDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results.append(await bench_bare(args, workdir))
        if not args.skip_sqlite:
            results.append(
                await bench_frontdesk("Frontdesk SQLite", f"sqlite+aiosqlite:///{workdir}/chat.db", args, workdir)
            )
        if not args.skip_postgres:
            async with scratch_postgres_database(args.postgres_url) as url:
                results.append(await bench_frontdesk("Frontdesk PostgreSQL", url, args, workdir))
    bare = results[0]
    print(f"\n{args.visitors} visitors x 1 msg/s, {args.agents} agents, {args.seconds:.0f} s")
    print(f"{'':<22}{'p50 ms':>9}{'p99 ms':>9}{'msgs/s':>9}{'sent':>8}{'lost':>6}{'vs bare':>9}{'open p50/p99 ms':>18}")
    for r in results:
        share = float(r["msgs_per_s"]) / float(bare["msgs_per_s"])
        print(
            f"{r['name']:<22}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['msgs_per_s']:>9.0f}{r['sent']:>8}"
            f"{r['lost']:>6}{share:>9.2f}{r['open_p50_ms']:>9.1f}/{r['open_p99_ms']:<8.1f}"
        )
    print(
        f"Steady state: visitor send to first agent receipt. Open: a chat's first message, send to acknowledgement,\n"
        f"{args.visitors} chats opened at {args.open_rate:.0f} a second."
    )


if __name__ == "__main__":
    asyncio.run(main())
