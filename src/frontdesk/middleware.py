"""What wraps every HTTP response: security headers, and the per-API-key rate limit of ``/api/``.

Plain ASGI middleware rather than ``BaseHTTPMiddleware``: streamed responses (CSV exports) stay streamed and
WebSockets pass through untouched.
"""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk import security
from frontdesk.errors import PROBLEM_JSON
from frontdesk.realtime.ratelimit import Limit
from frontdesk.settings import Settings

# The console and the public pages load scripts and styles from Frontdesk only. Inline styles remain allowed
# (style attributes in templates, the widget's injected stylesheet, HTMX's indicator style): styles cannot run
# code. Inline scripts and eval are not: templates use data attributes that /static/forms.js acts on instead.
_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' {sockets}; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")


def content_security_policy(path: str, host: str) -> str:
    # The API docs need nothing more: Swagger UI is vendored and started from /static/api-docs.js.
    # 'self' covers ws:// and wss:// of the same host in CSP Level 3 browsers; named for older ones.
    sockets = f"ws://{host} wss://{host}" if _HOST.fullmatch(host) else ""
    return _PAGE_POLICY.format(sockets=sockets).replace("'self' ;", "'self';")


class SecurityHeaders:
    """Adds the security headers to every HTTP response, whatever produced it (route, error handler, static)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        host = Headers(scope=scope).get("host", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", content_security_policy(path, host))
                # The widget is a script that runs in the site's own page, never a frame: nothing is framed.
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                # Links in console pages carry record ids, and public links carry personal tokens.
                headers.setdefault("Referrer-Policy", "same-origin")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Pages and endpoints customers open without signing in (personal survey and review links, e-mail
# confirmation, the public reviews page and JSON): counted per IP address, like the widget's session.
PUBLIC_PREFIXES = ("/api/v1/public/", "/s/", "/r/", "/verify/", "/reviews/")


class RateLimit:
    """At most ``api_limit`` requests per API key under ``/api/``, counted before the key is even looked up;
    at most ``public_limit`` requests per IP address to the public pages (``PUBLIC_PREFIXES``)."""

    def __init__(self, app: ASGIApp, *, api_limit: Limit, public_limit: Limit) -> None:
        self.app = app
        self.api_limit = api_limit
        self.public_limit = public_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        authorization = Headers(scope=scope).get("authorization", "")
        if path.startswith("/api/") and authorization:
            # Keyed by a digest, so Redis never holds a usable key; unknown keys are limited too (no free guessing).
            key = security.token_digest(authorization.removeprefix("Bearer ").strip())[:32]
            limit, who = self.api_limit, "this API key"
        elif path.startswith(PUBLIC_PREFIXES):
            client = scope.get("client")
            key, limit, who = (client[0] if client else "unknown"), self.public_limit, "this address"
        else:
            await self.app(scope, receive, send)
            return
        if await limit.hit(key):
            await self.app(scope, receive, send)
            return
        wait = await limit.retry_after(key)
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Too many requests",
                "status": 429,
                "detail": f"{who} made too many requests; retry in {wait} seconds",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(wait).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def install_middleware(app: FastAPI, settings: Settings, *, api_limit: Limit, public_limit: Limit) -> None:
    """The rate limit runs inside the headers middleware, so its 429s carry the security headers too."""
    app.add_middleware(RateLimit, api_limit=api_limit, public_limit=public_limit)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
