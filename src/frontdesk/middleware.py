"""What wraps every HTTP response: security headers, and the per-API-key rate limit of ``/api/``.

Plain ASGI middleware rather than ``BaseHTTPMiddleware``: streamed responses (CSV exports) stay streamed and
WebSockets pass through untouched.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk import security
from frontdesk.errors import PROBLEM_JSON
from frontdesk.helpcenter import public, public_views
from frontdesk.helpcenter.models import LANGUAGES
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
        public_api = path.startswith(PUBLIC_API_PREFIX)

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
                if public_api:
                    # Any site may read the public API, its errors and 429s included: a page showing a
                    # product's reviews or a help article can then tell "not found" from a network failure.
                    headers.setdefault("Access-Control-Allow-Origin", "*")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# The API operations that take no key (the public reviews, the public help center): readable by any site.
PUBLIC_API_PREFIX = "/api/v1/public/"
# Pages and endpoints customers open without signing in (personal survey and review links, e-mail
# confirmation, the public reviews page and JSON, the public help center and its API): counted per IP address,
# like the widget's session.
PUBLIC_PREFIXES = (PUBLIC_API_PREFIX, "/s/", "/r/", "/verify/", "/reviews/", "/help/", "/help-images/")


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
        if path.startswith(PUBLIC_PREFIXES):
            # Before the key: public operations take none, and a made-up Authorization header on each request
            # would otherwise get a fresh count every time.
            client = scope.get("client")
            key, limit, who = (client[0] if client else "unknown"), self.public_limit, "this address"
        elif path.startswith("/api/") and authorization:
            # Keyed by a digest, so Redis never holds a usable key; unknown keys are limited too (no free guessing).
            key = security.token_digest(authorization.removeprefix("Bearer ").strip())[:32]
            limit, who = self.api_limit, "this API key"
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


class HelpCenterDomains:
    """A help center on its own host name: ``help.example.com/en/articles/x`` is ``/help/SLUG/en/articles/x``.

    Only when the Host is a custom domain, and never for the console's own host (``console_host``, from
    ``settings.public_url``): on the normal host ``/`` stays the console's. On a custom domain the help center
    is all there is: its own paths are rewritten, ``/static/``, ``/help-images/`` and ``/healthz`` pass, its
    ``/help/SLUG/…`` form redirects to the root form, and everything else (the console, the API, another
    workspace's ``/help/OTHER/…``) is a 404. The request is marked (``helpcenter.public.CUSTOM_HOST_KEY``) so
    its links and canonical URLs use the domain. The host map is read at most every ``CACHE_SECONDS``.
    """

    CACHE_SECONDS = 10.0
    PASSING_PREFIXES = ("/static/", "/help-images/")

    def __init__(self, app: ASGIApp, *, console_host: str = "") -> None:
        self.app = app
        self.console_host = console_host.lower()
        self._hosts: dict[str, str] = {}
        self._read_at: float | None = None

    async def _workspace_slug(self, scope: Scope, host: str) -> str | None:
        now = time.monotonic()
        if self._read_at is None or now - self._read_at > self.CACHE_SECONDS:
            async with scope["app"].state.session_factory() as session:
                self._hosts = await public_views.custom_domains(session=session)
            self._read_at = now
        return self._hosts.get(host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # What every host may reach (a custom domain's pages need the styles and images; the health check needs
        # no database read) passes before the host map is consulted.
        if scope["type"] != "http" or scope["path"].startswith(self.PASSING_PREFIXES) or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        host = _host_name(Headers(scope=scope).get("host", ""))
        if not host or host == self.console_host or host == "localhost" or _is_ip_address(host):
            await self.app(scope, receive, send)
            return
        slug = await self._workspace_slug(scope, host)
        if slug is None:
            await self.app(scope, receive, send)
            return
        if _help_center_path(path):
            path = f"/help/{slug}" + ("" if path == "/" else path)
            scope = {**scope, "path": path, "raw_path": path.encode(), public.CUSTOM_HOST_KEY: host}
            await self.app(scope, receive, send)
        elif (own := _own_help_path(scope, slug)) is not None:
            await _respond(send, 308, b"", location=own)
        else:
            await _respond(send, 404, b"Not found: this host serves a help center only.\n")


def _own_help_path(scope: Scope, slug: str) -> bytes | None:
    """The root form of ``/help/SLUG/…`` (query kept) for a redirect; never ``//…`` (another host)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    prefix = f"/help/{slug}".encode()
    if raw != prefix and not raw.startswith(prefix + b"/"):
        return None
    rest = raw.removeprefix(prefix) or b"/"
    if rest.startswith(b"//") or b"\\" in rest:
        return None
    query: bytes = scope.get("query_string", b"")
    return rest + (b"?" + query if query else b"")


def _host_name(header: str) -> str:
    """The Host header without its port, lower-case (``[::1]:8000`` -> ``[::1]``)."""
    host = header.strip().lower()
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and name else host


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def _respond(send: Send, status: int, body: bytes, location: bytes | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    if location is not None:
        headers.append((b"location", location))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _help_center_path(path: str) -> bool:
    if path in ("/", "/sitemap.xml", "/robots.txt"):
        return True
    first = path.split("/", 2)[1]
    return first in LANGUAGES


def install_middleware(app: FastAPI, settings: Settings, *, api_limit: Limit, public_limit: Limit) -> None:
    """The rate limit runs inside the headers middleware, so its 429s carry the security headers too; a custom
    domain's path is rewritten before the rate limit, so its pages are counted per address like /help/."""
    app.add_middleware(RateLimit, api_limit=api_limit, public_limit=public_limit)
    app.add_middleware(HelpCenterDomains, console_host=urlsplit(settings.public_url).hostname or "")
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
