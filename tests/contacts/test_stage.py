"""One customer status: the registry stage follows completed orders and never contradicts the lifecycle stage.

``contacts.stage`` is ``prospect`` for a contact without a completed order and ``customer`` for one with any;
commerce writes it whenever it refreshes the lifecycle stage, and no one sets it by hand (docs/registry.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.commerce.figures import refresh_workspace, registry_stage
from frontdesk.commerce.models import CustomerFigures, Lifecycle, Order, OrderStatus
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, ProductCreate
from frontdesk.commerce.service import do_change_order_status, do_upsert_product
from frontdesk.contacts import importer
from frontdesk.contacts.merge import do_merge_contacts
from frontdesk.contacts.models import Contact
from frontdesk.contacts.schemas import ContactCreate, ContactUpdate
from frontdesk.contacts.service import do_create_contact, do_update_contact, get_contact
from frontdesk.db import create_session_factory
from frontdesk.errors import InvalidInput
from tests.factories import WorkspaceHandle, make_workspace

_names = itertools.count()


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


# --- the API and the console refuse a stage that contradicts the orders ----------------------------------------


async def test_a_new_contact_is_a_prospect_and_cannot_be_created_as_a_customer(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    refused = await client.post("/api/v1/contacts", json={"name": "Eve", "stage": "customer"}, headers=h)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["stage"]
    assert "follows completed orders" in refused.json()["errors"][0]["message"]
    for body in ({"name": "Eve"}, {"name": "Ivy", "stage": "prospect"}):
        created = await client.post("/api/v1/contacts", json=body, headers=h)
        assert created.status_code == 201, created.text
        assert created.json()["stage"] == "prospect"


async def test_a_patch_may_repeat_the_stage_but_not_contradict_the_orders(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    contact_id = await workspace.contact(name="Ben")
    url = f"/api/v1/contacts/{contact_id}"
    refused = await client.patch(url, json={"stage": "customer", "market": "b2c"}, headers=h)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["stage"]
    assert (await client.get(url, headers=h)).json()["market"] is None  # nothing of the refused patch was kept

    await workspace.product("TEA")
    await workspace.order("B-1", contact_id, "TEA", ordered_at=_ago(2))
    read = (await client.get(url, headers=h)).json()
    assert read["stage"] == "customer"
    # A client that sends back what it read (stage included) keeps working.
    echoed = {key: read[key] for key in ("name", "stage", "emails", "tags", "country")} | {"market": "b2b"}
    assert (await client.patch(url, json=echoed, headers=h)).status_code == 200
    refused = await client.patch(url, json={"stage": "prospect"}, headers=h)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "stage"
    assert "this contact is a customer" in refused.json()["errors"][0]["message"]
    assert (await client.patch(url, json={"stage": None}, headers=h)).json()["stage"] == "customer"


async def test_an_import_does_not_set_the_stage(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    """A file exported by Frontdesk has a stage column: it imports, and the stage follows the orders."""
    csv = "name,emails,stage\nAnna,anna@import.example,customer\nBo,bo@import.example,prospect\n"
    response = await client.post(
        "/api/v1/contacts/import", files={"file": ("c.csv", csv, "text/csv")}, headers=workspace.headers
    )
    assert response.json()["created"] == 2, response.text
    listed = (await client.get("/api/v1/contacts", headers=workspace.headers)).json()["items"]
    assert {item["name"]: item["stage"] for item in listed} == {"Anna": "prospect", "Bo": "prospect"}


async def test_the_list_filters_by_lifecycle_stage_alone_and_with_a_segment(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA")
    fresh = await workspace.contact(name="Fresh", country="DE")
    await workspace.order("F-1", fresh, "TEA", ordered_at=_ago(3))
    gone = await workspace.contact(name="Gone", country="FR")
    await workspace.order("G-1", gone, "TEA", ordered_at=_ago(200))
    never = await workspace.contact(name="Never", country="DE")

    async def ids(**params: str) -> set[int]:
        response = await client.get("/api/v1/contacts", params=params, headers=workspace.headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids(stage="new") == {fresh}
    assert await ids(stage="lapsed") == {gone}
    assert await ids(stage="prospect") == {never}
    assert await ids(stage="customer") == {fresh, gone}  # any lifecycle stage but prospect
    assert await ids(stage="regular") == set()
    assert await ids(stage="new", rule='country = "DE"') == {fresh}
    assert await ids(stage="lapsed", rule='country = "DE"') == set()
    bad = await client.get("/api/v1/contacts", params={"stage": "lead"}, headers=workspace.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stage"


async def test_the_console_form_offers_no_stage_and_the_profile_shows_both(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    from tests.workspaces.test_console_auth import login

    await login(client, workspace.admin_email)
    form = await client.get("/contacts/new")
    assert 'name="stage"' not in form.text
    await workspace.product("TEA")
    buyer = await workspace.contact(name="Rita")
    await workspace.order("R-1", buyer, "TEA", ordered_at=_ago(1))
    profile = await client.get(f"/contacts/{buyer}")
    assert 'data-stage="customer"' in profile.text and 'data-lifecycle="new"' in profile.text


# --- the property: after any sequence of writes, stage and lifecycle agree with the orders ---------------------


@dataclass(frozen=True)
class Step:
    action: str  # contact, import, order, status, merge, patch, refresh
    a: int = 0
    b: int = 0
    status: str = "completed"


steps_strategy = st.lists(
    st.one_of(
        st.builds(Step, action=st.just("contact")),
        st.builds(Step, action=st.just("import"), a=st.integers(1, 3)),
        st.builds(
            Step,
            action=st.just("order"),
            a=st.integers(0, 20),
            b=st.integers(0, 400),
            status=st.sampled_from(["completed", "completed", "refunded", "cancelled"]),
        ),
        st.builds(
            Step,
            action=st.just("status"),
            a=st.integers(0, 20),
            status=st.sampled_from(["completed", "refunded", "cancelled"]),
        ),
        st.builds(Step, action=st.just("merge"), a=st.integers(0, 20), b=st.integers(0, 20)),
        st.builds(
            Step, action=st.just("patch"), a=st.integers(0, 20), status=st.sampled_from(["prospect", "customer"])
        ),
        st.builds(Step, action=st.just("refresh"), a=st.integers(0, 800)),
    ),
    min_size=1,
    max_size=14,
)


async def _check(session: AsyncSession, workspace_id: int) -> None:
    """For every contact: stage is customer exactly when it has a completed order, and lifecycle agrees."""
    bought = select(Order.id).where(Order.buyer_id == Contact.id, Order.status == OrderStatus.completed.value)
    rows = (
        await session.execute(
            select(Contact.id, Contact.stage, CustomerFigures.lifecycle, bought.exists())
            .outerjoin(CustomerFigures, CustomerFigures.contact_id == Contact.id)
            .where(Contact.workspace_id == workspace_id)
        )
    ).all()
    for contact_id, stage, lifecycle, has_completed in rows:
        expected = "customer" if has_completed else "prospect"
        assert stage == expected, (contact_id, stage, lifecycle, has_completed)
        assert registry_stage(lifecycle or Lifecycle.prospect.value) == stage, (contact_id, stage, lifecycle)


async def _run(session: AsyncSession, workspace_id: int, step: Step, state: dict[str, Any]) -> None:
    contacts: list[int] = state["contacts"]
    orders: list[int] = state["orders"]
    if step.action == "contact":
        contact = await do_create_contact(
            session=session, workspace_id=workspace_id, data=ContactCreate(name=f"C{len(contacts)}"), actor="t"
        )
        contacts.append(contact.id)
    elif step.action == "import":
        before = set((await session.scalars(select(Contact.id).where(Contact.workspace_id == workspace_id))).all())
        lines = [(n + 2, [f"Imported {next(_names)}", "customer"]) for n in range(step.a)]
        await importer.import_rows(
            session=session, workspace_id=workspace_id, header=["name", "stage"], rows=lines, atomic=True, actor="t"
        )
        after = (await session.scalars(select(Contact.id).where(Contact.workspace_id == workspace_id))).all()
        contacts.extend(sorted(set(after) - before))
    elif step.action == "order" and contacts:
        outcome = await write_orders(
            session=session,
            workspace_id=workspace_id,
            orders=[
                OrderCreate(
                    external_id=f"O-{next(_names)}",
                    buyer_id=contacts[step.a % len(contacts)],
                    status=OrderStatus(step.status),
                    currency="EUR",
                    ordered_at=state["now"] - timedelta(days=step.b),
                    lines=[{"sku": "TEA", "quantity": 1, "unit_price": "4.50"}],
                )
            ],
            actor="t",
        )
        assert not outcome.errors
        orders.extend(outcome.order_ids.values())
    elif step.action == "status" and orders:
        await do_change_order_status(
            session=session,
            workspace_id=workspace_id,
            order_id=orders[step.a % len(orders)],
            status=OrderStatus(step.status),
        )
    elif step.action == "merge" and len(contacts) >= 2:
        target_id = contacts[step.a % len(contacts)]
        duplicate_id = contacts[step.b % len(contacts)]
        if target_id != duplicate_id:
            target = await get_contact(session=session, workspace_id=workspace_id, contact_id=target_id)
            duplicate = await get_contact(session=session, workspace_id=workspace_id, contact_id=duplicate_id)
            merged = await do_merge_contacts(session=session, target=target, duplicate=duplicate, actor="t")
            contacts.remove(duplicate_id)
            bought = await session.scalar(
                select(Order.id)
                .where(Order.buyer_id == target_id, Order.status == OrderStatus.completed.value)
                .exists()
                .select()
            )
            assert merged.stage == ("customer" if bought else "prospect")  # the returned object is current too
    elif step.action == "patch" and contacts:
        contact_id = contacts[step.a % len(contacts)]
        current = (await get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)).stage
        try:
            await do_update_contact(
                session=session,
                workspace_id=workspace_id,
                contact_id=contact_id,
                patch=ContactUpdate.model_validate({"stage": step.status}),
                actor="t",
            )
        except InvalidInput as exc:
            assert step.status != current and exc.errors[0]["field"] == "stage"
            await session.rollback()
            return
        assert step.status == current
    elif step.action == "refresh":
        state["now"] = state["now"] + timedelta(days=step.a)
        await refresh_workspace(session=session, workspace_id=workspace_id, now=state["now"])
    await session.commit()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=steps_strategy)
async def test_after_any_writes_the_stage_follows_completed_orders_and_agrees_with_the_lifecycle(
    engine: AsyncEngine, steps: list[Step]
) -> None:
    workspace = await make_workspace(engine, f"Stages {next(_names)}")
    factory = create_session_factory(engine)
    state: dict[str, Any] = {"contacts": [], "orders": [], "now": datetime.now(UTC)}
    async with factory() as session:
        await do_upsert_product(
            session=session, workspace_id=workspace.id, data=ProductCreate(sku="TEA", name="Tea", range="Tea")
        )
        await session.commit()
    for step in [Step("contact"), Step("contact"), *steps]:
        async with factory() as session:
            await _run(session, workspace.id, step, state)
            await _check(session, workspace.id)
