"""Every webhook event type is emitted by the change it names, in that change's transaction: one event row and
one delivery per subscribed endpoint, with data in the documented shape; nothing when the change rolls back."""

from __future__ import annotations

import base64
import csv
import io
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact
from frontdesk.db import create_session_factory, utcnow
from frontdesk.segments.service import do_refresh_segment_events
from frontdesk.webhooks.events import EVENT_TYPES
from frontdesk.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from frontdesk.webhooks.payloads import PAYLOAD_MODELS
from frontdesk.workspaces.models import Agent
from tests.factories import WorkspaceHandle

RECENT = utcnow().replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def subscribe(engine: AsyncEngine, workspace_id: int, types: list[str] | None = None, **fields: Any) -> int:
    async with create_session_factory(engine)() as session:
        endpoint = WebhookEndpoint(
            workspace_id=workspace_id,
            url="https://hooks.example.com/x",
            secret="whsec_" + base64.b64encode(os.urandom(24)).decode(),
            event_types=list(EVENT_TYPES) if types is None else types,
            **fields,
        )
        session.add(endpoint)
        await session.commit()
        return endpoint.id


async def last_event_id(engine: AsyncEngine) -> int:
    async with create_session_factory(engine)() as session:
        return int(await session.scalar(select(func.max(WebhookEvent.id))) or 0)


async def events_since(engine: AsyncEngine, after: int, event_type: str | None = None) -> list[WebhookEvent]:
    async with create_session_factory(engine)() as session:
        statement = select(WebhookEvent).where(WebhookEvent.id > after).order_by(WebhookEvent.id)
        if event_type is not None:
            statement = statement.where(WebhookEvent.event_type == event_type)
        return list((await session.scalars(statement)).all())


async def deliveries_of(engine: AsyncEngine, event_ids: list[int]) -> list[tuple[int, int]]:
    async with create_session_factory(engine)() as session:
        rows = await session.execute(
            select(WebhookDelivery.event_id, WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id.in_(event_ids))
        )
        return sorted((event_id, endpoint_id) for event_id, endpoint_id in rows.all())


@dataclass
class World:
    client: httpx.AsyncClient
    workspace: WorkspaceHandle
    engine: AsyncEngine

    @property
    def h(self) -> dict[str, str]:
        return self.workspace.headers

    async def post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.client.post(url, headers=self.h, **kwargs)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    async def patch(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.patch(url, json=body, headers=self.h)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def admin_id(self) -> int:
        async with create_session_factory(self.engine)() as session:
            return int(await session.scalar(select(Agent.id).where(Agent.workspace_id == self.workspace.id)) or 0)

    async def customer(self, name: str = "Ann", sku: str = "TEA-1") -> int:
        await self.workspace.product(sku)
        contact_id = await self.workspace.contact(name=name, emails=[f"{name.lower()}@example.com"])
        await self.workspace.order(f"O-{name}", contact_id, sku, ordered_at=RECENT)
        return contact_id


# Each trigger sets the scene (which may emit other events), then returns the action whose events are checked
# and the contact the events are about (None: no person, or contact.erased).
Action = Callable[[], Awaitable[Any]]
Trigger = Callable[[World], Awaitable[tuple[Action, int | None]]]


async def _contact_created(w: World) -> tuple[Action, int | None]:
    return lambda: w.post("/api/v1/contacts", json={"name": "Ann Example", "emails": ["ann@example.com"]}), None


async def _contact_updated(w: World) -> tuple[Action, int | None]:
    contact_id = await w.workspace.contact(name="Ann")
    return lambda: w.patch(f"/api/v1/contacts/{contact_id}", {"country": "DE"}), contact_id


async def _contact_merged(w: World) -> tuple[Action, int | None]:
    kept, gone = await w.workspace.contact(name="Ann"), await w.workspace.contact(name="Ann B.")
    return lambda: w.post(f"/api/v1/contacts/{kept}/merge", json={"duplicate_id": gone}), kept


async def _contact_erased(w: World) -> tuple[Action, int | None]:
    contact_id = await w.workspace.contact(name="Erin Erased", emails=["erin@example.com"])

    async def erase() -> None:
        response = await w.client.delete(f"/api/v1/contacts/{contact_id}", headers=w.h)
        assert response.status_code == 204, response.text

    return erase, None


async def _conversation_created(w: World) -> tuple[Action, int | None]:
    return lambda: w.workspace.conversation("Hello, is anyone there?"), None


async def _conversation_assigned(w: World) -> tuple[Action, int | None]:
    conversation_id = await w.workspace.conversation("Help")
    agent_id = await w.admin_id()
    return lambda: w.patch(f"/api/v1/conversations/{conversation_id}", {"assignee_id": agent_id}), None


async def _conversation_resolved(w: World) -> tuple[Action, int | None]:
    conversation_id = await w.workspace.conversation("Help")
    return lambda: w.patch(f"/api/v1/conversations/{conversation_id}", {"status": "resolved"}), None


async def _message_created(w: World) -> tuple[Action, int | None]:
    conversation_id = await w.workspace.conversation("Help")
    body = {"body": "We are on it", "client_id": "agent-1"}
    return lambda: w.post(f"/api/v1/conversations/{conversation_id}/messages", json=body), None


async def _order_created(w: World) -> tuple[Action, int | None]:
    await w.workspace.product("TEA-1")
    buyer = await w.workspace.contact(name="Ann")
    body = {
        "external_id": "O-1",
        "buyer_id": buyer,
        "currency": "EUR",
        "ordered_at": RECENT,
        "lines": [{"sku": "TEA-1", "quantity": 2, "unit_price": "4.50"}],
    }
    return lambda: w.post("/api/v1/orders", json=body), buyer


async def _lifecycle_changed(w: World) -> tuple[Action, int | None]:
    await w.workspace.product("TEA-1")
    buyer = await w.workspace.contact(name="Ann")
    return lambda: w.workspace.order("O-1", buyer, "TEA-1", ordered_at=RECENT), buyer


async def _segment_refresh(w: World) -> None:
    async with create_session_factory(w.engine)() as session:
        await do_refresh_segment_events(session=session, workspace_id=w.workspace.id)
        await session.commit()


async def _segment_entered(w: World) -> tuple[Action, int | None]:
    buyer = await w.customer()
    await w.post("/api/v1/segments", json={"name": "Buyers", "rule": "orders >= 1"})
    return lambda: _segment_refresh(w), buyer


async def _segment_left(w: World) -> tuple[Action, int | None]:
    buyer = await w.customer()
    await w.post("/api/v1/segments", json={"name": "Buyers", "rule": "orders >= 1"})
    await _segment_refresh(w)
    orders = (await w.client.get("/api/v1/orders", headers=w.h)).json()["items"]
    await w.patch(f"/api/v1/orders/{orders[0]['id']}", {"status": "refunded"})
    return lambda: _segment_refresh(w), buyer


async def _survey_answered(w: World) -> tuple[Action, int | None]:
    buyer = await w.customer()
    survey_id = (await w.post("/api/v1/surveys", json={"name": "NPS", "segment": "new"}))["id"]
    await w.post(f"/api/v1/surveys/{survey_id}/send")
    export = await w.client.get(f"/api/v1/surveys/{survey_id}/links", headers=w.h)
    token = next(csv.DictReader(io.StringIO(export.text)))["link"].rsplit("/s/", 1)[1]

    async def answer() -> None:
        response = await w.client.post(f"/s/{token}", data={"score": "9", "comment": "Great"})
        assert response.status_code == 200, response.text

    return answer, buyer


async def _review_submitted(w: World) -> tuple[Action, int | None]:
    buyer = await w.customer()
    body = {"contact_id": buyer, "sku": "TEA-1", "rating": 5, "title": "Lovely", "body": "Great tea."}
    return lambda: w.post("/api/v1/reviews", json=body), buyer


async def _complaint_created(w: World) -> tuple[Action, int | None]:
    contact_id = await w.workspace.contact(name="Ann")
    return lambda: w.post("/api/v1/complaints", json={"contact_id": contact_id, "summary": "Late"}), contact_id


async def _complaint_resolved(w: World) -> tuple[Action, int | None]:
    contact_id = await w.workspace.contact(name="Ann")
    complaint = await w.post("/api/v1/complaints", json={"contact_id": contact_id, "summary": "Late"})
    body = {"status": "resolved", "resolution": "Refunded the shipping"}
    return lambda: w.patch(f"/api/v1/complaints/{complaint['id']}", body), contact_id


async def _task_created(w: World) -> tuple[Action, int | None]:
    contact_id = await w.workspace.contact(name="Ann")
    body = {"contact_id": contact_id, "title": "Call Ann", "due_at": RECENT}
    return lambda: w.post("/api/v1/success/tasks", json=body), contact_id


TRIGGERS: dict[str, Trigger] = {
    "contact.created": _contact_created,
    "contact.updated": _contact_updated,
    "contact.merged": _contact_merged,
    "contact.erased": _contact_erased,
    "conversation.created": _conversation_created,
    "conversation.assigned": _conversation_assigned,
    "conversation.resolved": _conversation_resolved,
    "message.created": _message_created,
    "order.created": _order_created,
    "lifecycle.changed": _lifecycle_changed,
    "segment.entered": _segment_entered,
    "segment.left": _segment_left,
    "survey.answered": _survey_answered,
    "review.submitted": _review_submitted,
    "complaint.created": _complaint_created,
    "complaint.resolved": _complaint_resolved,
    "task.created": _task_created,
}


def test_every_event_type_has_a_trigger_and_a_payload_model() -> None:
    assert set(TRIGGERS) == set(EVENT_TYPES) == set(PAYLOAD_MODELS)


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
async def test_each_event_type_is_emitted_once_with_a_delivery_and_its_documented_data(
    event_type: str, client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    trigger = TRIGGERS.get(event_type)
    assert trigger is not None, f"no trigger for {event_type}"
    endpoint_id = await subscribe(engine, workspace.id)
    world = World(client, workspace, engine)
    action, about = await trigger(world)
    mark = await last_event_id(engine)
    await action()
    emitted = await events_since(engine, mark, event_type)
    assert len(emitted) == 1, [e.payload for e in await events_since(engine, mark)]
    row = emitted[0]
    assert row.workspace_id == workspace.id
    assert await deliveries_of(engine, [row.id]) == [(row.id, endpoint_id)]
    assert set(row.payload) == {"type", "timestamp", "data"} and row.payload["type"] == event_type
    assert row.payload["timestamp"].endswith("Z")
    PAYLOAD_MODELS[event_type].model_validate(row.payload["data"])
    if about is not None:
        assert row.contact_id == about
    if event_type == "contact.erased":
        assert row.contact_id is None
        assert set(row.payload["data"]) == {"contact_id"}
        assert "Erin" not in str(row.payload) and "erin@example.com" not in str(row.payload)


async def test_contact_payloads_are_what_the_api_returns(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await subscribe(engine, workspace.id, ["contact.created"])
    created = await client.post(
        "/api/v1/contacts",
        json={"name": "Ann", "emails": ["ann@example.com"], "tags": ["vip"]},
        headers=workspace.headers,
    )
    (row,) = await events_since(engine, 0, "contact.created")
    read = (await client.get(f"/api/v1/contacts/{created.json()['id']}", headers=workspace.headers)).json()
    assert row.payload["data"] == read == created.json()


async def test_a_change_rolled_back_leaves_no_event_and_no_delivery(
    workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await subscribe(engine, workspace.id)
    async with create_session_factory(engine)() as session:
        with pytest.raises(RuntimeError):
            async with session.begin():
                await do_create_contact(
                    session=session, workspace_id=workspace.id, data=ContactCreate(name="Ghost"), actor="test"
                )
                assert await session.scalar(select(func.count()).select_from(WebhookEvent)) == 1  # queued...
                raise RuntimeError("the change fails after the event was queued")
    assert await events_since(engine, 0) == []  # ...and gone with the change
    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_an_api_call_failing_half_way_leaves_no_event(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await workspace.product("TEA-1")
    await subscribe(engine, workspace.id)
    # The order and its new buyer are written (and their events queued) before the referral code is refused.
    body = {
        "external_id": "O-1",
        "buyer_email": "new@example.com",
        "currency": "EUR",
        "ordered_at": RECENT,
        "lines": [{"sku": "TEA-1", "quantity": 1, "unit_price": "4.50"}],
    }
    refused = await client.post(
        "/api/v1/orders", params={"referral_code": "NOSUCHCODE"}, json=body, headers=workspace.headers
    )
    assert 400 <= refused.status_code < 500, refused.text
    assert await events_since(engine, 0) == []
    assert (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"] == []
    # A batch with one bad order is refused whole by the API: nothing stored, nothing emitted.
    bad = {**body, "lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "1.00"}]}
    assert (await client.post("/api/v1/orders", json=bad, headers=workspace.headers)).status_code == 422
    assert await events_since(engine, 0) == []


async def test_only_enabled_subscribed_endpoints_get_deliveries(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    wanted = await subscribe(engine, workspace.id, ["contact.created"])
    await subscribe(engine, workspace.id, ["order.created"])  # not subscribed to the type
    await subscribe(engine, workspace.id, ["contact.created"], enabled=False)  # paused
    await subscribe(engine, workspace.id, ["contact.created"], disabled_at=utcnow())  # auto-disabled
    await subscribe(engine, other_workspace.id, ["contact.created"])  # another workspace's
    created = await client.post("/api/v1/contacts", json={"name": "Ann"}, headers=workspace.headers)
    assert created.status_code == 201
    (row,) = await events_since(engine, 0)
    assert await deliveries_of(engine, [row.id]) == [(row.id, wanted)]


async def test_without_subscribers_nothing_is_written(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await subscribe(engine, workspace.id, ["task.created"])
    assert (await client.post("/api/v1/contacts", json={"name": "Ann"}, headers=workspace.headers)).status_code == 201
    assert await events_since(engine, 0) == []


def _count_subscription_queries(engine: AsyncEngine) -> Callable[[], int]:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "webhook_endpoints" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return lambda: len(seen)


async def test_an_order_import_emits_one_event_per_order_with_a_subscription_query_per_transaction(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await workspace.product("TEA-1")
    await subscribe(engine, workspace.id, ["order.created", "contact.created"])
    n = 30
    text = "external_id,ordered_at,buyer_email,buyer_name,status,currency,sku,quantity,unit_price\n" + "".join(
        f"S-{i},2026-10-01T09:00:00Z,b{i}@example.com,B{i},completed,EUR,TEA-1,1,4.50\n" for i in range(n)
    )
    queries = _count_subscription_queries(engine)
    response = await client.post(
        "/api/v1/orders/import", files={"file": ("o.csv", text, "text/csv")}, headers=workspace.headers
    )
    assert response.status_code == 200, response.text
    assert len(await events_since(engine, 0, "order.created")) == n
    assert len(await events_since(engine, 0, "contact.created")) == n
    # One per transaction, not per order: the batch's, and the buyers' figures refresh after it.
    assert queries() == 2


async def test_a_contact_import_emits_one_event_per_row_with_one_subscription_query(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await subscribe(engine, workspace.id, ["contact.created"])
    n = 25
    text = "name,emails\n" + "".join(f"Person {i},p{i}@example.com\n" for i in range(n))
    queries = _count_subscription_queries(engine)
    response = await client.post(
        "/api/v1/contacts/import", files={"file": ("c.csv", text, "text/csv")}, headers=workspace.headers
    )
    assert response.status_code == 200, response.text
    emitted = await events_since(engine, 0, "contact.created")
    assert len(emitted) == n and all(e.contact_id is not None for e in emitted)
    assert sorted(e.payload["data"]["emails"][0] for e in emitted) == sorted(f"p{i}@example.com" for i in range(n))
    assert queries() == 1


async def test_visitor_lines_written_by_the_chat_writer_emit_message_created(
    workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    from frontdesk.conversations.outbox import Outbox
    from frontdesk.conversations.writer import _Line, write_lines

    conversation_id = await workspace.conversation("First")
    await subscribe(engine, workspace.id, ["message.created"])
    mark = await last_event_id(engine)
    async with create_session_factory(engine)() as session:
        lines = [_Line(conversation_id, f"c-{i}", f"line {i}", 0.0) for i in range(3)]
        await write_lines(session=session, lines=lines, outbox=Outbox())
        await session.commit()
    emitted = await events_since(engine, mark, "message.created")
    assert [e.payload["data"]["body"] for e in emitted] == ["line 0", "line 1", "line 2"]
    assert all(e.payload["data"]["author_type"] == "visitor" for e in emitted)


async def test_internal_notes_are_not_message_events(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    conversation_id = await workspace.conversation("Help")
    await subscribe(engine, workspace.id, ["message.created"])
    mark = await last_event_id(engine)
    note = {"body": "internal", "client_id": "n-1", "kind": "note"}
    response = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json=note, headers=workspace.headers
    )
    assert response.status_code in (200, 201), response.text
    assert await events_since(engine, mark) == []


async def test_playbook_tasks_emit_task_created_per_task(workspace: WorkspaceHandle, engine: AsyncEngine) -> None:
    from frontdesk.success.playbooks import do_create_playbook, run_playbooks
    from frontdesk.success.schemas import PlaybookCreate

    await workspace.product("TEA-1")
    buyers = [await workspace.contact(name=name) for name in ("Ann", "Bob")]
    for n, contact_id in enumerate(buyers):
        await workspace.order(f"O-{n}", contact_id, "TEA-1", ordered_at=RECENT)
    await subscribe(engine, workspace.id, ["task.created"])
    async with create_session_factory(engine)() as session:
        data = PlaybookCreate.model_validate({"name": "Welcome", "rule": "orders >= 1", "task_title": "Call them"})
        await do_create_playbook(session=session, workspace_id=workspace.id, data=data)
        assert await run_playbooks(session=session, workspace_id=workspace.id) == 2
        await session.commit()
    emitted = await events_since(engine, 0, "task.created")
    assert sorted(e.contact_id for e in emitted) == sorted(buyers)  # type: ignore[type-var]
    assert {e.payload["data"]["title"] for e in emitted} == {"Call them"}


async def test_a_chat_visitor_who_becomes_a_contact_emits_contact_created(
    workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await subscribe(engine, workspace.id, ["contact.created", "conversation.created", "message.created"])
    conversation_id = await workspace.conversation("Hi there")
    types = [e.event_type for e in await events_since(engine, 0)]
    assert types == ["contact.created", "conversation.created", "message.created"]
    (conversation,) = await events_since(engine, 0, "conversation.created")
    assert conversation.payload["data"]["id"] == conversation_id


async def test_erasing_a_contact_empties_the_events_about_them_but_sends_the_notice(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await subscribe(engine, workspace.id)
    created = await client.post(
        "/api/v1/contacts", json={"name": "Erin", "emails": ["erin@example.com"]}, headers=workspace.headers
    )
    contact_id = created.json()["id"]
    assert (await client.delete(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)).status_code == 204
    rows = await events_since(engine, 0)
    assert [e.event_type for e in rows] == ["contact.created", "contact.erased"]
    assert "erin" not in str([e.payload for e in rows]).lower()
    assert rows[1].payload["data"] == {"contact_id": contact_id}
