"""What every WebSocket endpoint does around its loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from frontdesk.guard import MAX_DEPTH, json_depth
from frontdesk.inputs import MAX_SEQ

log = logging.getLogger(__name__)
# No frame a widget or console sends comes near this (a chat line is at most a few thousand characters).
MAX_FRAME_CHARS = 256 * 1024


class BadFrame(Exception):
    """A client frame that is not what the protocol allows: answered with an error frame naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def as_event(self) -> dict[str, Any]:
        return {"type": "error", "field": self.field, "message": self.message}


async def receive_frame(websocket: WebSocket) -> dict[str, Any]:
    """The client's next frame as a JSON object, checked before it is parsed, as the HTTP guard checks bodies:
    a binary, oversized, deeply nested or non-object frame raises ``BadFrame`` instead of killing the socket."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise BadFrame("frame", "send JSON text frames, not binary ones")
    if len(text) > MAX_FRAME_CHARS:
        raise BadFrame("frame", f"a frame is at most {MAX_FRAME_CHARS} characters")
    if json_depth(text.encode("utf-8", "surrogatepass")) > MAX_DEPTH:
        raise BadFrame("frame", f"nests arrays and objects deeper than {MAX_DEPTH} levels")
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        raise BadFrame("frame", "send a JSON object")
    return frame


def sequence_number(value: Any, field: str = "after_seq") -> int:
    """A sequence number a client sent (absent: 0); anything but a whole number in the column's range is refused."""
    if value is None:
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= len(str(MAX_SEQ)):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise BadFrame(field, f"a whole number from 0 to {MAX_SEQ}")
    return value


async def serve_socket(websocket: WebSocket, loop: Callable[[], Awaitable[None]]) -> None:
    """Run ``loop``: a client that leaves ends it quietly; a failure is logged and the client told to reconnect.

    Without this an exception would reach the HTTP error handlers, which cannot answer on an accepted socket.
    """
    try:
        await loop()
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("WebSocket %s failed", websocket.url.path)
        with contextlib.suppress(Exception):
            await websocket.close(code=1011, reason="server error; reconnect")


async def until_subscribed(relay: asyncio.Task[None], subscribed: asyncio.Event) -> None:
    """Waits until ``relay`` has subscribed; if it failed before that, raises its error instead of waiting on."""
    waiter = asyncio.ensure_future(subscribed.wait())
    try:
        await asyncio.wait({relay, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if not subscribed.is_set():
        relay.result()  # raises the relay's error (or CancelledError)
        raise RuntimeError("the relay ended before it subscribed")
