"""Beside the conversation: the visit and the customer; every time in the agent's zone; the agent's preferences."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.inbox_context import visit_view
from frontdesk.conversations.models import Conversation, Message
from frontdesk.db import create_session_factory
from frontdesk.surveys.models import Survey, SurveyRecipient
from frontdesk.workspaces.models import Agent, Workspace
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

VISIT = {
    "page_url": "https://shop.example/pricing?plan=pro",
    "page_title": "Pricing",
    "pages": [
        {"url": "https://shop.example/", "title": "Home", "at": "2026-11-30T09:00:00Z"},
        {"url": "https://shop.example/pricing?plan=pro", "title": "Pricing", "at": "2026-11-30T09:02:00Z"},
    ],
    "referrer": "https://search.example/?q=gummies",
    "browser": "Firefox 133",
    "os": "Ubuntu",
    "language": "de-DE",
    "time_zone": "Asia/Tokyo",
    "utc_offset_minutes": 540,
}


@pytest.fixture
async def csrf(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/settings")).text)


async def _set(engine: AsyncEngine, conversation: int, **values: object) -> None:
    async with create_session_factory(engine)() as session:
        await session.execute(update(Conversation).where(Conversation.id == conversation).values(**values))
        await session.commit()


async def test_the_panel_shows_where_the_visitor_is_and_their_local_time(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, csrf: str
) -> None:
    conversation = await workspace.conversation("Which plan?")
    await _set(engine, conversation, context=VISIT)
    before = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    page = (await client.get(f"/inbox/{conversation}")).text
    after = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    panel = page.split('id="visit-context"')[1].split("</section>")[0]
    assert 'href="https://shop.example/pricing?plan=pro"' in panel and ">Pricing</a>" in panel
    for shown in ("https://search.example/?q=gummies", "Firefox 133 on Ubuntu", "de-DE", "2 pages this visit", "Home"):
        assert shown in panel
    assert f"{before} (Asia/Tokyo)" in panel or f"{after} (Asia/Tokyo)" in panel


@pytest.mark.parametrize(
    "context",
    [
        {"page_url": "javascript:alert(1)", "browser": "x"},
        {"page_url": "data:text/html,<b>x</b>", "browser": "x"},
        {"page_url": " JAVASCRIPT:alert(1)", "browser": "x"},
    ],
)
def test_a_page_address_that_is_not_a_web_address_is_shown_never_linked(context: dict[str, str]) -> None:
    view = visit_view(context)
    assert view.page_href == "" and view.page_url == context["page_url"]


@pytest.mark.parametrize(
    "context",
    [None, [], {"pages": "nope"}, {"pages": [1, {"url": 2}, {"title": "x"}]}, {"utc_offset_minutes": True}],
)
def test_whatever_the_widget_stored_the_panel_still_renders(context: object) -> None:
    view = visit_view(context)  # type: ignore[arg-type]
    assert view.pages == [] and view.local_time == "" and view.empty


def test_the_local_time_comes_from_the_offset_when_no_zone_is_known() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert visit_view({"utc_offset_minutes": -300, "browser": "x"}, now=now).local_time == "07:00"
    assert visit_view({"time_zone": "Not/AZone", "browser": "x"}, now=now).local_time == ""


async def test_the_panel_shows_the_customer_orders_by_date_complaints_and_past_conversations(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, csrf: str
) -> None:
    await workspace.product("TEA-1", "Tea")
    contact = await workspace.contact(name="Ada Lovelace", emails=["ada@example.com"])
    # Sent out of date order: the panel shows the latest five by date, not by when they arrived.
    days = [3, 9, 1, 7, 5, 8]
    for number, day in enumerate(days):
        order = {
            "external_id": f"A-{number}",
            "buyer_id": contact,
            "currency": "EUR",
            "ordered_at": f"2026-11-{day:02d}T10:00:00Z",
            "lines": [{"sku": "TEA-1", "quantity": 1, "unit_price": f"{day}.00"}],
        }
        assert (await client.post("/api/v1/orders", json=order, headers=workspace.headers)).status_code == 201
    for summary in ("Broken lid", "Late delivery"):
        raised = await client.post(
            "/api/v1/complaints", json={"contact_id": contact, "summary": summary}, headers=workspace.headers
        )
        assert raised.status_code == 201
    resolved = await client.patch(
        f"/api/v1/complaints/{raised.json()['id']}",
        json={"status": "resolved", "resolution": "Refunded the delivery fee"},
        headers=workspace.headers,
    )
    assert resolved.status_code == 200, resolved.text
    async with create_session_factory(engine)() as session:  # two NPS answers: the latest shows
        for name, score, day in (("NPS spring", 3, 1), ("NPS autumn", 9, 20)):
            survey = Survey(workspace_id=workspace.id, name=name, segment="all", created_by="test")
            session.add(survey)
            await session.flush()
            answered = datetime(2026, 11, day, tzinfo=UTC)
            session.add(
                SurveyRecipient(
                    workspace_id=workspace.id,
                    survey_id=survey.id,
                    contact_id=contact,
                    score=score,
                    answered_at=answered,
                )
            )
        await session.commit()
    earlier = await workspace.conversation("last week's question")
    conversation = await workspace.conversation("today's question")
    await _set(engine, earlier, contact_id=contact)
    await _set(engine, conversation, contact_id=contact)

    page = (await client.get(f"/inbox/{conversation}")).text
    orders = page.split('<ul class="orders">')[1].split("</ul>")[0]
    assert re.findall(r"2026-11-(\d\d) ", orders) == ["09", "08", "07", "05", "03"]
    assert "<dt>Lifecycle</dt><dd>" in page and "<dt>RFM group</dt>" in page
    assert "<dt>NPS answer</dt><dd>9/10" in page
    complaints = page.split("<h3>Open complaints</h3>")[1].split("</ul>")[0]
    assert "Broken lid" in complaints and "Late delivery" not in complaints
    past = page.split("<h3>Past conversations</h3>")[1].split("</ul>")[0]
    assert f"#{earlier}" in past and f"#{conversation}" not in past


async def _message_at(engine: AsyncEngine, conversation: int, at: datetime) -> None:
    async with create_session_factory(engine)() as session:
        await session.execute(update(Message).where(Message.conversation_id == conversation).values(created_at=at))
        await session.execute(
            update(Conversation).where(Conversation.id == conversation).values(last_activity_at=at, created_at=at)
        )
        await session.commit()


@pytest.mark.parametrize(
    ("agent_zone", "workspace_zone", "shown"),
    [
        ("Europe/Berlin", "UTC", "2026-11-30 13:00"),
        (None, "Asia/Tokyo", "2026-11-30 21:00"),
        ("America/New_York", "Asia/Tokyo", "2026-11-30 07:00"),
        (None, "UTC", "2026-11-30 12:00"),
    ],
)
async def test_times_show_in_the_agents_zone_or_else_the_workspaces(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    csrf: str,
    agent_zone: str | None,
    workspace_zone: str,
    shown: str,
) -> None:
    conversation = await workspace.conversation("What time is it?")
    await _message_at(engine, conversation, datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    async with create_session_factory(engine)() as session:
        await session.execute(update(Workspace).where(Workspace.id == workspace.id).values(time_zone=workspace_zone))
        await session.execute(update(Agent).where(Agent.email == workspace.admin_email).values(time_zone=agent_zone))
        await session.commit()
    page = (await client.get(f"/inbox/{conversation}")).text
    expected_zone = agent_zone or workspace_zone
    assert f'data-time-zone="{expected_zone}"' in page  # what console.js formats live lines with
    messages = page.split('id="messages"')[1].split("</ol>")[0]
    assert f'<time datetime="2026-11-30T12:00:00+00:00">{shown}</time>' in messages
    row = page.split(f'data-id="{conversation}"')[1].split("</li>")[0]
    assert f">{shown}</time>" in row  # the list's time of the last message
    rows = await client.get(f"/inbox/{conversation}/messages")
    assert f">{shown}</time>" in rows.text


async def test_an_agent_sets_their_zone_and_notifications(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, csrf: str
) -> None:
    form = await client.get("/settings/profile")
    assert form.status_code == 200 and 'name="time_zone"' in form.text and "notify_desktop" in form.text

    wrong = await client.post("/settings/profile", data={"csrf_token": csrf, "time_zone": "Mars/Olympus"})
    assert wrong.status_code == 422 and "unknown time zone" in wrong.text and 'id="time_zone-error"' in wrong.text
    assert 'value="Mars/Olympus"' in wrong.text  # what was typed stays in the field

    saved = await client.post(
        "/settings/profile", data={"csrf_token": csrf, "time_zone": "Europe/Berlin", "notify_sound": "on"}
    )
    assert saved.status_code == 303
    async with create_session_factory(engine)() as session:
        agent = (await session.execute(Agent.__table__.select().where(Agent.email == workspace.admin_email))).one()
        assert (agent.time_zone, agent.notify_desktop, agent.notify_sound) == ("Europe/Berlin", False, True)
    inbox = (await client.get("/inbox")).text
    assert 'data-time-zone="Europe/Berlin"' in inbox
    assert 'data-notify-desktop="off"' in inbox and 'data-notify-sound="on"' in inbox

    cleared = await client.post("/settings/profile", data={"csrf_token": csrf, "time_zone": " "})
    assert cleared.status_code == 303
    async with create_session_factory(engine)() as session:
        agent = (await session.execute(Agent.__table__.select().where(Agent.email == workspace.admin_email))).one()
        assert agent.time_zone is None  # the workspace's again
    assert (await client.post("/settings/profile", data={"time_zone": "UTC"})).status_code == 403
