"""Settings → Connections in the console: the hub, adding and changing an endpoint, its secret, the delivery
log and a delivery's page; admins only."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from frontdesk.connections.models import ShopConnection
from frontdesk.db import create_session_factory, utcnow
from frontdesk.webhooks import events
from frontdesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

PUBLIC_URL = "https://93.184.215.14/hooks"
HUB = "/settings/connections"


async def _sign_in(client: httpx.AsyncClient, email: str) -> str:
    assert (await login(client, email)).status_code == 303
    return csrf_of((await client.get("/settings")).text)


async def _endpoints(workspace: WorkspaceHandle) -> list[WebhookEndpoint]:
    async with create_session_factory(workspace.engine)() as session:
        return list((await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))).all())


async def _add(client: httpx.AsyncClient, csrf: str, url: str = PUBLIC_URL) -> httpx.Response:
    data = {"csrf_token": csrf, "url": url, "description": "CRM", "event_types": ["contact.created", "order.created"]}
    return await client.post(f"{HUB}/webhooks", data=data)


async def test_the_hub_lists_shops_and_endpoints(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    async with create_session_factory(workspace.engine)() as session:
        session.add(
            ShopConnection(
                workspace_id=workspace.id, kind="shopify", name="Acme store", public_token="tok-1", secret="s"
            )
        )
        await session.commit()
    csrf = await _sign_in(client, workspace.admin_email)
    assert (await _add(client, csrf)).status_code == 303
    page = await client.get(HUB)
    assert page.status_code == 200
    assert "Acme store" in page.text and "/settings/connections/shops/new" in page.text
    assert PUBLIC_URL in page.text and "2 event types" in page.text and "active" in page.text
    assert "Allow private network targets" in page.text and "Add endpoint" in page.text
    [endpoint] = await _endpoints(workspace)
    assert f"/settings/connections/webhooks/{endpoint.id}" in page.text


async def test_agents_and_viewers_get_403(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    endpoint_email = workspace.admin_email
    csrf = await _sign_in(client, endpoint_email)
    await _add(client, csrf)
    [endpoint] = await _endpoints(workspace)
    for role in (Role.agent, Role.viewer):
        client.cookies.clear()
        csrf = await _sign_in(client, await workspace.add_agent(role))
        for path in (HUB, f"{HUB}/webhooks/new", f"{HUB}/webhooks/{endpoint.id}", f"{HUB}/webhooks/{endpoint.id}/log"):
            response = await client.get(path, headers={"Accept": "text/html"})
            assert response.status_code == 403, (role, path)
        response = await client.post(f"{HUB}/webhooks/{endpoint.id}/secret", data={"csrf_token": csrf})
        assert response.status_code == 403 and endpoint.secret not in response.text
        assert (await _add(client, csrf)).status_code == 403
    assert len(await _endpoints(workspace)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": PUBLIC_URL}, "choose at least one event type"),
        ({"url": "http://127.0.0.1:9/x", "event_types": ["contact.created"]}, "can allow private targets"),
        ({"url": "ftp://x.example/", "event_types": ["contact.created"]}, "must start with https://"),
        ({"url": PUBLIC_URL, "event_types": ["contact.created"], "description": "d" * 201}, "at most 200"),
    ],
)
async def test_a_refused_form_comes_back_with_the_message_and_what_was_typed(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, data: dict[str, object], message: str
) -> None:
    csrf = await _sign_in(client, workspace.admin_email)
    response = await client.post(f"{HUB}/webhooks", data={"csrf_token": csrf, **data})
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert 'class="field-error"' in response.text and 'aria-invalid="true"' in response.text
    assert f'value="{data["url"]}"' in response.text
    if "event_types" in data:
        assert re.search(r'value="contact\.created" checked', response.text)
    assert await _endpoints(workspace) == []


async def test_the_private_targets_switch_lets_a_local_url_in(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _sign_in(client, workspace.admin_email)
    switched = await client.post(f"{HUB}/private-targets", data={"csrf_token": csrf, "allow_private_targets": "on"})
    assert switched.status_code == 303
    hub = await client.get(HUB)
    assert "allowed" in hub.text and re.search(r'name="allow_private_targets" checked', hub.text)
    assert (await _add(client, csrf, "http://127.0.0.1:9/x")).status_code == 303
    await client.post(f"{HUB}/private-targets", data={"csrf_token": csrf})
    assert not re.search(r'name="allow_private_targets" checked', (await client.get(HUB)).text)


async def test_endpoint_page_edit_pause_secret_rotation_and_delete(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _sign_in(client, workspace.admin_email)
    added = await _add(client, csrf)
    [endpoint] = await _endpoints(workspace)
    path = f"{HUB}/webhooks/{endpoint.id}"
    assert added.headers["location"].startswith(path)
    page = await client.get(path)
    assert page.status_code == 200 and "Endpoint added" in page.text
    assert endpoint.secret not in page.text  # shown only on asking
    revealed = await client.post(f"{path}/secret", data={"csrf_token": csrf})
    assert endpoint.secret in revealed.text
    edited = await client.post(
        path, data={"csrf_token": csrf, "url": PUBLIC_URL, "description": "ERP", "event_types": ["order.created"]}
    )
    assert edited.status_code == 303
    [endpoint] = await _endpoints(workspace)
    assert endpoint.event_types == ["order.created"] and endpoint.description == "ERP"
    refused = await client.post(
        path, data={"csrf_token": csrf, "url": "http://10.0.0.1/", "event_types": ["order.created"]}
    )
    assert refused.status_code == 422 and "private" in refused.text and 'value="http://10.0.0.1/"' in refused.text
    assert (await client.post(f"{path}/pause", data={"csrf_token": csrf})).status_code == 303
    assert "paused" in (await client.get(path)).text and (await _endpoints(workspace))[0].enabled is False
    await client.post(f"{path}/resume", data={"csrf_token": csrf})
    assert (await _endpoints(workspace))[0].enabled is True
    bad = await client.post(f"{path}/rotate", data={"csrf_token": csrf, "overlap_hours": "500"})
    assert bad.status_code == 422 and "between 0 and 168" in bad.text
    rotated = await client.post(f"{path}/rotate", data={"csrf_token": csrf, "overlap_hours": "12"})
    [after] = await _endpoints(workspace)
    assert rotated.status_code == 200 and after.secret in rotated.text and endpoint.secret in rotated.text
    assert after.previous_secret == endpoint.secret
    deleted = await client.post(f"{path}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303 and await _endpoints(workspace) == []
    assert (await client.get(path, headers={"Accept": "text/html"})).status_code == 404


async def test_an_auto_disabled_endpoint_shows_the_reason_and_enables_again(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _sign_in(client, workspace.admin_email)
    await _add(client, csrf)
    async with create_session_factory(workspace.engine)() as session:
        [endpoint] = (await session.scalars(select(WebhookEndpoint))).all()
        endpoint.disabled_at, endpoint.disabled_reason, endpoint.consecutive_failures = (
            utcnow(),
            "HTTP 503 for 3 days",
            9,
        )
        await session.commit()
    path = f"{HUB}/webhooks/{endpoint.id}"
    page = await client.get(path)
    assert "banner-disabled" in page.text and "HTTP 503 for 3 days" in page.text and "Enable again" in page.text
    assert "HTTP 503 for 3 days" in (await client.get(HUB)).text
    assert (await client.post(f"{path}/enable", data={"csrf_token": csrf})).status_code == 303
    [endpoint] = await _endpoints(workspace)
    assert endpoint.disabled_at is None and endpoint.consecutive_failures == 0
    assert "banner-disabled" not in (await client.get(path)).text


async def test_the_log_shows_deliveries_refreshes_resends_and_opens_one(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _sign_in(client, workspace.admin_email)
    await _add(client, csrf)
    [endpoint] = await _endpoints(workspace)
    path = f"{HUB}/webhooks/{endpoint.id}"
    page = await client.get(path)
    assert "Nothing sent yet" in page.text and 'hx-trigger="every 3s"' in page.text
    async with create_session_factory(workspace.engine)() as session:
        for number in range(30):
            await events.emit(
                session, workspace_id=workspace.id, event_type="contact.created", data={"name": f"N{number}"}
            )
        await session.commit()
    async with create_session_factory(workspace.engine)() as session:
        newest = (await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()))).first()
        assert newest is not None
        newest.status, newest.attempts, newest.last_status_code, newest.last_latency_ms = "failed", 3, 502, 120
        newest.finished_at = utcnow()
        session.add(
            WebhookAttempt(
                workspace_id=workspace.id, delivery_id=newest.id, status_code=502, latency_ms=120, error="bad gateway",
                request_headers={"webhook-id": "msg_1", "webhook-signature": "v1,abc"}, response_body="<h1>502</h1>",
            )
        )  # fmt: skip
        await session.commit()
        newest_id = newest.id
    # The fragment HTMX asks for: the newest page, ready to replace itself.
    fragment = await client.get(f"{path}/log", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="delivery-log"')
    assert f'data-delivery-id="{newest_id}"' in fragment.text and "502" in fragment.text and "120 ms" in fragment.text
    assert fragment.text.count('class="delivery ') == 25
    page = await client.get(path)
    older = re.search(r'href="([^"]*\?cursor=[^"#]*)', page.text)
    assert older is not None
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert second.text.count('class="delivery ') == 5 and 'hx-trigger="every 3s"' not in second.text
    detail = await client.get(f"{path}/deliveries/{newest_id}")
    assert detail.status_code == 200
    assert "N29" in detail.text and "webhook-signature: v1,abc" in detail.text and "bad gateway" in detail.text
    assert "&lt;h1&gt;502&lt;/h1&gt;" in detail.text
    resent = await client.post(f"{path}/deliveries/{newest_id}/resend", data={"csrf_token": csrf, "back": "delivery"})
    assert resent.status_code == 303 and resent.headers["location"].endswith(f"/deliveries/{newest_id}")
    async with create_session_factory(workspace.engine)() as session:
        delivery = await session.get(WebhookDelivery, newest_id)
        assert delivery is not None and delivery.status == "pending" and delivery.attempts == 3
    assert "Queued to be sent again" in (await client.get(resent.headers["location"])).text


async def test_another_workspaces_endpoint_is_not_found_in_the_console(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    csrf = await _sign_in(client, workspace.admin_email)
    await _add(client, csrf)
    [endpoint] = await _endpoints(workspace)
    client.cookies.clear()
    csrf = await _sign_in(client, other_workspace.admin_email)
    assert (await client.get(f"{HUB}/webhooks/{endpoint.id}", headers={"Accept": "text/html"})).status_code == 404
    revealed = await client.post(f"{HUB}/webhooks/{endpoint.id}/secret", data={"csrf_token": csrf})
    assert revealed.status_code == 404 and endpoint.secret not in revealed.text
    assert (await client.post(f"{HUB}/webhooks/{endpoint.id}/delete", data={"csrf_token": csrf})).status_code == 404
    assert PUBLIC_URL not in (await client.get(HUB)).text
    assert len(await _endpoints(workspace)) == 1
