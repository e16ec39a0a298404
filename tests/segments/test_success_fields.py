"""Segment fields of customer success: owner, the purchase model's predictions and the health score; and
giving every member of a segment an owner at once."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from frontdesk.contacts.models import ContactEvent
from frontdesk.db import create_session_factory
from frontdesk.success.models import CustomerHealth, CustomerPrediction
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_agent
from tests.contacts.test_owner import agent_id
from tests.factories import PASSWORD, WorkspaceHandle


async def predict(workspace: WorkspaceHandle, contact_id: int, **values: Any) -> None:
    """A prediction row as the refresh stores it (money in minor units, as floats), and a health score."""
    health = values.pop("health", None)
    async with create_session_factory(workspace.engine)() as session:
        if values:
            row = {
                "p_alive": 0.5,
                "expected_purchases_90d": 0.0,
                "expected_purchases_365d": 0.0,
                "expected_order_value_minor": 0.0,
                "clv_12m_minor": 0.0,
                **values,
            }
            session.add(
                CustomerPrediction(
                    contact_id=contact_id,
                    workspace_id=workspace.id,
                    frequency=2,
                    recency_days=30.0,
                    age_days=200.0,
                    **row,
                )
            )
        if health is not None:
            session.add(CustomerHealth(contact_id=contact_id, workspace_id=workspace.id, score=health))
        await session.commit()


async def count(client: httpx.AsyncClient, workspace: WorkspaceHandle, rule: str) -> int:
    response = await client.post("/api/v1/segments/preview", json={"rule": rule}, headers=workspace.headers)
    assert response.status_code == 200, (rule, response.text)
    return int(response.json()["count"])


async def members(client: httpx.AsyncClient, workspace: WorkspaceHandle, rule: str) -> set[str]:
    response = await client.get("/api/v1/contacts", params={"rule": rule}, headers=workspace.headers)
    assert response.status_code == 200, (rule, response.text)
    return {c["name"] for c in response.json()["items"]}


@pytest.fixture
async def scored(workspace: WorkspaceHandle) -> dict[str, int]:
    ids = {
        "risky": await workspace.contact(name="Risky"),
        "loyal": await workspace.contact(name="Loyal"),
        "edge": await workspace.contact(name="Edge"),
        "unscored": await workspace.contact(name="Unscored"),
    }
    await predict(workspace, ids["risky"], p_alive=0.2, clv_12m_minor=35000.0, expected_purchases_90d=0.25, health=30)
    await predict(
        workspace,
        ids["loyal"],
        p_alive=0.95,
        clv_12m_minor=90000.0,
        expected_purchases_90d=1.5,
        expected_purchases_365d=6.0,
        expected_order_value_minor=4999.0,
        health=85,
    )
    # Exactly 200.00 EUR and exactly 0.3: boundaries. No health score.
    await predict(workspace, ids["edge"], p_alive=0.3, clv_12m_minor=20000.0, expected_order_value_minor=2000.5)
    return ids


async def test_predictions_compare_in_major_units_and_empty_means_no_row(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, scored: dict[str, int]
) -> None:
    assert await members(client, workspace, "p_alive < 0.3 and clv_12m > 200") == {"Risky"}
    assert await members(client, workspace, "clv_12m >= 200 and p_alive <= 0.3") == {"Risky", "Edge"}
    assert await members(client, workspace, "clv_12m = 200") == {"Edge"}
    assert await members(client, workspace, "clv_12m > 200") == {"Risky", "Loyal"}
    # 2000.5 cents: above 20.00, below 20.01.
    assert await members(client, workspace, "expected_order_value > 20 and expected_order_value < 20.01") == {"Edge"}
    assert await members(client, workspace, "expected_order_value = 49.99") == {"Loyal"}
    assert await members(client, workspace, "expected_purchases_90d >= 1.5") == {"Loyal"}
    assert await members(client, workspace, "expected_purchases_365d > 5") == {"Loyal"}
    assert await members(client, workspace, "p_alive in (0.2, 0.3)") == {"Risky", "Edge"}
    # No prediction row: every comparison is false, "is null" true, and "not" means what it says.
    assert await members(client, workspace, "p_alive is null") == {"Unscored"}
    assert await members(client, workspace, "clv_12m is not null") == {"Risky", "Loyal", "Edge"}
    assert await members(client, workspace, "not (p_alive < 0.5)") == {"Loyal", "Unscored"}
    assert await members(client, workspace, "p_alive != 0.2") == {"Loyal", "Edge"}
    assert await members(client, workspace, "p_alive not in (0.2)") == {"Loyal", "Edge"}


async def test_health_is_an_integer_field_and_empty_without_a_score(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, scored: dict[str, int]
) -> None:
    assert await members(client, workspace, "health < 40") == {"Risky"}
    assert await members(client, workspace, "health < 40 and clv_12m > 100") == {"Risky"}
    assert await members(client, workspace, "health is null") == {"Edge", "Unscored"}
    assert await members(client, workspace, "health in (30, 85)") == {"Risky", "Loyal"}
    assert await members(client, workspace, "health not in (30)") == {"Loyal"}
    assert await members(client, workspace, "health >= 0") == {"Risky", "Loyal"}


async def test_other_workspaces_rows_never_count(
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    scored: dict[str, int],
) -> None:
    other = await other_workspace.contact(name="Rival's")
    await predict(other_workspace, other, p_alive=0.1, clv_12m_minor=99999.0, health=5)
    assert await count(client, other_workspace, "p_alive < 0.3 and clv_12m > 200 and health < 40") == 1
    assert await count(client, workspace, "p_alive < 0.3 and clv_12m > 200 and health < 40") == 1
    assert await count(client, workspace, "p_alive is not null") == 3


async def test_every_segment_path_reads_the_new_fields(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, scored: dict[str, int]
) -> None:
    h = workspace.headers
    created = await client.post(
        "/api/v1/segments", json={"name": "Save them", "rule": "p_alive < 0.3 and clv_12m > 200"}, headers=h
    )
    assert created.status_code == 201, created.text
    segment = created.json()["id"]
    assert (await client.get(f"/api/v1/segments/{segment}", headers=h)).json()["count"] == 1
    listed = (await client.get("/api/v1/segments", params={"counts": "true"}, headers=h)).json()["items"]
    assert next(s for s in listed if s["id"] == segment)["count"] == 1
    page = (await client.get(f"/api/v1/segments/{segment}/contacts", headers=h)).json()
    assert [c["id"] for c in page["items"]] == [scored["risky"]]
    exported = await client.get(f"/api/v1/segments/{segment}/export", headers=h)
    assert [row["name"] for row in csv.DictReader(io.StringIO(exported.text))] == ["Risky"]
    as_json = {"all": [{"field": "health", "op": "<", "value": 40}, {"field": "clv_12m", "op": ">", "value": "200"}]}
    preview = await client.post("/api/v1/segments/preview", json={"rule_json": as_json}, headers=h)
    assert preview.json()["count"] == 1 and preview.json()["rule"] == "health < 40 and clv_12m > 200"


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("p_alive < 1.5", "from 0 to 1"),
        ("p_alive < 0.12345", "at most 3 decimals"),
        ("clv_12m > 1.234", "two decimals"),
        ("health < 4.5", "whole number"),
        ("owner < 3", "only be compared with"),
        ('owner = "anna"', "e-mail address"),
        ("owner = 0", "agent's id"),
        ("owner = true", "e-mail address"),
    ],
)
async def test_bad_values_of_the_new_fields_say_why(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, rule: str, says: str
) -> None:
    response = await client.post("/api/v1/segments/preview", json={"rule": rule}, headers=workspace.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "rule"
    assert says in response.json()["errors"][0]["message"]


async def test_owner_field_by_address_ignoring_case_or_id_and_only_this_workspaces_agents(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    anna_email = await workspace.add_agent(Role.agent)
    anna = await agent_id(client, workspace, anna_email)
    ben = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    await workspace.contact(name="Anna's", owner_id=anna)
    await workspace.contact(name="Ben's", owner_id=ben)
    await workspace.contact(name="Nobody's")
    assert await members(client, workspace, f'owner = "{anna_email.upper()}"') == {"Anna's"}
    assert await members(client, workspace, f"owner = {ben}") == {"Ben's"}
    assert await members(client, workspace, f'owner != "{anna_email}"') == {"Ben's"}
    assert await members(client, workspace, "owner is null") == {"Nobody's"}
    assert await members(client, workspace, "owner is not null") == {"Anna's", "Ben's"}
    assert await members(client, workspace, f'owner in ("{anna_email}", {ben})') == {"Anna's", "Ben's"}
    assert await members(client, workspace, f'owner not in ("{anna_email}")') == {"Ben's"}
    assert await members(client, workspace, 'owner = "nobody@acme.example"') == set()
    # An agent of another workspace with the very same address owns nothing here, and vice versa.
    rival = await other_workspace.contact(name="Rival's")
    async with create_session_factory(other_workspace.engine)() as session:
        twin = await do_create_agent(
            session=session,
            workspace_id=other_workspace.id,
            data=AgentCreate(email=anna_email, display_name="Twin", password=PASSWORD),
        )
        await session.commit()
    await client.patch(f"/api/v1/contacts/{rival}", json={"owner_id": twin.id}, headers=other_workspace.headers)
    assert await members(client, workspace, f'owner = "{anna_email}"') == {"Anna's"}
    assert await members(client, other_workspace, f'owner = "{anna_email}"') == {"Rival's"}
    assert await members(client, other_workspace, f"owner = {anna}") == set()


async def test_bulk_owner_sets_only_the_members_in_one_go(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, scored: dict[str, int]
) -> None:
    h = workspace.headers
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    ben = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    await client.patch(f"/api/v1/contacts/{scored['edge']}", json={"owner_id": ben}, headers=h)
    rival = await other_workspace.contact(name="Rival's", country="DE")
    segment = (
        await client.post("/api/v1/segments", json={"name": "Worth keeping", "rule": "clv_12m >= 200"}, headers=h)
    ).json()["id"]
    response = await client.post(f"/api/v1/segments/{segment}/owner", json={"owner_id": anna}, headers=h)
    assert response.status_code == 200, response.text
    assert response.json() == {"updated": 3}
    owners = {c["name"]: c["owner_id"] for c in (await client.get("/api/v1/contacts", headers=h)).json()["items"]}
    assert owners == {"Risky": anna, "Loyal": anna, "Edge": anna, "Unscored": None}
    # Members who have that owner already are not counted again; each change is on its contact's timeline.
    again = await client.post(f"/api/v1/segments/{segment}/owner", json={"owner_id": anna}, headers=h)
    assert again.json() == {"updated": 0}
    timeline = (await client.get(f"/api/v1/contacts/{scored['edge']}/timeline", headers=h)).json()["items"]
    latest = next(e for e in timeline if e["kind"] == "owner_changed")
    assert latest["data"]["to"] == anna and latest["data"]["segment"] == "Worth keeping"
    async with create_session_factory(workspace.engine)() as session:
        events = (await session.scalars(select(ContactEvent).where(ContactEvent.kind == "owner_changed"))).all()
    assert sorted(e.contact_id for e in events) == sorted(
        [scored["edge"], scored["edge"], scored["risky"], scored["loyal"]]
    )
    # A built-in segment works the same way; null takes the owner away. Another workspace's contacts stay.
    cleared = await client.post("/api/v1/segments/external/owner", json={"owner_id": None}, headers=h)
    assert cleared.json() == {"updated": 3}
    rival_read = (await client.get(f"/api/v1/contacts/{rival}", headers=other_workspace.headers)).json()
    assert rival_read["owner_id"] is None
    owners = {c["name"]: c["owner_id"] for c in (await client.get("/api/v1/contacts", headers=h)).json()["items"]}
    assert set(owners.values()) == {None}


async def test_bulk_owner_is_for_admins_of_the_workspace_only(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, scored: dict[str, int]
) -> None:
    h = workspace.headers
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    foreign = await agent_id(client, other_workspace, await other_workspace.add_agent(Role.agent))
    segment = (
        await client.post("/api/v1/segments", json={"name": "All", "rule": 'kind = "person"'}, headers=h)
    ).json()["id"]
    agent_key = await workspace.key_with_role(Role.agent)
    forbidden = await client.post(f"/api/v1/segments/{segment}/owner", json={"owner_id": anna}, headers=agent_key)
    assert forbidden.status_code == 403
    # Another workspace's admin: the saved segment is not found; a built-in one changes only their contacts.
    b = other_workspace.headers
    hidden = await client.post(f"/api/v1/segments/{segment}/owner", json={"owner_id": None}, headers=b)
    assert hidden.status_code == 404 and "All" not in hidden.text
    foreign_owner = await client.post(f"/api/v1/segments/{segment}/owner", json={"owner_id": foreign}, headers=h)
    assert foreign_owner.status_code == 422 and foreign_owner.json()["errors"][0]["field"] == "owner_id"
    for body in ({}, {"owner_id": "x"}, {"owner_id": 0}):
        bad = await client.post(f"/api/v1/segments/{segment}/owner", json=body, headers=h)
        assert bad.status_code == 422, body
    unknown = await client.post("/api/v1/segments/no-such/owner", json={"owner_id": anna}, headers=h)
    assert unknown.status_code == 404
    owners = {c["owner_id"] for c in (await client.get("/api/v1/contacts", headers=h)).json()["items"]}
    assert owners == {None}
    builtin = await client.post("/api/v1/segments/external/owner", json={"owner_id": foreign}, headers=b)
    assert builtin.json() == {"updated": 0}
    owners = {c["owner_id"] for c in (await client.get("/api/v1/contacts", headers=h)).json()["items"]}
    assert owners == {None}
