"""A real HTTP server on 127.0.0.1 that receives webhooks, for tests and the benchmark.

It runs uvicorn with a small Starlette app in its own thread (its own event loop), records every request
(path, headers, raw body, wall-clock time of receipt) and answers each path as told: 200, 500 a few times then
200, hang, redirect (302) or a huge body. Paths not told anything answer 200.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from frontdesk.db import create_session_factory
from frontdesk.webhooks.events import Emitted, emit_many
from frontdesk.webhooks.models import WebhookEndpoint
from frontdesk.webhooks.signing import new_signing_secret
from frontdesk.workspaces.models import Workspace
from tests.live_server import free_port

Behaviour = Literal["ok", "fail", "hang", "redirect", "huge"]
HUGE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.time()


@dataclass
class _Rule:
    behaviour: Behaviour
    failures_left: int = 0  # "fail": answer 500 this many times, then 200


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.huge_bytes_sent = 0
        self._rules: dict[str, _Rule] = {}
        self._lock = threading.Lock()
        self._stop_event: asyncio.Event | None = None
        self._server_loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- telling it what to do ----------------------------------------------------------------------------

    def ok(self, path: str) -> str:
        return self._rule(path, _Rule("ok"))

    def fail(self, path: str, times: int = 10**9) -> str:
        """Answer 500 ``times`` times, then 200."""
        return self._rule(path, _Rule("fail", times))

    def hang(self, path: str) -> str:
        return self._rule(path, _Rule("hang"))

    def redirect(self, path: str) -> str:
        return self._rule(path, _Rule("redirect"))

    def huge(self, path: str) -> str:
        return self._rule(path, _Rule("huge"))

    def _rule(self, path: str, rule: _Rule) -> str:
        with self._lock:
            self._rules[path] = rule
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def clear(self) -> None:
        """Forget every request and rule (between tests)."""
        with self._lock:
            self.requests.clear()
            self._rules.clear()
            self.huge_bytes_sent = 0

    async def wait_for(self, count: int, path: str | None = None, within: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + within
        while len(found := self.received(path)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"received {len(found)} requests at {path or 'any path'}, expected {count}")
            await asyncio.sleep(0.01)
        return found

    # --- the server ---------------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        with self._lock:
            self.requests.append(Received(path, dict(request.headers), body, time.time()))
            rule = self._rules.get(path, _Rule("ok"))
            failing = rule.behaviour == "fail" and rule.failures_left > 0
            if failing:
                rule.failures_left -= 1
        if rule.behaviour == "hang":
            # Until the receiver stops: it then ends without uvicorn's complaints about cancelled requests.
            await self._stopped().wait()
            return Response("gave up hanging", status_code=503)
        if failing:
            return Response("server error", status_code=500)
        if rule.behaviour == "redirect":
            return Response(status_code=302, headers={"location": self.url(path + "/moved")})
        if rule.behaviour == "huge":
            return StreamingResponse(self._huge_body(), media_type="text/plain")
        return Response("ok")

    async def _huge_body(self) -> AsyncIterator[bytes]:
        chunk = b"x" * 65536
        while self.huge_bytes_sent < HUGE_BYTES:
            self.huge_bytes_sent += len(chunk)
            yield chunk
            # Let the server notice that the client hung up (it then stops the stream).
            await asyncio.sleep(0)

    def start(self) -> Receiver:
        self.port = free_port()
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST", "GET"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="webhook-receiver", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.01)
        return self

    def _stopped(self) -> asyncio.Event:
        if self._stop_event is None:  # made in the server's own loop, on its first hanging request
            self._stop_event = asyncio.Event()
            self._server_loop = asyncio.get_running_loop()
        return self._stop_event

    def stop(self) -> None:
        if self._server_loop is not None and self._stop_event is not None:
            self._server_loop.call_soon_threadsafe(self._stop_event.set)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


# --- test data: endpoints and queued events, written directly (the console and emit calls are others' work) --


def new_secret() -> str:
    return new_signing_secret()


async def add_endpoint(
    engine: AsyncEngine,
    workspace_id: int,
    url: str,
    *,
    event_types: tuple[str, ...] = ("contact.created",),
    allow_private: bool = True,
    **fields: Any,
) -> WebhookEndpoint:
    """An endpoint of the workspace (whose private-target switch is set to ``allow_private``: the receiver is
    on 127.0.0.1)."""
    async with create_session_factory(engine)() as session:
        await session.execute(
            update(Workspace).where(Workspace.id == workspace_id).values(allow_private_webhook_targets=allow_private)
        )
        endpoint = WebhookEndpoint(
            workspace_id=workspace_id, url=url, event_types=list(event_types), secret=new_secret(), **fields
        )
        session.add(endpoint)
        await session.commit()
        return endpoint


async def queue_events(
    engine: AsyncEngine | async_sessionmaker[AsyncSession],
    workspace_id: int,
    count: int = 1,
    event_type: str = "contact.created",
) -> None:
    """``count`` events for every subscribed endpoint, committed (as a change in the workspace would)."""
    factory = create_session_factory(engine) if isinstance(engine, AsyncEngine) else engine
    async with factory() as session:
        await emit_many(
            session,
            workspace_id=workspace_id,
            event_type=event_type,
            events=[Emitted({"id": n, "sent": time.time()}) for n in range(count)],
        )
        await session.commit()
