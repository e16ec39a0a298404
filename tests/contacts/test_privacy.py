"""GDPR: export everything held about a person (art. 15); erase it on request (art. 17)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.db import Base
from frontdesk.workspaces.models import AuditEntry
from tests.factories import WorkspaceHandle


async def _contact_with_history(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> tuple[int, int]:
    h = workspace.headers
    contact_id = await workspace.contact(
        first_name="Erin", last_name="Erasure", emails=["erin@private.example"], phones=["+447400123456"], tags=["vip"]
    )
    child = await workspace.contact(name="Erin's child")
    await client.post(f"/api/v1/contacts/{contact_id}/notes", json={"body": "Erin's allergy: peanuts"}, headers=h)
    await client.patch(f"/api/v1/contacts/{contact_id}", json={"market": "b2c"}, headers=h)
    await client.post(
        f"/api/v1/contacts/{contact_id}/relationships", json={"kind": "buys_for", "to_contact_id": child}, headers=h
    )
    return contact_id, child


async def test_export_holds_profile_notes_timeline_and_relationships(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    contact_id, child = await _contact_with_history(client, workspace)
    response = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=workspace.headers)
    assert response.status_code == 200
    document = response.json()
    assert document["contact"]["emails"] == ["erin@private.example"]
    assert document["contact"]["phones"] == ["+447400123456"]
    assert [n["body"] for n in document["notes"]] == ["Erin's allergy: peanuts"]
    assert [e["kind"] for e in document["timeline"]] == ["created", "updated", "relationship_added"]
    assert [r["other_contact_id"] for r in document["relationships"]] == [child]


async def test_erasure_removes_every_trace_and_keeps_an_audit_entry(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, session: AsyncSession
) -> None:
    contact_id, child = await _contact_with_history(client, workspace)
    response = await client.delete(
        f"/api/v1/contacts/{contact_id}", params={"reason": "request by e-mail"}, headers=workspace.headers
    )
    assert response.status_code == 204
    assert (await client.get(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)).status_code == 404
    # No table anywhere still holds the person's data, not even the other contact's timeline.
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            dump = repr(rows)
            for secret in ("erin@private.example", "+447400123456", "peanuts", "Erasure"):
                assert secret not in dump, f"{secret} left in {table.name}"
    audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.erased"))).one()
    assert audit.subject_id == contact_id
    assert audit.details["reason"] == "request by e-mail"
    assert audit.details["removed"]["notes"] == 1
    child_view = (await client.get(f"/api/v1/contacts/{child}", headers=workspace.headers)).json()
    assert child_view["relationships"] == []


async def test_erased_email_can_be_used_again(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    contact_id = await workspace.contact(emails=["again@example.com"])
    await client.delete(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)
    response = await client.post(
        "/api/v1/contacts", json={"name": "New", "emails": ["again@example.com"]}, headers=workspace.headers
    )
    assert response.status_code == 201


async def test_erasing_twice_is_a_404_not_an_error(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    contact_id = await workspace.contact()
    assert (await client.delete(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)).status_code == 204
    assert (await client.delete(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)).status_code == 404


async def test_the_database_enforces_foreign_keys(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    # Erasure relies on ON DELETE CASCADE, which SQLite ignores unless foreign keys are switched on.
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO contact_notes (workspace_id, contact_id, author, body, created_at) "
                    "VALUES (:w, 999999, 'x', 'orphan', CURRENT_TIMESTAMP)"
                ),
                {"w": workspace.id},
            )


async def test_orders_are_exported_and_kept_without_the_person_after_erasure(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Erin Buyer", emails=["erin.buyer@private.example"])
    order_id = await workspace.order("E-1", buyer, "TEA-1")
    h = workspace.headers
    document = (await client.get(f"/api/v1/contacts/{buyer}/export", headers=h)).json()
    assert [o["external_id"] for o in document["orders"]] == ["E-1"]
    assert document["figures"]["orders"] == 1
    assert [c["from_stage"] for c in document["lifecycle_history"]] == ["prospect"]
    assert (await client.delete(f"/api/v1/contacts/{buyer}", headers=h)).status_code == 204
    # The order is a business record: it stays, with its revenue, but no longer says who bought it.
    order = (await client.get(f"/api/v1/orders/{order_id}", headers=h)).json()
    assert (order["buyer_id"], order["total"]) == (None, "10.00")
    assert (await client.get("/api/v1/reports/revenue-split", headers=h)).json()["consumer"] == "10.00"
    # Nothing derived about the person is left behind either.
    for table in ("customer_figures", "customer_ranges", "lifecycle_changes"):
        left = await session.scalar(text(f"SELECT count(*) FROM {table} WHERE contact_id = :id"), {"id": buyer})
        assert left == 0, table
