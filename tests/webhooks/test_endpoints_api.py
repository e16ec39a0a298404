"""The webhooks API: endpoints, their secrets, the delivery log and resends, the private-target switch."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from frontdesk.db import create_session_factory, utcnow
from frontdesk.webhooks import events
from frontdesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from frontdesk.workspaces.models import AuditEntry, Role
from tests.factories import WorkspaceHandle

PUBLIC_URL = "https://93.184.215.14/hooks"  # a literal public address: no DNS needed in the tests


async def _create(client: httpx.AsyncClient, workspace: WorkspaceHandle, **fields: Any) -> dict[str, Any]:
    body = {"url": PUBLIC_URL, "event_types": ["contact.created"], **fields}
    response = await client.post("/api/v1/webhook-endpoints", json=body, headers=workspace.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _queue(workspace: WorkspaceHandle, count: int, event_type: str = "contact.created") -> None:
    """``count`` events through ``events.emit``, committed, as a change in the workspace would queue them."""
    async with create_session_factory(workspace.engine)() as session:
        for number in range(count):
            await events.emit(session, workspace_id=workspace.id, event_type=event_type, data={"n": number})
        await session.commit()


async def _deliveries(workspace: WorkspaceHandle) -> list[WebhookDelivery]:
    async with create_session_factory(workspace.engine)() as session:
        return list((await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))).all())


async def test_create_returns_the_secret_once_and_lists_the_endpoint(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    created = await _create(
        client, workspace, event_types=["order.created", "contact.created", "order.created"], description=" CRM "
    )
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 24
    # In the catalogue's order, once each.
    assert created["event_types"] == ["contact.created", "order.created"]
    assert created["description"] == "CRM" and created["state"] == "active"
    listed = (await client.get("/api/v1/webhook-endpoints", headers=workspace.headers)).json()
    assert [endpoint["id"] for endpoint in listed] == [created["id"]]
    assert "secret" not in listed[0]
    secret = (await client.get(f"/api/v1/webhook-endpoints/{created['id']}/secret", headers=workspace.headers)).json()
    assert secret == {"secret": created["secret"], "previous_secret": None, "previous_secret_expires_at": None}
    async with create_session_factory(workspace.engine)() as session:
        actions = list(await session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == workspace.id)))
    assert "webhook_endpoint.created" in actions


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"url": "ftp://93.184.215.14/x", "event_types": ["contact.created"]}, "url", "https://"),
        ({"url": "not a url", "event_types": ["contact.created"]}, "url", ""),
        ({"url": PUBLIC_URL, "event_types": []}, "event_types", ""),
        (
            {"url": PUBLIC_URL, "event_types": ["contact.created", "contact.exploded"]},
            "event_types",
            "contact.exploded",
        ),
        ({"url": PUBLIC_URL, "event_types": ["contact.created"], "description": "x" * 201}, "description", ""),
        ({"url": PUBLIC_URL, "event_types": ["contact.created"], "secret": "mine"}, "secret", ""),
    ],
)
async def test_invalid_endpoints_are_refused_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, body: dict[str, Any], field: str, words: str
) -> None:
    response = await client.post("/api/v1/webhook-endpoints", json=body, headers=workspace.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert words in response.text
    assert (await client.get("/api/v1/webhook-endpoints", headers=workspace.headers)).json() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://192.168.0.10/hook",
    ],
)
async def test_private_targets_are_refused_unless_the_workspace_allows_them(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, url: str
) -> None:
    h = workspace.headers
    refused = await client.post(
        "/api/v1/webhook-endpoints", json={"url": url, "event_types": ["contact.created"]}, headers=h
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "url"
    assert "private" in refused.text
    assert (await client.get("/api/v1/webhook-settings", headers=h)).json() == {"allow_private_targets": False}
    switched = await client.put("/api/v1/webhook-settings", json={"allow_private_targets": True}, headers=h)
    assert switched.json() == {"allow_private_targets": True}
    allowed = await client.post(
        "/api/v1/webhook-endpoints", json={"url": url, "event_types": ["contact.created"]}, headers=h
    )
    assert allowed.status_code == 201, allowed.text


async def test_a_url_changed_to_a_private_address_is_refused(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    created = await _create(client, workspace)
    response = await client.patch(
        f"/api/v1/webhook-endpoints/{created['id']}", json={"url": "http://10.0.0.1/"}, headers=workspace.headers
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "url"
    again = await client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=workspace.headers)
    assert again.json()["url"] == PUBLIC_URL


async def test_update_pause_resume_and_delete(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    h = workspace.headers
    created = await _create(client, workspace)
    path = f"/api/v1/webhook-endpoints/{created['id']}"
    changed = await client.patch(
        path, json={"description": "ERP", "event_types": ["order.created"], "url": "https://93.184.215.15/x"}, headers=h
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["order.created"] and changed.json()["url"] == "https://93.184.215.15/x"
    paused = await client.patch(path, json={"enabled": False}, headers=h)
    assert paused.json()["state"] == "paused"
    # Paused: its events are not queued.
    await _queue(workspace, 1, "order.created")
    assert await _deliveries(workspace) == []
    assert (await client.patch(path, json={"enabled": True}, headers=h)).json()["state"] == "active"
    await _queue(workspace, 1, "order.created")
    assert len(await _deliveries(workspace)) == 1
    bad = await client.patch(path, json={"event_types": ["nope"]}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "event_types"
    assert (await client.delete(path, headers=h)).status_code == 204
    assert (await client.get(path, headers=h)).status_code == 404
    assert await _deliveries(workspace) == []


async def test_rotation_keeps_the_old_secret_signing_for_the_overlap(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    created = await _create(client, workspace)
    path = f"/api/v1/webhook-endpoints/{created['id']}"
    before = utcnow()
    rotated = await client.post(f"{path}/rotate-secret", json={"overlap_hours": 48}, headers=h)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"] != created["secret"] and body["secret"].startswith("whsec_")
    assert body["previous_secret"] == created["secret"]
    expires_at = datetime.fromisoformat(body["previous_secret_expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(hours=47, minutes=59) < expires_at < utcnow() + timedelta(hours=48, minutes=1)
    assert (await client.get(f"{path}/secret", headers=h)).json()["secret"] == body["secret"]
    # Without a body: the default day of overlap; with 0, the old secret stops at once.
    default = (await client.post(f"{path}/rotate-secret", headers=h)).json()
    assert default["previous_secret"] == body["secret"]
    at_once = (await client.post(f"{path}/rotate-secret", json={"overlap_hours": 0}, headers=h)).json()
    assert at_once["previous_secret"] is None and at_once["previous_secret_expires_at"] is None
    too_long = await client.post(f"{path}/rotate-secret", json={"overlap_hours": 169}, headers=h)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "overlap_hours"


async def test_enable_clears_an_automatic_disabling(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    created = await _create(client, workspace)
    async with create_session_factory(workspace.engine)() as session:
        endpoint = await session.get(WebhookEndpoint, created["id"])
        assert endpoint is not None
        endpoint.disabled_at, endpoint.disabled_reason = utcnow(), "failing for 3 days (last: HTTP 500)"
        endpoint.failing_since, endpoint.consecutive_failures = utcnow() - timedelta(days=3), 40
        await session.commit()
    path = f"/api/v1/webhook-endpoints/{created['id']}"
    disabled = (await client.get(path, headers=workspace.headers)).json()
    assert disabled["state"] == "disabled" and "HTTP 500" in disabled["disabled_reason"]
    enabled = (await client.post(f"{path}/enable", headers=workspace.headers)).json()
    assert enabled["state"] == "active"
    assert enabled["disabled_reason"] is None and enabled["failing_since"] is None
    assert enabled["consecutive_failures"] == 0


async def test_delivery_log_pages_newest_first_filters_and_shows_attempts(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    created = await _create(client, workspace)
    await _queue(workspace, 5)
    ids = [delivery.id for delivery in await _deliveries(workspace)]
    async with create_session_factory(workspace.engine)() as session:
        first = await session.get(WebhookDelivery, ids[0])
        assert first is not None
        first.status, first.attempts, first.last_status_code, first.last_latency_ms = "failed", 2, 500, 31
        first.finished_at = utcnow()
        session.add(
            WebhookAttempt(
                workspace_id=workspace.id, delivery_id=first.id, request_headers={"webhook-id": "msg_x"},
                status_code=500, latency_ms=31, response_body="oops",
            )
        )  # fmt: skip
        await session.commit()
    path = f"/api/v1/webhook-endpoints/{created['id']}/deliveries"
    page = (await client.get(path, params={"limit": 2}, headers=h)).json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    assert page["items"][0]["event_type"] == "contact.created" and page["items"][0]["message_id"].startswith("msg_")
    seen = [item["id"] for item in page["items"]]
    while page["next_cursor"]:
        page = (await client.get(path, params={"limit": 2, "cursor": page["next_cursor"]}, headers=h)).json()
        seen += [item["id"] for item in page["items"]]
    assert seen == ids[::-1]
    failed = (await client.get(path, params={"status": "failed"}, headers=h)).json()["items"]
    assert [item["id"] for item in failed] == [ids[0]]
    assert failed[0]["last_status_code"] == 500 and failed[0]["last_latency_ms"] == 31
    detail = (await client.get(f"/api/v1/webhook-deliveries/{ids[0]}", headers=h)).json()
    assert detail["payload"]["type"] == "contact.created" and detail["payload"]["data"] == {"n": 0}
    assert [attempt["status_code"] for attempt in detail["attempts_log"]] == [500]
    assert detail["attempts_log"][0]["response_body"] == "oops"
    bad_cursor = await client.get(path, params={"cursor": "zzz"}, headers=h)
    assert bad_cursor.status_code == 422 and bad_cursor.json()["errors"][0]["field"] == "cursor"


async def test_resend_puts_a_delivery_back_to_pending(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await _create(client, workspace)
    await _queue(workspace, 1)
    [delivery] = await _deliveries(workspace)
    async with create_session_factory(workspace.engine)() as session:
        row = await session.get(WebhookDelivery, delivery.id)
        assert row is not None
        row.status, row.attempts, row.finished_at = "failed", 7, utcnow()
        row.next_attempt_at, row.lease_owner, row.lease_until = None, "gone", utcnow()
        await session.commit()
    response = await client.post(f"/api/v1/webhook-deliveries/{delivery.id}/resend", headers=workspace.headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending" and response.json()["attempts"] == 7
    [after] = await _deliveries(workspace)
    assert after.status == "pending" and after.finished_at is None and after.lease_owner is None
    assert after.next_attempt_at is not None and after.next_attempt_at <= utcnow()


async def test_event_types_are_listed_with_descriptions(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    listed = (await client.get("/api/v1/webhook-event-types", headers=workspace.headers)).json()
    assert [item["name"] for item in listed] == list(events.EVENT_TYPES)
    assert all(item["description"] for item in listed)


@pytest.mark.parametrize("role", [Role.agent, Role.viewer])
async def test_only_admins_manage_webhooks(client: httpx.AsyncClient, workspace: WorkspaceHandle, role: Role) -> None:
    created = await _create(client, workspace)
    headers = await workspace.key_with_role(role)
    for method, path in [
        ("GET", "/api/v1/webhook-endpoints"),
        ("POST", "/api/v1/webhook-endpoints"),
        ("GET", f"/api/v1/webhook-endpoints/{created['id']}/secret"),
        ("GET", "/api/v1/webhook-settings"),
        ("GET", "/api/v1/webhook-event-types"),
    ]:
        body = {"url": PUBLIC_URL, "event_types": ["contact.created"]} if method == "POST" else None
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (method, path, response.text)


async def test_another_workspaces_endpoints_and_deliveries_are_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    created = await _create(client, workspace)
    await _queue(workspace, 1)
    [delivery] = await _deliveries(workspace)
    b = other_workspace.headers
    endpoint_path = f"/api/v1/webhook-endpoints/{created['id']}"
    for method, path, body in [
        ("GET", endpoint_path, None),
        ("PATCH", endpoint_path, {"description": "hijacked"}),
        ("DELETE", endpoint_path, None),
        ("GET", f"{endpoint_path}/secret", None),
        ("POST", f"{endpoint_path}/rotate-secret", {"overlap_hours": 0}),
        ("POST", f"{endpoint_path}/enable", None),
        ("GET", f"{endpoint_path}/deliveries", None),
        ("GET", f"/api/v1/webhook-deliveries/{delivery.id}", None),
        ("POST", f"/api/v1/webhook-deliveries/{delivery.id}/resend", None),
    ]:
        response = await client.request(method, path, json=body, headers=b)
        assert response.status_code == 404, (method, path, response.text)
        assert created["secret"] not in response.text
    assert (await client.get("/api/v1/webhook-endpoints", headers=b)).json() == []
    await client.put("/api/v1/webhook-settings", json={"allow_private_targets": True}, headers=b)
    assert (await client.get("/api/v1/webhook-settings", headers=workspace.headers)).json()[
        "allow_private_targets"
    ] is False
    unchanged = (await client.get(endpoint_path, headers=workspace.headers)).json()
    assert unchanged["description"] == "" and unchanged["updated_at"] == created["updated_at"]
    assert (await client.get(f"{endpoint_path}/secret", headers=workspace.headers)).json()["secret"] == created[
        "secret"
    ]
