"""The segments page: live count and errors as the agent types, saving, built-in sizes, CSV export."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD, WorkspaceHandle
from tests.workspaces.test_console_auth import login


async def _sign_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    response = await login(client, workspace.admin_email, PASSWORD)
    assert response.status_code == 303
    page = await client.get("/segments")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_the_editor_counts_as_you_type_and_shows_where_a_rule_is_wrong(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Dana", country="DE")
    await workspace.contact(name="Pia", country="DE")
    await workspace.order("1", buyer, "TEA-1")
    csrf = await _sign_in(client, workspace)
    counted = await client.post(
        "/segments/preview", data={"rule": 'country = "DE" and orders >= 1', "csrf_token": csrf}
    )
    assert 'data-count="1"' in counted.text
    wrong = await client.post("/segments/preview", data={"rule": 'country = "DE" and ordrs >= 1', "csrf_token": csrf})
    assert "unknown field &#39;ordrs&#39;" in wrong.text and "(character 20)" in wrong.text
    hostile = await client.post("/segments/preview", data={"rule": "<script>alert(1)</script>", "csrf_token": csrf})
    assert "<script>" not in hostile.text
    saved = await client.post(
        "/segments", data={"name": "German buyers", "rule": 'country = "DE" and orders >= 1', "csrf_token": csrf}
    )
    assert saved.status_code == 303
    page = await client.get("/segments")
    assert "German buyers" in page.text
    row = re.search(r'data-segment="(\d+)"', page.text)
    assert row is not None
    # Sizes arrive one request per row (HTMX on load), so the page itself renders without counting.
    assert f'hx-get="/segments/{row.group(1)}/size"' in page.text and 'hx-get="/segments/prospects/size"' in page.text
    assert 'data-count="1"' in (await client.get(f"/segments/{row.group(1)}/size")).text
    assert 'data-count="1"' in (await client.get("/segments/prospects/size")).text
    assert (await client.get("/segments/no-such-segment/size")).status_code == 404
    exported = await client.get(f"/segments/{row.group(1)}/export.csv")
    assert exported.status_code == 200 and "Dana" in exported.text and "Pia" not in exported.text
    listed = await client.get("/contacts", params={"segment": row.group(1)})
    assert "Dana" in listed.text and "Pia" not in listed.text
    refused = await client.post("/segments", data={"name": "", "rule": "orders >", "csrf_token": csrf})
    assert refused.status_code == 422


async def test_the_contact_page_shows_orders_figures_and_stage_history(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1", "Tea")
    buyer = await workspace.contact(name="Dana")
    await workspace.order("W-77", buyer, "TEA-1")
    await _sign_in(client, workspace)
    page = await client.get(f"/contacts/{buyer}")
    assert page.status_code == 200
    assert "W-77" in page.text and 'data-figure="orders">1<' in page.text
    assert "Lifecycle stage: prospect → " in page.text
    timeline = (await client.get(f"/api/v1/contacts/{buyer}/timeline", headers=workspace.headers)).json()["items"]
    assert {"order", "stage"} <= {entry["kind"] for entry in timeline}
