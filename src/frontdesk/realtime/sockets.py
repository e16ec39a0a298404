"""What every WebSocket endpoint does around its loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from fastapi import WebSocket, WebSocketDisconnect

log = logging.getLogger(__name__)


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
