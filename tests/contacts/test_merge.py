"""Merging a duplicate keeps everything both contacts held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.workspaces.models import AuditEntry
from tests.factories import WorkspaceHandle


async def test_merge_moves_everything_and_removes_the_duplicate(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    h = workspace.headers
    await client.post("/api/v1/attributes", json={"key": "plan", "label": "Plan", "type": "text"}, headers=h)
    keep = await workspace.contact(
        first_name="Anna",
        last_name="Berg",
        emails=["anna@work.example"],
        country="SE",
        tags=["vip"],
        roles=["customer"],
        attributes={"plan": "pro"},
    )
    dup = await workspace.contact(
        name="A. Berg",
        emails=["anna@home.example"],
        phones=["+46701234567"],
        country="NO",
        tags=["newsletter"],
        roles=["consumer"],
        attributes={"plan": "basic"},
    )
    organisation = await workspace.contact(kind="organisation", name="Berg AB")
    await workspace.product("TEA")
    await workspace.order("DUP-1", dup, "TEA")  # the duplicate has bought: a customer
    await client.post(
        f"/api/v1/contacts/{dup}/relationships", json={"kind": "acts_for", "to_contact_id": organisation}, headers=h
    )
    await client.post(f"/api/v1/contacts/{dup}/notes", json={"body": "prefers phone"}, headers=h)

    response = await client.post(f"/api/v1/contacts/{keep}/merge", json={"duplicate_id": dup}, headers=h)
    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["emails"] == ["anna@work.example", "anna@home.example"]
    assert merged["phones"] == ["+46701234567"]
    assert merged["country"] == "SE"  # the target's value wins ...
    assert merged["stage"] == "customer"  # ... and the duplicate's order makes the target a customer
    assert merged["tags"] == ["newsletter", "vip"]
    assert merged["roles"] == ["customer", "consumer"]
    assert merged["attributes"] == {"plan": "pro"}
    assert [(r["kind"], r["other_contact_id"]) for r in merged["relationships"]] == [("acts_for", organisation)]
    assert (await client.get(f"/api/v1/contacts/{dup}", headers=h)).status_code == 404

    timeline = (await client.get(f"/api/v1/contacts/{keep}/timeline", headers=h)).json()["items"]
    assert "prefers phone" in [item["body"] for item in timeline]
    merge_event = next(item for item in timeline if item["kind"] == "merged")
    # ... and what could not be kept is on the record, so nothing is lost.
    assert merge_event["data"]["values_not_taken"] == {"country": "NO", "attributes": {"plan": "basic"}}
    assert merge_event["data"]["duplicate"]["name"] == "A. Berg"
    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.merged"))).all()
    assert [(a.subject_id, a.details) for a in audit] == [(keep, {"duplicate_id": dup})]


async def test_merging_two_related_contacts_drops_the_self_link(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    parent = await workspace.contact(name="Parent")
    parent_again = await workspace.contact(name="Parent (again)")
    await client.post(
        f"/api/v1/contacts/{parent}/relationships",
        json={"kind": "buys_for", "to_contact_id": parent_again},
        headers=workspace.headers,
    )
    response = await client.post(
        f"/api/v1/contacts/{parent}/merge", json={"duplicate_id": parent_again}, headers=workspace.headers
    )
    assert response.status_code == 200
    assert response.json()["relationships"] == []


async def test_a_contact_cannot_be_merged_into_itself(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    contact_id = await workspace.contact()
    response = await client.post(
        f"/api/v1/contacts/{contact_id}/merge", json={"duplicate_id": contact_id}, headers=workspace.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "duplicate_id"


async def test_organisation_data_of_a_duplicate_organisation_is_kept_on_a_person_merge_record(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    person = await workspace.contact(name="Pat")
    organisation = await workspace.contact(kind="organisation", name="Pat Ltd", vat_number="GB980780684")
    response = await client.post(
        f"/api/v1/contacts/{person}/merge", json={"duplicate_id": organisation}, headers=workspace.headers
    )
    assert response.status_code == 200
    assert response.json()["vat_number"] is None
    timeline = (await client.get(f"/api/v1/contacts/{person}/timeline", headers=workspace.headers)).json()["items"]
    merged = next(item for item in timeline if item["kind"] == "merged")
    assert merged["data"]["values_not_taken"]["vat_number"] == "GB980780684"


async def test_merge_moves_the_duplicates_orders_and_recomputes_figures(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    await workspace.product("SKU-1")
    keep = await workspace.contact(name="Anna", emails=["anna@work.example"])
    dup = await workspace.contact(name="A. Berg", emails=["anna@home.example"])
    friend = await workspace.contact(name="Bo")
    recently = (datetime.now(UTC) - timedelta(days=5)).replace(microsecond=0)
    await workspace.order("K-1", keep, "SKU-1", ordered_at=(recently - timedelta(days=5)).isoformat())
    await workspace.order("D-1", dup, "SKU-1", ordered_at=recently.isoformat())
    await workspace.order("F-1", friend, "SKU-1", recipient_id=dup)

    response = await client.post(f"/api/v1/contacts/{keep}/merge", json={"duplicate_id": dup}, headers=h)
    assert response.status_code == 200, response.text
    orders = (await client.get(f"/api/v1/orders?contact_id={keep}", headers=h)).json()["items"]
    assert sorted((o["external_id"], o["buyer_id"], o["recipient_id"]) for o in orders) == [
        ("D-1", keep, None),
        ("F-1", friend, keep),  # received as a gift
        ("K-1", keep, None),
    ]
    figures = (await client.get(f"/api/v1/contacts/{keep}/figures", headers=h)).json()
    assert (figures["orders"], figures["total_spent"], figures["last_order_at"]) == (
        2,
        "20.00",
        recently.isoformat().replace("+00:00", "Z"),
    )
    stages = (await client.get(f"/api/v1/contacts/{keep}/lifecycle", headers=h)).json()  # newest first
    assert stages[0]["to_stage"] == figures["lifecycle"] == "returning"
    assert (await client.get(f"/api/v1/contacts/{keep}", headers=h)).json()["stage"] == "customer"
    assert len(stages) == 3  # the target's own change, the duplicate's (moved over), and the merge's
