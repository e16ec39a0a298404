"""Chat latency while failed sign-ins hit the same server: argon2 must not stall the event loop.

One `frontdesk serve` on SQLite, with production password hashing (argon2id at the default cost of Settings). Visitors
send chat messages over the widget WebSocket and time each one from send to acknowledgement. Two phases in
the same run, against the same server and the same chats: first no sign-ins, then 20 failed sign-ins a
second through the console's form (each with the form's CSRF token, each a real argon2 verification: the
sign-in throttle is lifted for this run and every attempt uses a new e-mail address, the worst case for the
server). Prints the p50/p99 round trip of both phases and the ratio of the p99s (goal: within 2x).

    python benchmarks/signin_load.py [--seconds 30] [--visitors 20] [--rate 2] [--signins 20] [--throttle]

With --throttle the default per-IP sign-in limit stays on, as against one attacker's address: after 50
failures the rest get 429 without any argon2 work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_engine, create_session_factory, migrate
from frontdesk.settings import Settings
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_workspace

SITE = "http://bench.example"
DEFAULTS = Settings.model_construct()  # the defaults, not this shell's environment: what the server runs with
HASHING = ("FRONTDESK_PASSWORD_TIME_COST", "FRONTDESK_PASSWORD_MEMORY_COST_KIB")


@dataclass
class Phase:
    name: str
    round_trips: list[float] = field(default_factory=list)
    unanswered: int = 0
    signins: dict[int, int] = field(default_factory=dict)  # status -> count
    signin_latencies: list[float] = field(default_factory=list)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare(url: str) -> str:
    engine = create_engine(url)
    await migrate(engine)
    async with create_session_factory(engine)() as session:
        workspace, _, _ = await do_create_workspace(
            session=session,
            name="Bench",
            admin=AgentCreate(email="admin@bench.example", display_name="Admin", password=secrets.token_hex(12)),
        )
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        settings.allowed_origins = [SITE]
        await session.commit()
        token = settings.widget_token
    await engine.dispose()
    return token


def start_server(url: str, port: int, log: Path, *, throttle: bool) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if key not in HASHING}  # production argon2 cost
    env.update(
        {
            "FRONTDESK_DATABASE_URL": url,
            # Every simulated client is 127.0.0.1: lift the chat limits, and (unless --throttle) the sign-in
            # limit, so all the load reaches the server's work (a throttled attempt costs no argon2 time).
            "FRONTDESK_IP_REQUEST_BURST": "1000000",
            "FRONTDESK_IP_REQUESTS_PER_SECOND": "1000000",
            "FRONTDESK_VISITOR_MESSAGE_BURST": "1000000",
            "FRONTDESK_VISITOR_MESSAGES_PER_SECOND": "1000000",
        }
    )
    if not throttle:
        env["FRONTDESK_SIGNIN_FAILURES_PER_IP"] = "1000000"
    command = [str(Path(sys.executable).parent / "frontdesk"), "serve", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


class ChatVisitor:
    """One visitor with an open chat: sends a line, waits for its acknowledgement, records the round trip."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.socket: websockets.ClientConnection | None = None
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def open(self, http: httpx.AsyncClient) -> None:
        session = (
            await http.post(
                "/widget/api/session",
                headers={"Origin": SITE, "Content-Type": "text/plain"},
                content=json.dumps({"widget_token": self.token}),
            )
        ).json()
        url = self.base.replace("http", "ws") + "/widget/ws"
        self.socket = await websockets.connect(url, additional_headers={"Origin": SITE}, max_queue=None)
        hello = {"type": "hello", "widget_token": self.token, "visitor_token": session["visitor_token"]}
        await self.socket.send(json.dumps(hello))
        await self.socket.recv()  # ready
        self.reader = asyncio.create_task(self._read())
        await self.send("opening the chat", wait_seconds=30)  # contact, routing and assignment happen once

    async def _read(self) -> None:
        assert self.socket is not None
        async for raw in self.socket:
            event = json.loads(raw)
            future = self.waiting.pop(event.get("client_id") or "", None) if event.get("type") == "ack" else None
            if future is not None and not future.done():
                future.set_result(time.perf_counter())

    async def send(self, body: str, wait_seconds: float = 10) -> float | None:
        assert self.socket is not None
        client_id = secrets.token_hex(8)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[client_id] = future
        sent = time.perf_counter()
        await self.socket.send(json.dumps({"type": "send", "client_id": client_id, "body": body}))
        try:
            return await asyncio.wait_for(future, wait_seconds) - sent
        except TimeoutError:
            self.waiting.pop(client_id, None)
            return None

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.socket:
            await self.socket.close()


async def chat_load(visitors: list[ChatVisitor], phase: Phase, seconds: float, rate: float) -> None:
    async def one(visitor: ChatVisitor, offset: float) -> None:
        await asyncio.sleep(offset)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            started = time.perf_counter()
            round_trip = await visitor.send(f"how long is delivery? {secrets.token_hex(4)}")
            if round_trip is None:
                phase.unanswered += 1
            else:
                phase.round_trips.append(round_trip)
            await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))

    count = len(visitors)
    await asyncio.gather(*(one(v, i / (count * rate)) for i, v in enumerate(visitors)))


async def signin_load(base: str, phase: Phase, seconds: float, per_second: float) -> None:
    # No client-side connection cap: every attempt reaches the server when it is due, as from many attackers.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        form = (await http.get("/login")).text
        csrf_token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

        async def attempt() -> None:
            data = {
                "email": f"guess-{secrets.token_hex(6)}@bench.example",
                "password": "wrong",
                "csrf_token": csrf_token,
            }
            started = time.perf_counter()
            try:
                status = (await http.post("/login", data=data)).status_code
            except httpx.HTTPError:
                status = 0  # no answer in time
            phase.signin_latencies.append(time.perf_counter() - started)
            phase.signins[status] = phase.signins.get(status, 0) + 1

        attempts: list[asyncio.Task[None]] = []
        start = time.perf_counter()
        for n in range(int(seconds * per_second)):
            await asyncio.sleep(max(0.0, start + n / per_second - time.perf_counter()))
            attempts.append(asyncio.create_task(attempt()))
        await asyncio.gather(*attempts)


def attack(base: str, seconds: float, per_second: float, results: Any) -> None:
    phase = Phase("attacker")
    asyncio.run(signin_load(base, phase, seconds, per_second))
    results.put((phase.signins, phase.signin_latencies))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--visitors", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2, help="messages a second per visitor")
    parser.add_argument("--signins", type=float, default=20, help="failed sign-ins a second in the second phase")
    parser.add_argument(
        "--throttle", action="store_true", help="keep the default per-IP sign-in limit (one attacker address)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/signin.db"
        token = await prepare(url)
        port = free_port()
        server = start_server(url, port, Path(tmp) / "server.log", throttle=args.throttle)
        base = f"http://127.0.0.1:{port}"
        visitors = [ChatVisitor(base, token) for _ in range(args.visitors)]
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                for visitor in visitors:
                    await visitor.open(http)
            quiet, loaded = Phase("no sign-ins"), Phase(f"{args.signins:g} failed sign-ins/s")
            await chat_load(visitors, quiet, args.seconds, args.rate)
            # The attacker runs in its own process: its HTTP work must not delay this process's chat clients.
            spawn = multiprocessing.get_context("spawn")
            results: multiprocessing.Queue[tuple[dict[int, int], list[float]]] = spawn.Queue()
            attacker = spawn.Process(target=attack, args=(base, args.seconds, args.signins, results))
            attacker.start()
            await chat_load(visitors, loaded, args.seconds, args.rate)
            loaded.signins, loaded.signin_latencies = await asyncio.to_thread(results.get, True, 300)
            attacker.join()
        finally:
            for visitor in visitors:
                await visitor.close()
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                log = (Path(tmp) / "server.log").read_text()[-3000:]
                print("the server took over 30 s to stop; its log ends:", log)
                server.kill()
                server.wait()
    print(
        f"\n{args.visitors} visitors x {args.rate:g} msg/s, {args.seconds:.0f} s per phase, SQLite, "
        f"argon2id t={DEFAULTS.password_time_cost} m={DEFAULTS.password_memory_cost_kib // 1024}MiB"
    )
    print(f"{'':<26}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'acks':>7}{'lost':>6}  sign-ins (status: count, p50 ms)")
    for phase in (quiet, loaded):
        signins = ", ".join(f"{status}: {count}" for status, count in sorted(phase.signins.items()))
        signin_p50 = f", p50 {pct(phase.signin_latencies, 0.5):.0f}" if phase.signin_latencies else ""
        print(
            f"{phase.name:<26}{pct(phase.round_trips, 0.5):>9.1f}{pct(phase.round_trips, 0.99):>9.1f}"
            f"{max(phase.round_trips, default=0) * 1000:>9.1f}{len(phase.round_trips):>7}{phase.unanswered:>6}"
            f"  {signins or '-'}{signin_p50}"
        )
    ratio = pct(loaded.round_trips, 0.99) / pct(quiet.round_trips, 0.99)
    print(f"p99 with sign-ins / without: {ratio:.2f}x (goal: within 2x)")


if __name__ == "__main__":
    asyncio.run(main())
