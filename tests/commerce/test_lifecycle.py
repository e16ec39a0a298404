"""Lifecycle stages at their thresholds, reseller reporting, and the stage history on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_customers
from frontdesk.commerce.models import CustomerFigures, LifecycleChange
from tests.factories import WorkspaceHandle

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


async def _stage(session: AsyncSession, workspace: WorkspaceHandle, contact_id: int, now: datetime) -> str:
    await refresh_customers(session=session, workspace_id=workspace.id, contact_ids=[contact_id], now=now)
    await session.commit()
    figures = await session.scalar(select(CustomerFigures).where(CustomerFigures.contact_id == contact_id))
    assert figures is not None
    await session.refresh(figures)
    return figures.lifecycle


async def test_stages_move_with_time_and_orders_at_their_thresholds(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Ada")
    await workspace.order("O-1", buyer, "TEA-1", ordered_at=T0.isoformat())
    assert await _stage(session, workspace, buyer, T0 + timedelta(days=179, hours=23)) == "new"
    assert await _stage(session, workspace, buyer, T0 + timedelta(days=180)) == "lapsed"
    assert await _stage(session, workspace, buyer, T0 + timedelta(days=364, hours=23)) == "lapsed"
    assert await _stage(session, workspace, buyer, T0 + timedelta(days=365)) == "churned"
    for n in range(2, 5):  # three more orders, a month apart, starting 400 days after the first
        ordered = T0 + timedelta(days=400 + 30 * n)
        await workspace.order(f"O-{n}", buyer, "TEA-1", ordered_at=ordered.isoformat())
    later = T0 + timedelta(days=400 + 30 * 4 + 1)
    assert await _stage(session, workspace, buyer, later) == "returning"  # 3 orders in the window: not 4
    await workspace.order("O-5", buyer, "TEA-1", ordered_at=(later - timedelta(hours=1)).isoformat())
    assert await _stage(session, workspace, buyer, later) == "regular"
    history = (
        await session.scalars(
            select(LifecycleChange.to_stage).where(LifecycleChange.contact_id == buyer).order_by(LifecycleChange.id)
        )
    ).all()
    # Writing an order also refreshes its buyer (as of the real clock): only the order of our steps is fixed.
    steps = iter(history)
    assert all(stage in steps for stage in ["new", "lapsed", "churned", "returning", "regular"]), history
    assert history[-1] == "regular"


async def test_occasional_buyers_came_back_but_rarely(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Ada")
    await workspace.order("O-1", buyer, "TEA-1", ordered_at=T0.isoformat())
    await workspace.order("O-2", buyer, "TEA-1", ordered_at=(T0 + timedelta(days=300)).isoformat())
    assert await _stage(session, workspace, buyer, T0 + timedelta(days=370)) == "occasional"


async def test_revenue_is_split_between_consumers_and_resellers(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    shop = await workspace.contact(kind="organisation", name="Tea Shop GmbH", vat_number="DE136695976")
    office = await workspace.contact(kind="organisation", name="Office Ltd", vat_number="DE136695976")
    unregistered = await workspace.contact(kind="organisation", name="Club e.V.")
    person = await workspace.contact(name="Ada")
    child = await workspace.contact(name="Ada's child")
    # Bought to resell, delivered to someone else: reseller revenue.
    await workspace.order("R-1", shop, "TEA-1", for_resale=True, recipient_id=person)
    await workspace.order("R-2", shop, "TEA-1", for_resale=True)
    # The same kind of buyer using the goods itself, or without a registration: consumer revenue.
    await workspace.order("C-1", office, "TEA-1", for_resale=True, recipient_id=office)
    await workspace.order("C-2", unregistered, "TEA-1", for_resale=True)
    await workspace.order("C-3", person, "TEA-1", recipient_id=child)
    refunded = await workspace.order("R-3", shop, "TEA-1", for_resale=True)
    h = workspace.headers
    await client.patch(f"/api/v1/orders/{refunded}", json={"status": "refunded"}, headers=h)
    split = (await client.get("/api/v1/reports/revenue-split", headers=h)).json()
    assert split == {
        "currency": "EUR",
        "consumer": "30.00",
        "reseller": "20.00",
        "consumer_orders": 3,
        "reseller_orders": 2,
    }
    shop_figures = (await client.get(f"/api/v1/contacts/{shop}/figures", headers=h)).json()
    office_figures = (await client.get(f"/api/v1/contacts/{office}/figures", headers=h)).json()
    assert (shop_figures["reseller"], office_figures["reseller"]) == (True, False)
    # The purchase for someone else links buyer and consumer.
    relationships = (await client.get(f"/api/v1/contacts/{person}", headers=h)).json()["relationships"]
    assert any(r["kind"] == "buys_for" and r["other_contact_id"] == child for r in relationships), relationships
    resellers = (await client.get("/api/v1/segments/resellers", headers=h)).json()
    assert resellers["count"] == 1
