"""GET /api/v1/contacts/{id}/health: the score, its parts, the reasons and the history, for one workspace only."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.success.health_world import NOW, complaint, customer, scored


async def test_a_customers_health_has_its_parts_reasons_and_history_newest_first(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    ada = await customer(session, workspace, orders=1, first=18, name="Ada")
    await scored(session, workspace, now=NOW)
    await complaint(session, workspace, ada)
    await scored(session, workspace, now=NOW + timedelta(days=1))
    await complaint(session, workspace, ada)
    await scored(session, workspace, now=NOW + timedelta(days=2))

    viewer = await workspace.key_with_role(Role.viewer)
    response = await client.get(f"/api/v1/contacts/{ada}/health", headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["score"] == round((89 * 35 + 0 * 20 + 100 * 10) / 65)
    assert body["components"]["complaints"] == {"value": 2, "score": 0, "weight": 20}
    assert body["components"]["nps"]["missing"] is True
    assert body["reasons"] == ["2 open complaints"]
    assert body["computed_at"].startswith("2026-06-03T12:00:00")
    assert [point["score"] for point in body["history"]] == [body["score"], 76, 95]
    assert body["history"][0]["recorded_at"].startswith("2026-06-03")

    limited = await client.get(f"/api/v1/contacts/{ada}/health?limit=1", headers=viewer)
    assert [point["score"] for point in limited.json()["history"]] == [body["score"]]
    assert (await client.get(f"/api/v1/contacts/{ada}/health?limit=0", headers=viewer)).status_code == 422


async def test_health_is_not_found_for_an_unscored_contact_or_another_workspaces_contact(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    secret = await customer(session, workspace, orders=1, first=18, name="Secret Customer")
    await complaint(session, workspace, secret)
    await scored(session, workspace)
    prospect = await workspace.contact(name="Prospect")

    missing = await client.get(f"/api/v1/contacts/{prospect}/health", headers=workspace.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")

    foreign = await client.get(f"/api/v1/contacts/{secret}/health", headers=other_workspace.headers)
    assert foreign.status_code == 404
    assert "Secret" not in foreign.text and "complaint" not in foreign.text
    assert (await client.get("/api/v1/contacts/999999/health", headers=workspace.headers)).status_code == 404
    assert (await client.get(f"/api/v1/contacts/{secret}/health")).status_code == 401
