"""Security headers on every kind of response, and templates the Content-Security-Policy can serve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.middleware import _host_name, _own_help_path, content_security_policy
from frontdesk.settings import Settings
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import login
from tests.workspaces.test_signin import app_client

TEMPLATES = Path(__file__).parent.parent / "src" / "frontdesk" / "web" / "templates"


# Pages meant to be framed by Frontdesk's own pages, and only by them: the widget's live preview in Settings.
FRAMED_BY_OWN_PAGES = {"/settings/chat/preview"}


def assert_secured(response: httpx.Response) -> None:
    what = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    headers = response.headers
    if response.request.url.path in FRAMED_BY_OWN_PAGES and response.status_code == 200:
        assert "frame-ancestors 'self'" in headers.get("content-security-policy", ""), what
        assert headers.get("x-frame-options") == "SAMEORIGIN", what
    else:
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), what
        assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "same-origin", what


def get_paths(routes: list[Any], prefix: str = "") -> set[str]:
    """Every GET path, through included routers (WebSocket routes and the static mount have no methods)."""
    paths: set[str] = set()
    for route in routes:
        if hasattr(route, "original_router"):
            paths |= get_paths(route.original_router.routes, prefix + route.include_context.prefix)
        elif "GET" in (getattr(route, "methods", None) or ()):
            paths.add(prefix + route.path)
    return paths


async def test_every_get_route_answers_with_the_security_headers(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    """Generic over the app's routes, signed out, signed in and with an API key: pages, redirects, JSON,
    problems, HTML error pages, files, streams. A route added later is checked without touching this test."""
    app = create_app(settings, engine=engine)
    contact_id = await workspace.contact(name="Header Check")
    paths = {"/static/app.css", "/static/htmx.min.js", "/no/such/page"}
    paths |= {re.sub(r"\{[^}]+\}", str(contact_id), path) for path in get_paths(app.routes)}
    checked = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for headers in ({}, {"Accept": "text/html"}, workspace.headers):
            for path in sorted(paths):
                assert_secured(await client.get(path, headers=headers))
                checked += 1
        assert (await login(client, workspace.admin_email)).status_code == 303
        for path in sorted(paths):
            assert_secured(await client.get(path, headers={"Accept": "text/html"}))
            checked += 1
        # Responses made outside the routes: a refused form, a validation problem, a method not allowed.
        for response in (
            await client.post("/contacts/new", data={"name": "x"}),
            await client.post("/api/v1/contacts", headers=workspace.headers, json={"name": ""}),
            await client.delete("/healthz"),
            await client.post("/widget/api/session", content=b"[not json"),
        ):
            assert_secured(response)
    assert checked > 100


async def test_rate_limited_api_responses_carry_the_headers_too(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    async with app_client(engine, settings, api_requests_per_minute=1) as client:
        await client.get("/api/v1/workspace", headers=workspace.headers)
        limited = await client.get("/api/v1/workspace", headers=workspace.headers)
    assert limited.status_code == 429
    assert_secured(limited)


async def test_console_policy_allows_only_own_scripts_and_its_own_websockets(client: httpx.AsyncClient) -> None:
    policy = (await client.get("/login")).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self' ws://testserver wss://testserver"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"


async def test_api_docs_get_the_same_strict_policy_as_every_page(client: httpx.AsyncClient) -> None:
    """Swagger UI is vendored and started from /static/api-docs.js: no inline script, no other host
    (tests/browser/test_api_docs.py shows it working under this policy in Chromium)."""
    docs = await client.get("/api/v1/docs")
    assert docs.status_code == 200
    script_src = docs.headers["content-security-policy"].split("script-src", 1)[1].split(";")[0]
    assert script_src.strip() == "'self'"
    assert_secured(docs)


@pytest.mark.parametrize("host", ["evil.example; script-src *", "a b", "x'y"])
def test_a_forged_host_header_cannot_add_directives(host: str) -> None:
    policy = content_security_policy("/login", host)
    assert host not in policy and policy.count("script-src") == 1


def test_templates_hold_no_inline_script_the_policy_would_block() -> None:
    """Inline <script>, on* handler attributes, hx-on and javascript: URLs would be blocked by script-src 'self'.
    A ``<script type="application/json">`` data block (a chart's numbers) is not run, so the policy allows it."""
    inline = re.compile(
        r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>|\son[a-z]+\s*=|\shx-on|javascript:', re.IGNORECASE
    )
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in TEMPLATES.rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("help.acme.example:8443", "help.acme.example"),
        ("HELP.Acme.example", "help.acme.example"),
        ("[::1]:80", "[::1]"),
    ],
)
def test_the_host_name_is_read_without_its_port(header: str, host: str) -> None:
    assert _host_name(header) == host


@pytest.mark.parametrize(
    ("raw", "query", "location"),
    [
        (b"/help/acme/en/articles/x", b"", b"/en/articles/x"),
        (b"/help/acme", b"q=1", b"/?q=1"),
        (b"/help/acme//evil.example", b"", None),
        (b"/help/acme/\\evil.example", b"", None),
        (b"/help/acme-other/en", b"", None),
    ],
)
def test_a_custom_domain_redirects_its_own_help_path_to_the_root_form_never_elsewhere(
    raw: bytes, query: bytes, location: bytes | None
) -> None:
    scope = {"type": "http", "path": raw.decode(), "raw_path": raw, "query_string": query}
    assert _own_help_path(scope, "acme") == location
