"""One webhook request, made safely: to the address that was checked, no redirects, short timeouts, and at
most a small excerpt of the answer read.

The URL's host is resolved and checked (``resolve_target``) right before the request, and the request goes to
that address: the URL carries the IP in place of the name, ``Host`` keeps the name, and for https the TLS
server name (SNI and certificate check) is the name. A second lookup by the HTTP client, which a rebinding DNS
server could answer with an internal address, never happens.

Known limit: the client pools connections by address and port, so two https hosts served from one address may
share a kept-alive connection whose certificate was checked for the other name; both names resolved to that
address, which is the server that would answer either request.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from frontdesk.errors import InvalidInput
from frontdesk.settings import Settings
from frontdesk.webhooks.targets import resolve_target

RESPONSE_EXCERPT_BYTES = 2048


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (None when no answer came), how long it took, and why it failed."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    response_body: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class Sender:
    """Sends webhook requests through one shared ``httpx.AsyncClient`` (one connection pool per dispatcher)."""

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.webhook_timeout_seconds
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.webhook_timeout_seconds, connect=settings.webhook_connect_timeout_seconds),
            follow_redirects=False,
            # Connections to a hung endpoint are capped by the dispatcher, not here: never wait for a slot.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, url: str, *, allow_private: bool, headers: dict[str, str], body: str) -> Outcome:
        started = time.perf_counter()
        try:
            target = await resolve_target(url, allow_private=allow_private)
        except InvalidInput as exc:  # refused or unresolvable: no request is made
            return Outcome(status_code=None, latency_ms=_elapsed_ms(started), error=str(exc.detail)[:500])
        host = f"[{target.host}]" if ":" in target.host else target.host
        default_port = 443 if target.scheme == "https" else 80
        request_url = httpx.URL(target.url).copy_with(host=str(target.address))
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request_headers = {
            **headers,
            "host": host if target.port == default_port else f"{host}:{target.port}",
            # A compressed answer could expand far beyond the excerpt we read: ask for none.
            "accept-encoding": "identity",
        }
        try:
            async with asyncio.timeout(self.timeout):
                request = self.client.build_request(
                    "POST", request_url, headers=request_headers, content=body.encode(), extensions=extensions
                )
                response = await self.client.send(request, stream=True)
                try:
                    excerpt = bytearray()
                    async for chunk in response.aiter_raw():
                        excerpt += chunk
                        if len(excerpt) >= RESPONSE_EXCERPT_BYTES:
                            break  # never read (or buffer) more of an answer than the log keeps
                finally:
                    await response.aclose()
        except TimeoutError:
            return Outcome(None, _elapsed_ms(started), f"no answer within {self.timeout:g} s")
        except httpx.TimeoutException:
            return Outcome(None, _elapsed_ms(started), "timed out connecting or reading")
        except httpx.HTTPError as exc:
            return Outcome(None, _elapsed_ms(started), f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
        text = bytes(excerpt[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")
        code = response.status_code
        error: str | None = None
        if 300 <= code < 400:
            error = "redirects are not followed"
        elif not 200 <= code < 300:
            error = f"the endpoint answered {code}"
        return Outcome(code, _elapsed_ms(started), error, text)
