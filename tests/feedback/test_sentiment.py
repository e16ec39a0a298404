"""Visitor lines carry a sentiment score that agents see and visitors do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.outbox import Outbox, conversation_channel, inbox_channel
from frontdesk.conversations.schemas import VisitorMessage
from frontdesk.conversations.visitors import do_start_visitor, do_visitor_message, get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.feedback.sentiment import label, sentiment
from tests.factories import WorkspaceHandle, start_conversation
from tests.workspaces.test_console_auth import login


def test_scores_read_the_way_people_write() -> None:
    assert sentiment("Great service, thank you so much!") > 0.5
    assert sentiment("This is terrible, the parcel never arrived and nobody answers.") < -0.3
    assert sentiment("It is NOT good at all") < 0  # negation
    assert sentiment("My reference is 12345") == 0.0
    assert [label(0.6), label(0.0), label(-0.6), label(None)] == ["positive", "neutral", "negative", ""]


async def test_agents_see_the_sentiment_of_visitor_lines_and_visitors_do_not(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    outbox = Outbox()
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        started = await do_start_visitor(session=session, settings=settings, visitor_token=None)
        conversation, _, _ = await do_visitor_message(
            session=session,
            visitor=started.visitor,
            data=VisitorMessage(body="This is terrible, my parcel never arrived!"),
            outbox=outbox,
        )
        await session.commit()
    to_visitor = [event for channel, event in outbox.events if channel == conversation_channel(conversation.id)]
    to_agents = [event for channel, event in outbox.events if channel == inbox_channel(workspace.id)]
    line = [event["message"] for event in to_visitor if event["type"] == "message"]
    assert line and "sentiment" not in line[0]
    agent_line = [event["message"] for event in to_agents if event["type"] == "message"]
    assert agent_line and agent_line[0]["sentiment"] < -0.3

    h = workspace.headers
    reply = await client.post(
        f"/api/v1/conversations/{conversation.id}/messages",
        json={"body": "So sorry, we are on it.", "client_id": "reply-1"},
        headers=h,
    )
    assert reply.status_code == 201, reply.text
    items = (await client.get(f"/api/v1/conversations/{conversation.id}/messages", headers=h)).json()["items"]
    scored = {item["author_type"]: item["sentiment"] for item in items if item["kind"] == "message"}
    assert scored["visitor"] < -0.3
    assert scored["agent"] is None  # only what customers write is scored

    await login(client, workspace.admin_email)
    view = (await client.get(f"/inbox/{conversation.id}")).text
    assert view.count('class="sentiment negative"') == 1  # next to the visitor's line, not the reply


async def test_segments_select_contacts_by_their_recent_chat_sentiment(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    h = workspace.headers

    async def contact_of(conversation_id: int) -> int:
        read = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=h)).json()
        return int(read["contact_id"])

    angry = await contact_of(await start_conversation(workspace.engine, workspace.id, "This is terrible, I am angry!"))
    happy_chat = await start_conversation(workspace.engine, workspace.id, "Thanks, great service, love it!")
    happy = await contact_of(happy_chat)
    quiet = await workspace.contact(name="Never chatted")

    async def members(rule: str) -> set[int]:
        response = await client.get("/api/v1/contacts", params={"rule": rule, "limit": 100}, headers=h)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await members("avg_sentiment_90d < -0.3") == {angry}
    assert await members("avg_sentiment_90d >= 0.5") == {happy}
    assert quiet in await members("avg_sentiment_90d is null")
    assert {angry, happy} & await members("avg_sentiment_90d is null") == set()
    # Only the last 90 days count.
    await session.execute(
        text("UPDATE messages SET created_at = :then WHERE conversation_id = :id"),
        {"then": (datetime.now(UTC) - timedelta(days=91)).replace(tzinfo=None), "id": happy_chat},
    )
    await session.commit()
    assert await members("avg_sentiment_90d >= 0.5") == set()
    bad = await client.get("/api/v1/contacts", params={"rule": "avg_sentiment_90d < -2"}, headers=h)
    assert bad.status_code == 422 and "from -1 to 1" in bad.text


async def test_reviews_and_survey_comments_count_towards_the_average_too(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    await workspace.product("TEA-1")
    reviewer = await workspace.contact(name="Rev")
    answerer = await workspace.contact(name="Ans")
    for n, contact in enumerate((reviewer, answerer)):
        await workspace.order(f"O-{n}", contact, "TEA-1", ordered_at=datetime.now(UTC).isoformat())
    review = await client.post(
        "/api/v1/reviews",
        json={"contact_id": reviewer, "sku": "TEA-1", "rating": 1, "title": "Awful", "body": "Horrible, I hate it."},
        headers=h,
    )
    assert review.json()["sentiment"] < -0.3
    survey = await client.post("/api/v1/surveys", json={"name": "NPS", "segment": "new"}, headers=h)
    await client.post(f"/api/v1/surveys/{survey.json()['id']}/send", headers=h)
    links = (await client.get(f"/api/v1/surveys/{survey.json()['id']}/links", headers=h)).text
    answer_link = next(line.split(",")[3] for line in links.splitlines() if line.startswith(f"{answerer},"))
    await client.post(answer_link.replace("http://127.0.0.1:8000", ""), data={"score": "10", "comment": "Wonderful!"})
    response = await client.get("/api/v1/contacts", params={"rule": "avg_sentiment_90d < -0.3"}, headers=h)
    assert [item["id"] for item in response.json()["items"]] == [reviewer]
    response = await client.get("/api/v1/contacts", params={"rule": "avg_sentiment_90d > 0.3"}, headers=h)
    assert [item["id"] for item in response.json()["items"]] == [answerer]
