"""One person with data in every domain, built through the real services and API, and a scan of the database.

Used by the erasure, export and merge tests. Each person's strings are distinctive, so a scan of every column of
every table can tell whether anything of theirs is left.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frontdesk.conversations.csat import do_rate
from frontdesk.conversations.invitations import mark_answered, match_invitation
from frontdesk.conversations.models import Conversation, Visitor
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.schemas import RatingCreate, VisitorMessage
from frontdesk.conversations.visitors import do_start_visitor, do_visitor_message, get_chat_settings, user_hash
from frontdesk.db import create_session_factory
from frontdesk.helpcenter import service as helpcenter
from frontdesk.helpcenter import widget_help
from frontdesk.success.models import CustomerHealth, CustomerPrediction, HealthHistory, Playbook, PlaybookEpisode
from frontdesk.surveys import service as surveys
from frontdesk.surveys.schemas import AnswerCreate
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal
from tests.connections.shops import shopify_headers
from tests.factories import WorkspaceHandle

RECENT = (datetime.now(UTC) - timedelta(days=5)).isoformat()  # a customer of last week is "new"


@dataclass
class Person:
    """What one person put into Frontdesk, and the strings that identify it."""

    first: str
    last: str
    email: str
    phone: str
    token: str  # a word only this person's message texts contain
    user_id: str  # the business site's id for them, proven with user_hash
    contact_id: int = 0
    conversation_id: int = 0
    referral_code: str = ""
    survey_token: str = ""
    extra_secrets: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def secrets(self) -> list[str]:
        return [
            self.first, self.last, self.name, self.email, self.phone, self.phone.lstrip("+"), self.token,
            self.user_id, self.referral_code, *self.extra_secrets,
        ]  # fmt: skip


@dataclass
class World:
    erased: Person
    survivor: Person
    third_id: int  # a contact the erased person referred
    survey_id: int
    product_sku: str = "TEA-1"


async def _visitor_chat(workspace: WorkspaceHandle, person: Person) -> None:
    """The person chats on the website, identified by the site (user_hash): a visitor, a contact, a chat."""
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        started = await do_start_visitor(
            session=session,
            settings=settings,
            visitor_token=None,
            user_id=person.user_id,
            given_hash=user_hash(settings.identity_secret, person.user_id),
        )
        assert started.identity_verified
        conversation, _, _ = await do_visitor_message(
            session=session,
            visitor=started.visitor,
            data=VisitorMessage(
                body=f"Hello, I am {person.name}: parcel {person.token} never arrived",
                name=person.name,
                # Typed into the widget: however it is stored (on the contact, or as an unverified claim on the
                # visitor or conversation), erasure must reach it, and the scan below looks for it everywhere.
                email=person.email,
                client_id=f"cid-{person.token}",
            ),
            outbox=Outbox(),
            # What the widget saw of the visit: the pages name the person's parcel too.
            context={
                "page_url": f"https://shop.example/track/{person.token}",
                "pages": [{"url": f"https://shop.example/orders?parcel={person.token}", "title": "Orders"}],
            },
        )
        await session.commit()
        assert conversation.context, "the visit's context is kept with the conversation"
        assert conversation.contact_id is not None
        person.contact_id, person.conversation_id = conversation.contact_id, conversation.id


async def _invited(client: httpx.AsyncClient, workspace: WorkspaceHandle, person: Person) -> None:
    """A proactive invitation was shown to the person on a page whose address names their parcel, and answered."""
    rule = {"name": "Parcel help", "url_pattern": "/track*", "message": "Questions about your parcel?"}
    await _call(client, "post", "/api/v1/invitation-rules", json=rule, headers=workspace.headers)
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        visitor = await session.scalar(select(Visitor).where(Visitor.contact_id == person.contact_id))
        assert visitor is not None
        offer = await match_invitation(
            session=session,
            settings=settings,
            visitor=visitor,
            page_url=f"https://shop.example/track?parcel={person.token}",
            seconds_on_page=5,
        )
        assert offer is not None
        await mark_answered(
            session=session, visitor=visitor, invitation_id=offer.invitation_id, conversation_id=person.conversation_id
        )
        await session.commit()


async def _stranger_claims(workspace: WorkspaceHandle, person: Person) -> None:
    """Someone else types the person's name and address into the widget: an unverified claim on the stranger's
    visitor, and the typed name on the stranger's own contact and chat line."""
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        started = await do_start_visitor(session=session, settings=settings, visitor_token=None)
        await do_visitor_message(
            session=session,
            visitor=started.visitor,
            data=VisitorMessage(
                body="Where is my order?", email=person.email, name=person.name, client_id="cid-stranger"
            ),
            outbox=Outbox(),
        )
        await session.commit()


async def _rate(workspace: WorkspaceHandle, person: Person, rating: int) -> None:
    async with create_session_factory(workspace.engine)() as session:
        conversation = await session.get(Conversation, person.conversation_id)
        assert conversation is not None
        comment = f"{person.first} says {person.token} was slow"
        await do_rate(
            session=session,
            conversation=conversation,
            data=RatingCreate(rating=rating, comment=comment),
            outbox=Outbox(),
        )
        await session.commit()


async def _answer(workspace: WorkspaceHandle, person: Person, score: int) -> None:
    async with create_session_factory(workspace.engine)() as session:
        comment = f"{person.token} late, {person.first}"
        await surveys.do_answer(
            session=session, token=person.survey_token, data=AnswerCreate(score=score, comment=comment)
        )
        await session.commit()


async def _call(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    response = await client.request(method.upper(), url, **kwargs)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


async def build_world(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> World:
    """``client`` must be an app with SMTP configured, so that survey invitations go to the outbox."""
    h = workspace.headers
    erased = Person(
        "Zebulon", "Quackenbush", "zebulon.q@erase-me.example", "+447400987654", "XYLOPHONE42", "zq-user-8812"
    )
    survivor = Person("Mallory", "Keepwell", "mallory@keep.example", "+447400111222", "QUOKKA77", "mk-user-5531")
    await workspace.product("TEA-1")
    for person in (erased, survivor):
        await _visitor_chat(workspace, person)
        await _call(
            client,
            "patch",
            f"/api/v1/contacts/{person.contact_id}",
            json={
                "first_name": person.first,
                "last_name": person.last,
                "emails": [person.email],
                "phones": [person.phone],
            },
            headers=h,
        )
        await _call(
            client,
            "post",
            f"/api/v1/contacts/{person.contact_id}/notes",
            json={"body": f"{person.first} likes {person.token}"},
            headers=h,
        )
        conversation = f"/api/v1/conversations/{person.conversation_id}"
        for kind in ("message", "note"):
            body = f"Sorry {person.first}, {person.token} is on its way ({kind})"
            await _call(client, "post", f"{conversation}/messages", json={"body": body, "kind": kind}, headers=h)
        # A file sent in the chat: its name names the person (the row), its bytes hold their token (the storage).
        receipt = (f"{person.last} receipt.txt", f"Receipt {person.token} for {person.name}".encode(), "text/plain")
        await _call(client, "post", f"{conversation}/attachments", files={"file": receipt}, headers=h)
        await _call(client, "patch", conversation, json={"status": "resolved"}, headers=h)
        person.referral_code = (
            await _call(client, "get", f"/api/v1/contacts/{person.contact_id}/referral-code", headers=h)
        )["code"]
    await _stranger_claims(workspace, erased)
    await _invited(client, workspace, erased)
    await _rate(workspace, erased, 2)
    await _rate(workspace, survivor, 5)
    # The survivor buys for the erased person: a relationship both timelines mention, by name.
    await _call(
        client,
        "post",
        f"/api/v1/contacts/{survivor.contact_id}/relationships",
        json={"kind": "buys_for", "to_contact_id": erased.contact_id},
        headers=h,
    )
    # The erased person was referred by the survivor, and referred someone else.
    await _call(
        client,
        "post",
        "/api/v1/referrals",
        json={"referral_code": survivor.referral_code, "contact_id": erased.contact_id},
        headers=h,
    )
    third = await _call(
        client,
        "post",
        "/api/v1/contacts",
        params={"referral_code": erased.referral_code},
        json={"name": "Tertius Third"},
        headers=h,
    )
    for n, person in enumerate((erased, survivor)):
        # The shop's own order number is the business's record and stays (commerce/personal_data.py).
        await workspace.order(f"O-{n}", person.contact_id, "TEA-1", ordered_at=RECENT)
        review = await _call(
            client,
            "post",
            "/api/v1/reviews",
            json={
                "contact_id": person.contact_id,
                "sku": "TEA-1",
                "rating": 1 + 4 * n,
                "title": f"{person.first}'s verdict",
                "body": f"The {person.token} tea, by {person.name}",
            },
            headers=h,
        )
        await _call(
            client,
            "patch",
            f"/api/v1/reviews/{review['id']}",
            json={"status": "approved", "reply": f"Thanks {person.first}!"},
            headers=h,
        )
        complaint = await _call(
            client,
            "post",
            "/api/v1/complaints",
            json={
                "contact_id": person.contact_id,
                "summary": f"{person.first}: late parcel",
                "description": f"{person.name} lost {person.token}",
            },
            headers=h,
        )
        await _call(
            client,
            "patch",
            f"/api/v1/complaints/{complaint['id']}",
            json={"status": "resolved", "resolution": f"Resent {person.token} to {person.email}"},
            headers=h,
        )
    survey = await _call(client, "post", "/api/v1/surveys", json={"name": "NPS", "segment": "new"}, headers=h)
    sent = await _call(client, "post", f"/api/v1/surveys/{survey['id']}/send", headers=h)
    assert sent["emails_queued"] == 2, sent
    links = await client.get(f"/api/v1/surveys/{survey['id']}/links", headers=h)
    by_name = {row["name"]: row["link"] for row in csv.DictReader(io.StringIO(links.text))}
    for person, score in ((erased, 2), (survivor, 10)):
        person.survey_token = by_name[person.name].rsplit("/s/", 1)[1]
        await _answer(workspace, person, score)
    await _success(client, workspace, erased)
    await _webhooks(client, workspace, erased)
    await _shop_deliveries(client, workspace, erased)
    await _help_in_the_widget(workspace, erased)
    return World(erased=erased, survivor=survivor, third_id=third["id"], survey_id=survey["id"])


async def _help_in_the_widget(workspace: WorkspaceHandle, person: Person) -> None:
    """Before chatting, the person typed a question naming their address into the widget, read the suggested
    article and answered "no": a help session of their visitor with a search, a view and a vote."""
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    async with create_session_factory(workspace.engine).begin() as session:
        article = await helpcenter.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Where is my order", body="Track it."
        )
        await helpcenter.do_publish(session=session, workspace_id=workspace.id, translation_id=article.id, by=by)
        visitor = await session.scalar(select(Visitor).where(Visitor.contact_id == person.contact_id))
        assert visitor is not None
        asked = {"session": session, "workspace_id": workspace.id, "visitor_id": visitor.id, "widget_language": "en"}
        found = await widget_help.suggest(**asked, query=f"where is my order, {person.email}")
        assert [hit["id"] for hit in found["results"]] == [article.id]
        await widget_help.open_article(**asked, translation_id=article.id, base_url="http://testserver")
        await widget_help.vote(**asked, translation_id=article.id, helpful=False)


async def _success(client: httpx.AsyncClient, workspace: WorkspaceHandle, person: Person) -> None:
    """The success team's rows about the person: a task done with an outcome naming them (through the API), and
    what the refresh would have written (a playbook episode, predictions, health and its history: direct rows)."""
    h = workspace.headers
    task = await _call(
        client,
        "post",
        "/api/v1/success/tasks",
        json={"contact_id": person.contact_id, "title": f"Call {person.name}", "due_at": RECENT},
        headers=h,
    )
    outcome = f"{person.first} ordered {person.token} again after a 10% offer"
    await _call(
        client, "patch", f"/api/v1/success/tasks/{task['id']}", json={"status": "done", "outcome": outcome}, headers=h
    )
    async with create_session_factory(workspace.engine)() as session:
        playbook = Playbook(workspace_id=workspace.id, name="Slipping", rule="orders >= 1", task_title="Call")
        session.add(playbook)
        await session.flush()
        session.add_all(
            [
                PlaybookEpisode(
                    playbook_id=playbook.id, contact_id=person.contact_id, workspace_id=workspace.id, task_id=task["id"]
                ),
                CustomerPrediction(
                    contact_id=person.contact_id,
                    workspace_id=workspace.id,
                    frequency=0,
                    recency_days=0,
                    age_days=5,
                    p_alive=1.0,
                    expected_purchases_90d=0.2,
                    expected_purchases_365d=0.7,
                    expected_order_value_minor=1000,
                    clv_12m_minor=700,
                ),
                CustomerHealth(
                    contact_id=person.contact_id, workspace_id=workspace.id, score=35, reasons=["1 open complaint"]
                ),
                HealthHistory(workspace_id=workspace.id, contact_id=person.contact_id, score=60),
                HealthHistory(workspace_id=workspace.id, contact_id=person.contact_id, score=35),
            ]
        )
        await session.commit()


async def reflect(connection: AsyncConnection) -> MetaData:
    """The schema as the live database has it (not as the models say), so new tables are seen too."""
    metadata = MetaData()
    await connection.run_sync(lambda sync: metadata.reflect(sync))
    return metadata


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


async def find_strings(engine: AsyncEngine, strings: list[str]) -> dict[str, set[str]]:
    """Which of ``strings`` each table still holds, in any column (case-insensitive, JSON included)."""
    wanted = [s.lower() for s in strings if s]
    found: dict[str, set[str]] = {}
    async with engine.connect() as connection:
        metadata = await reflect(connection)
        for table in metadata.sorted_tables:
            for row in (await connection.execute(select(table))).all():
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    text = _text(value).lower()
                    for secret in wanted:
                        if secret in text:
                            found.setdefault(table.name, set()).add(f"{column.name}: {secret}")
    return found


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        metadata = await reflect(connection)
        return {
            table.name: int((await connection.execute(select(func.count()).select_from(table))).scalar_one())
            for table in metadata.sorted_tables
        }


def contact_columns(metadata: MetaData) -> list[tuple[Table, str]]:
    """Every column of the live schema that points at a contact."""
    return [
        (table, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if column.name == "contact_id" or any(fk.column.table.name == "contacts" for fk in column.foreign_keys)
    ]


async def _webhooks(client: httpx.AsyncClient, workspace: WorkspaceHandle, person: Person) -> None:
    """An endpoint subscribed to contact changes (through the API), an event about the person naming them
    (through ``events.emit``, committed), its delivery, and an attempt of it (a direct row, as the dispatcher
    writes it)."""
    # Imported here: this file's shared lists are append-only (several branches add to it at once).
    from frontdesk.webhooks import events
    from frontdesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

    endpoint = {
        "url": "https://93.184.215.14/hooks",
        "event_types": ["contact.created", "contact.updated", "segment.entered", "segment.left"],
    }
    await _call(client, "post", "/api/v1/webhook-endpoints", json=endpoint, headers=workspace.headers)
    # Segment members the endpoint was told of (webhook_segment_members), by the refresh that tells it.
    from frontdesk.segments.service import do_refresh_segment_events

    segment = {"name": "Everyone who bought or not", "rule": "orders >= 0"}
    await _call(client, "post", "/api/v1/segments", json=segment, headers=workspace.headers)
    async with create_session_factory(workspace.engine)() as session:
        assert await do_refresh_segment_events(session=session, workspace_id=workspace.id) >= 1
        await session.commit()
    data = {"id": person.contact_id, "name": person.name, "emails": [person.email], "phones": [person.phone]}
    async with create_session_factory(workspace.engine)() as session:
        await events.emit(
            session, workspace_id=workspace.id, event_type="contact.updated", data=data, contact_id=person.contact_id
        )
        await session.commit()
    async with create_session_factory(workspace.engine)() as session:
        event = await session.scalar(
            select(WebhookEvent).where(WebhookEvent.contact_id == person.contact_id).order_by(WebhookEvent.id.desc())
        )
        assert event is not None
        delivery = await session.scalar(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id))
        assert delivery is not None
        delivery.status, delivery.attempts, delivery.last_status_code = "succeeded", 1, 200
        session.add(
            WebhookAttempt(
                workspace_id=workspace.id,
                delivery_id=delivery.id,
                request_headers={"webhook-id": event.message_id, "content-type": "application/json"},
                status_code=200,
                latency_ms=12,
                response_body=f'{{"received": "{person.name} <{person.email}>"}}',  # a receiver that echoes
            )
        )
        await session.commit()


async def _shop_deliveries(client: httpx.AsyncClient, workspace: WorkspaceHandle, person: Person) -> None:
    """A Shopify connection that delivered the person as a customer (applied: the delivery knows them) and an
    order of theirs in another currency (failed: only the payload names them). Neither adds an order, so the
    figures the erasure test compares stay as they are."""
    shop = await _call(client, "post", "/api/v1/shop-connections", json={"kind": "shopify", "name": "Shop"},
                       headers=workspace.headers)  # fmt: skip
    path = "/hooks/shops/" + shop["webhook_url"].rsplit("/", 1)[1]
    customer = {"id": 5550001, "email": person.email, "first_name": person.first, "last_name": person.last,
                "phone": person.phone}  # fmt: skip
    order = {
        "id": 5550002,
        "email": person.email,
        "created_at": RECENT,
        "currency": "USD",
        "customer": {"first_name": person.first, "last_name": person.last, "email": person.email},
        "billing_address": {"name": person.name, "phone": person.phone},
        "line_items": [{"id": 1, "sku": "TEA-1", "title": "Tea", "quantity": 1, "price": "4.50"}],
    }
    for topic, document, status in (("customers/update", customer, "applied"), ("orders/create", order, "failed")):
        body = json.dumps(document).encode()
        response = await client.post(path, content=body, headers=shopify_headers(shop["secret"], body, topic, topic))
        assert response.json()["status"] == status, response.text
