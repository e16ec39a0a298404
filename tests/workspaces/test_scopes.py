"""API keys limited to scopes: every /api/v1 operation needs one (derived from its tag and method), a key
without it gets 403 naming it, write implies read, admin implies all, and keys made before scopes existed
keep everything their role allows. The console creates scoped keys and says when each key was last used."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.app import create_app
from frontdesk.db import utcnow
from frontdesk.deps import get_api_principal
from frontdesk.workspaces import scopes
from frontdesk.workspaces.models import ApiKey, Role
from frontdesk.workspaces.settings_pages import time_ago
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


def _authenticated_by_key(route: APIRoute) -> bool:
    pending = [route.dependant]
    while pending:
        current = pending.pop()
        if current.call is get_api_principal:
            return True
        pending.extend(current.dependencies)
    return False


def test_every_api_operation_needs_a_scope_of_the_catalogue() -> None:
    """Generic over the app: an operation under a tag with no family here fails until it is given one."""
    app = create_app()
    checked = 0
    for context in fastapi.routing.iter_route_contexts(app.routes):
        route = getattr(context, "original_route", context)
        if not isinstance(route, APIRoute) or not context.path.startswith("/api/v1/"):
            continue
        if not _authenticated_by_key(route):
            continue  # public operations (a shop's review widget, the docs) take no key
        tags = [str(tag) for tag in route.tags]
        family = scopes.family_of(tags)
        assert family is not None, f"{sorted(route.methods)} {context.path}: tags {route.tags} name no scope family"
        for method in route.methods:
            assert scopes.needed_scope(tags, method) in scopes.SCOPES
        checked += 1
    assert checked > 100


def test_the_issue_s_scopes_mean_what_it_says() -> None:
    """'read contacts, write orders, chat, admin' exist; write implies read; admin implies all."""
    assert {"contacts:read", "orders:write", "chat", "admin"} <= set(scopes.SCOPES)
    assert scopes.granted(["orders:write"]) == {"orders:write", "orders:read"}
    assert scopes.granted(["contacts:read"]) == {"contacts:read"}
    assert scopes.granted(["admin"]) == set(scopes.SCOPES)
    assert scopes.granted(None) == set(scopes.SCOPES)
    assert scopes.needed_scope(["commerce"], "POST") == "orders:write"
    assert scopes.needed_scope(["commerce"], "HEAD") == "orders:read"
    assert scopes.needed_scope(["canned replies"], "DELETE") == "chat"
    assert scopes.needed_scope(["no such tag"], "GET") == "admin"  # never silently allowed


async def _key(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, scope_list: list[str] | None, **extra: Any
) -> dict[str, str]:
    created = await client.post(
        "/api/v1/api-keys",
        json={"name": f"scoped {scope_list}", "scopes": scope_list, **extra},
        headers=workspace.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["scopes"] == (None if scope_list is None else scopes.normalise(scope_list))
    return {"Authorization": f"Bearer {created.json()['key']}"}


def _samples(contact_id: int) -> dict[str, list[tuple[str, str, dict[str, Any] | None]]]:
    """For each scope, operations it opens (an admin-role key runs them, so only the scope decides)."""
    due = (utcnow() + timedelta(days=3)).isoformat()
    return {
        "contacts:read": [("GET", "/api/v1/contacts", None), ("GET", f"/api/v1/contacts/{contact_id}", None)],
        "contacts:write": [("POST", "/api/v1/contacts", {"name": "Scoped Sam"})],
        "orders:read": [("GET", "/api/v1/orders", None), ("GET", "/api/v1/products", None)],
        "orders:write": [("POST", "/api/v1/products", {"sku": "SC-{n}", "name": "Scope mug", "range": "Mugs"})],
        "chat": [
            ("GET", "/api/v1/conversations", None),
            ("POST", "/api/v1/canned-replies", {"shortcut": "scoped{n}", "body": "Hello!"}),
        ],
        "feedback:read": [("GET", "/api/v1/reviews", None), ("GET", "/api/v1/complaints", None)],
        "feedback:write": [("POST", "/api/v1/complaints", {"contact_id": contact_id, "summary": "Late parcel"})],
        "reports:read": [("GET", "/api/v1/reports/dashboard", None), ("GET", "/api/v1/success/tasks", None)],
        "reports:write": [
            ("POST", "/api/v1/success/tasks", {"contact_id": contact_id, "title": "Call", "due_at": due})
        ],
        "admin": [("GET", "/api/v1/workspace", None), ("GET", "/api/v1/api-keys", None)],
    }


_fresh = itertools.count(1)


async def _call(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> httpx.Response:
    """The operation with a body of its own (a SKU or shortcut taken by an earlier call would be a 409)."""
    n = next(_fresh)
    fresh = {k: v.replace("{n}", str(n)) if isinstance(v, str) else v for k, v in (body or {}).items()}
    return await client.request(method, path, json=fresh if body is not None else None, headers=headers)


async def test_a_key_with_only_one_scope_passes_there_and_gets_403_naming_the_scope_elsewhere(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    contact_id = await workspace.contact(name="Scope Target")
    samples = _samples(contact_id)
    for scope, operations in samples.items():
        headers = await _key(client, workspace, [scope])
        for needed, others in samples.items():
            for method, path, body in others:
                response = await _call(client, method, path, body, headers)
                if needed in scopes.granted([scope]):
                    assert response.status_code in (200, 201), (scope, method, path, response.text)
                else:
                    assert response.status_code == 403, (scope, method, path, response.text)
                    assert response.headers["content-type"].startswith("application/problem+json")
                    assert response.json()["detail"] == f"this API key lacks the scope {needed}"
        assert operations


async def test_write_implies_read_and_admin_implies_everything(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    writer = await _key(client, workspace, ["orders:write", "contacts:read"])
    assert (await client.get("/api/v1/orders", headers=writer)).status_code == 200
    assert (
        await client.post(
            "/api/v1/products", json={"sku": "W-1", "name": "Writer's mug", "range": "Mugs"}, headers=writer
        )
    ).status_code == 201
    refused = await client.post("/api/v1/contacts", json={"name": "No"}, headers=writer)
    assert refused.status_code == 403 and "contacts:write" in refused.json()["detail"]
    admin = await _key(client, workspace, ["admin"])
    contact_id = await workspace.contact()
    for scope, operations in _samples(contact_id).items():
        for method, path, body in operations:
            assert (await _call(client, method, path, body, admin)).status_code in (200, 201), scope


async def test_the_role_still_applies_to_a_scoped_key(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    viewer = await _key(client, workspace, ["contacts:write"], role="viewer")
    assert (await client.get("/api/v1/contacts", headers=viewer)).status_code == 200
    refused = await client.post("/api/v1/contacts", json={"name": "No"}, headers=viewer)
    assert refused.status_code == 403 and "role" in refused.json()["detail"]


async def test_keys_made_before_scopes_keep_what_their_role_allows(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    agent = await workspace.key_with_role(Role.agent)
    listed = (await client.get("/api/v1/api-keys", headers=workspace.headers)).json()
    assert all(item["scopes"] is None for item in listed)
    contact_id = await workspace.contact()
    for operations in _samples(contact_id).values():
        for method, path, body in operations:
            response = await _call(client, method, path, body, workspace.headers)
            assert response.status_code in (200, 201), (method, path, response.text)
    assert (await client.post("/api/v1/contacts", json={"name": "Agent Made"}, headers=agent)).status_code == 201
    refused = await client.get("/api/v1/api-keys", headers=agent)
    assert refused.status_code == 403 and "admin role" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("scopes_sent", "named"),
    [(["orders:write", "orders:delete"], "orders:delete"), (["Contacts:Read"], "Contacts:Read"), ([], None)],
)
async def test_unknown_or_no_scopes_are_422_naming_scopes(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, scopes_sent: list[str], named: str | None
) -> None:
    response = await client.post(
        "/api/v1/api-keys", json={"name": "Bad", "scopes": scopes_sent}, headers=workspace.headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    error = response.json()["errors"][0]
    assert error["field"] == "scopes"
    if named:
        assert named in error["message"]


async def test_scopes_are_stored_once_each_in_catalogue_order(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    created = await client.post(
        "/api/v1/api-keys",
        json={"name": "Order", "scopes": ["orders:write", "contacts:read", "orders:write"]},
        headers=workspace.headers,
    )
    assert created.json()["scopes"] == ["contacts:read", "orders:write"]


async def test_last_used_is_kept_and_shown_in_the_console(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    headers = await _key(client, workspace, ["contacts:read"])
    listed = (await client.get("/api/v1/api-keys", headers=workspace.headers)).json()
    assert [k["last_used_at"] for k in listed if k["name"].startswith("scoped")] == [None]
    assert (await client.get("/api/v1/contacts", headers=headers)).status_code == 200
    listed = (await client.get("/api/v1/api-keys", headers=workspace.headers)).json()
    scoped = next(k for k in listed if k["name"].startswith("scoped"))
    assert scoped["last_used_at"] is not None
    await session.execute(
        update(ApiKey).where(ApiKey.id == scoped["id"]).values(last_used_at=utcnow() - timedelta(minutes=3))
    )
    await session.commit()
    await client.post("/api/v1/api-keys", json={"name": "Unused key"}, headers=workspace.headers)
    await login(client, workspace.admin_email)
    page = (await client.get("/settings")).text
    row = page[page.index("scoped [") :]
    row = row[: row.index("</tr>")]
    assert "3 minutes ago" in row and "contacts:read" in row
    unused = page[page.index("Unused key") :]
    assert "never" in unused[: unused.index("</tr>")]


async def test_the_console_creates_all_scope_and_scoped_keys(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings")).text)
    page = (await client.get("/settings")).text
    assert 'name="scope" value="all" checked' in page and 'value="orders:write"' in page
    made = await client.post("/settings/api-keys", data={"csrf_token": csrf, "name": "Everything", "scope": "all"})
    assert made.status_code == 200 and "Copy this key now" in made.text
    made = await client.post(
        "/settings/api-keys",
        data={"csrf_token": csrf, "name": "Shop sync", "scope": ["all", "orders:write", "contacts:read"]},
    )
    assert made.status_code == 200
    refused = await client.post(
        "/settings/api-keys", data={"csrf_token": csrf, "name": "Odd", "scope": ["orders:delete"]}
    )
    assert refused.status_code == 422 and "Unknown scope" in refused.text
    stored = {key.name: key.scopes for key in (await session.scalars(select(ApiKey))).all()}
    assert stored["Everything"] is None
    assert stored["Shop sync"] == ["contacts:read", "orders:write"]
    assert "Odd" not in stored


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, "never"),
        (5, "just now"),
        (60, "1 minute ago"),
        (180, "3 minutes ago"),
        (7200, "2 hours ago"),
        (86400 * 3, "3 days ago"),
    ],
)
def test_last_used_in_words(seconds: int | None, words: str) -> None:
    now = utcnow()
    assert time_ago(None if seconds is None else now - timedelta(seconds=seconds), now) == words
