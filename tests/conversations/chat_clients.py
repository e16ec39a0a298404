"""Test clients that speak the widget's and the console's WebSocket protocols."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import httpx
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.realtime.sequence import SeenSequence
from tests.factories import PASSWORD

SITE = "http://shop.example:8080"
WAIT_SECONDS = 5.0


async def allow_site(engine: AsyncEngine, workspace_id: int, *origins: str) -> str:
    """Allows ``origins`` (default: the test shop) to embed the widget; the widget token."""
    async with create_session_factory(engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace_id)
        settings.allowed_origins = list(origins or (SITE,))
        await session.commit()
        return settings.widget_token


class Visitor:
    def __init__(self, server_url: str, widget_token: str, origin: str = SITE) -> None:
        self.server_url = server_url
        self.widget_token = widget_token
        self.origin = origin
        self.visitor_token: str | None = None
        self.socket: Any = None
        self.messages: dict[int, dict[str, Any]] = {}
        self.seen = SeenSequence()
        # How each message first arrived: "live" (message or ack event), "load" (the session answer or the
        # first ready after connecting) or "resync" (a later reload: after a gap, an overflow, Redis coming back).
        self.route: dict[int, str] = {}
        self._loading = False
        self.duplicates = 0  # deliveries of a number already held, dropped as the widget drops them
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def start_session(self, **extra: Any) -> dict[str, Any]:
        body = {"widget_token": self.widget_token, "visitor_token": self.visitor_token, **extra}
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{self.server_url}/widget/api/session",
                content=json.dumps(body),
                headers={"Origin": self.origin, "Content-Type": "text/plain"},
            )
        data: dict[str, Any] = response.json()
        if response.status_code == 200:
            self.visitor_token = data["visitor_token"]
            self.seen.record({"type": "ready", **data})
            for message in data["messages"]:
                self._keep(message, "load")
        return {"status": response.status_code, **data}

    @property
    def last_seq(self) -> int:
        """Where to resume: the last number with nothing missing below it (as the widget does)."""
        return self.seen.through

    def _keep(self, message: dict[str, Any], route: str) -> None:
        if message["seq"] in self.messages:
            self.duplicates += 1
            return
        self.messages[message["seq"]] = message
        self.route[message["seq"]] = route

    async def connect(self) -> dict[str, Any]:
        self.socket = await websockets.connect(
            self.server_url.replace("http", "ws") + "/widget/ws", additional_headers={"Origin": self.origin}
        )
        await self.socket.send(
            json.dumps(
                {
                    "type": "hello",
                    "widget_token": self.widget_token,
                    "visitor_token": self.visitor_token,
                    "after_seq": self.last_seq,
                }
            )
        )
        self._loading = True
        self._reader = asyncio.create_task(self._read())
        return await self.expect("ready")

    async def _read(self) -> None:
        async for raw in self.socket:
            event = json.loads(raw)
            self.seen.record(event)
            if event["type"] == "ready":
                for message in event.get("messages", []):
                    self._keep(message, "load" if self._loading else "resync")
                self._loading = False
            elif event["type"] in {"message", "ack"}:
                self._keep(event["message"], "live")
            await self.events.put(event)

    async def expect(self, kind: str) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                event = await self.events.get()
                if event["type"] == kind:
                    return event

    async def wait_for_body(self, body: str) -> dict[str, Any]:
        """The message with this text, once it has arrived by any route (live event or resume)."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                for message in self.messages.values():
                    if message["body"] == body:
                        return message
                await self.events.get()

    async def resume(self) -> None:
        """Asks for everything after the resume point (what the widget does when it notices a gap)."""
        await self.socket.send(json.dumps({"type": "resume", "after_seq": self.last_seq}))

    async def send(self, body: str, client_id: str | None = None, **extra: Any) -> str:
        client_id = client_id or uuid.uuid4().hex
        await self.socket.send(json.dumps({"type": "send", "client_id": client_id, "body": body, **extra}))
        return client_id

    async def close_socket(self) -> None:
        """Drops the connection (if any) but keeps what was received, as a page that stays open does."""
        await self.close()

    async def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self._reader is not None:
            self._reader.cancel()
        self.socket = None

    def transcript(self) -> list[tuple[int, str, str]]:
        return [(seq, m["author_type"], m["body"]) for seq, m in sorted(self.messages.items())]


class Agent:
    def __init__(self, server_url: str, email: str) -> None:
        self.server_url = server_url
        self.email = email
        self.http = httpx.AsyncClient(base_url=server_url)
        self.socket: Any = None
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.csrf = ""
        # What the console holds of each conversation, kept as console.js keeps it: by sequence number, with
        # gaps and "resync" events answered by a fetch (through the API with ``api_headers`` when given).
        self.api_headers: dict[str, str] | None = None
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}
        self.seen: dict[int, SeenSequence] = {}
        self.route: dict[tuple[int, int], str] = {}
        # The first number heard live of each conversation: what lies below was history, loaded, not missed.
        self.first_heard: dict[int, int] = {}
        self.duplicates = 0
        self.resync_events = 0
        self._syncing: asyncio.Task[None] | None = None

    async def login(self) -> None:
        form = (await self.http.get("/login")).text
        csrf_token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        data = {"email": self.email, "password": PASSWORD, "csrf_token": csrf_token}
        response = await self.http.post("/login", data=data)
        assert response.status_code == 303, response.text
        page = await self.http.get("/inbox")
        self.csrf = page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]

    async def connect(self) -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        self.socket = await websockets.connect(
            self.server_url.replace("http", "ws") + "/console/ws",
            additional_headers={"Origin": self.server_url, "Cookie": cookie},
        )
        self._reader = asyncio.create_task(self._read())
        await self.expect("ready")

    async def _read(self) -> None:
        async for raw in self.socket:
            data = json.loads(raw)
            for event in data if isinstance(data, list) else [data]:
                if event["type"] == "message":
                    self.first_heard.setdefault(event["conversation_id"], event["message"]["seq"])
                    self._keep(event["conversation_id"], event["message"], "live")
                elif event["type"] == "resync":
                    self.resync_events += 1
                    self._sync_soon(0.0)
                await self.events.put(event)
            if any(seen.has_gap() for seen in self.seen.values()):
                self._sync_soon(0.5)

    def _keep(self, conversation_id: int, message: dict[str, Any], route: str) -> None:
        held = self.messages.setdefault(conversation_id, {})
        seen = self.seen.setdefault(conversation_id, SeenSequence())
        if message["seq"] in held:
            self.duplicates += 1
            return
        held[message["seq"]] = message
        seen.add(message["seq"])
        self.route[(conversation_id, message["seq"])] = route

    def _sync_soon(self, delay: float) -> None:
        if self.api_headers is None or (self._syncing is not None and not self._syncing.done()):
            return

        async def later() -> None:
            await asyncio.sleep(delay)
            await self.sync()

        self._syncing = asyncio.create_task(later())

    async def sync(self, conversation_ids: list[int] | None = None, route: str = "resync") -> None:
        """Fetches what is missing of each conversation after its resume point, as the console does."""
        assert self.api_headers is not None
        for conversation_id in conversation_ids or list(self.messages):
            seen = self.seen.setdefault(conversation_id, SeenSequence())
            response = await self.http.get(
                f"/api/v1/conversations/{conversation_id}/messages",
                params={"after_seq": seen.through},
                headers=self.api_headers,
            )
            response.raise_for_status()
            for message in response.json()["items"]:
                history = message["seq"] < self.first_heard.get(conversation_id, message["seq"] + 1)
                self._keep(conversation_id, message, "load" if history else route)

    def transcript(self, conversation_id: int) -> list[tuple[int, str, str]]:
        held = self.messages.get(conversation_id, {})
        return [(seq, m["author_type"], m["body"]) for seq, m in sorted(held.items())]

    async def expect(self, kind: str, **match: Any) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                event = await self.events.get()
                if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
                    return event

    async def reply(
        self, conversation_id: int, body: str, kind: str = "message", client_id: str = ""
    ) -> httpx.Response:
        return await self.http.post(
            f"/inbox/{conversation_id}/messages",
            headers={"X-CSRF-Token": self.csrf},
            data={"body": body, "kind": kind, "client_id": client_id or uuid.uuid4().hex},
        )

    async def send_over_socket(self, conversation_id: object, body: str, client_id: str) -> None:
        frame = {"type": "send", "conversation_id": conversation_id, "body": body, "client_id": client_id}
        await self.socket.send(json.dumps(frame))

    async def close_socket(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self._reader is not None:
            self._reader.cancel()
        self.socket = None

    async def close(self) -> None:
        await self.close_socket()
        if self._syncing is not None:
            self._syncing.cancel()
        await self.http.aclose()
