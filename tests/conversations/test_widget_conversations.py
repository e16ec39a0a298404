"""The widget's side of a visit: branding config, the visit's context, several conversations, rating comments."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import websockets
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.models import Visitor as VisitorRow
from frontdesk.db import create_session_factory, utcnow
from tests.conversations.chat_clients import SITE, Visitor, allow_site
from tests.factories import WorkspaceHandle

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CONTEXT = {
    "page_url": "https://shop.example/pricing?plan=pro",
    "page_title": "Pricing",
    "referrer": "https://www.search.example/?q=candy",
    "language": "de-DE",
    "time_zone": "Europe/Berlin",
    "utc_offset_minutes": 60,
    "pages": [
        {"url": "https://shop.example/", "title": "Home", "at": "2026-11-30T09:00:00Z"},
        {"url": "https://shop.example/pricing?plan=pro", "title": "Pricing", "at": "2026-11-30T09:01:00Z"},
    ],
}


async def _conversation(engine: AsyncEngine, conversation_id: int) -> Conversation:
    async with create_session_factory(engine)() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation


async def _resolve(server_url: str, workspace: WorkspaceHandle, conversation_id: int) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.patch(
            f"{server_url}/api/v1/conversations/{conversation_id}",
            json={"status": "resolved"},
            headers=workspace.headers,
        )
    assert response.status_code == 200, response.text


async def _listed(server_url: str, visitor: Visitor, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(
            f"{server_url}/widget/api/conversations",
            headers={
                "Origin": visitor.origin,
                "X-Frontdesk-Widget": visitor.widget_token,
                "X-Frontdesk-Visitor": visitor.visitor_token or "",
                **headers,
            },
        )


def _no_context_inside(payload: Any) -> None:
    """Nothing the widget receives holds the visit's context (what agents see of the visitor)."""
    text = json.dumps(payload)
    assert '"context"' not in text and "Europe/Berlin" not in text and "search.example" not in text, text[:400]


async def test_the_session_answer_brings_the_branding_config(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = Visitor(server_url, await allow_site(engine, workspace.id))
    session = await visitor.start_session()
    config = session["config"]
    assert config["color"] == "#2456d3" and config["position"] == "right" and config["language"] == "en"
    assert {
        "launcher_text",
        "launcher_icon",
        "greeting",
        "offline_message",
        "agents",
        "reply_time_seconds",
        "teams",
    } <= (config.keys())
    assert session["conversations"] == []


async def test_the_visit_context_is_stored_with_a_new_conversation_and_never_sent_to_the_visitor(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = Visitor(server_url, await allow_site(engine, workspace.id))
    _no_context_inside(await visitor.start_session(context=CONTEXT))
    visitor.socket = await websockets.connect(
        server_url.replace("http", "ws") + "/widget/ws",
        additional_headers={"Origin": SITE, "User-Agent": FIREFOX_ON_WINDOWS},
    )
    await visitor.socket.send(
        json.dumps({"type": "hello", "widget_token": visitor.widget_token, "visitor_token": visitor.visitor_token})
    )
    events: list[Any] = [json.loads(await visitor.socket.recv())]
    try:
        bad = {**CONTEXT, "referrer": "javascript:alert(1)", "utc_offset_minutes": 99999, "language": "<b>"}
        await visitor.socket.send(
            json.dumps({"type": "send", "client_id": "c1", "body": "Hello", "team": "support", "context": bad})
        )
        events.append(json.loads(await visitor.socket.recv()))
        ack = events[-1]
        assert ack["type"] == "ack"
        stored = (await _conversation(engine, ack["conversation_id"])).context
        assert stored["page_url"] == CONTEXT["page_url"] and stored["time_zone"] == "Europe/Berlin"
        assert [page["title"] for page in stored["pages"]] == ["Home", "Pricing"]
        assert (stored["browser"], stored["os"]) == ("Firefox 128", "Windows 10")
        # Bad values are dropped, one by one; the message went through all the same.
        assert "referrer" not in stored and "utc_offset_minutes" not in stored and "language" not in stored

        # A later page load of the same visit moves the open conversation's page on.
        later = {
            **CONTEXT,
            "page_url": "https://shop.example/checkout",
            "pages": [*CONTEXT["pages"], {"url": "https://shop.example/checkout"}],
        }
        events.append(await visitor.start_session(context=later))
        stored = (await _conversation(engine, ack["conversation_id"])).context
        assert stored["page_url"] == "https://shop.example/checkout" and len(stored["pages"]) == 3
        assert stored["browser"] == "Firefox 128"  # what the new page did not say is kept
        events.append((await _listed(server_url, visitor)).json())
    finally:
        await visitor.close()
    for event in events:
        _no_context_inside(event)


async def test_a_visitor_starts_a_new_conversation_and_an_old_one_reopens_only_when_written_into(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = Visitor(server_url, await allow_site(engine, workspace.id))
    await visitor.start_session()
    await visitor.connect()
    try:
        await visitor.send("My order is late", team="support")
        first = (await visitor.expect("ack"))["conversation_id"]
        await _resolve(server_url, workspace, first)
        assert (await visitor.expect("status"))["status"] == "resolved"

        retry_id = await visitor.send("A new question", new_conversation=True)
        second = (await visitor.expect("ack"))["conversation_id"]
        assert second != first
        await visitor.send("A new question", client_id=retry_id, new_conversation=True)  # the ack got lost
        assert (await visitor.expect("ack"))["conversation_id"] == second  # stored once, where it went first
        assert (await _conversation(engine, first)).status == "resolved"  # the old one stays as it was

        listed = (await _listed(server_url, visitor)).json()["conversations"]
        assert [(c["id"], c["status"], c["last_message"]) for c in listed] == [
            (second, "open", "A new question"),
            (first, "resolved", "My order is late"),
        ]

        # Opening the old conversation shows its history; it stays resolved until the visitor writes.
        await visitor.socket.send(json.dumps({"type": "follow", "conversation_id": first}))
        ready = await visitor.expect("ready")
        assert ready["conversation"]["id"] == first and ready["conversation"]["status"] == "resolved"
        assert [m["body"] for m in ready["messages"]] == ["My order is late"]
        assert (await _conversation(engine, first)).status == "resolved"
        await visitor.send("Still late, sorry")
        ack = await visitor.expect("ack")
        assert ack["conversation_id"] == first and ack["message"]["seq"] > ready["through_seq"]
        assert (await _conversation(engine, first)).status == "open"
        assert (await _conversation(engine, second)).status == "open"

        # A line resent into the other conversation (written there before the visitor switched) is stored there,
        # and the socket keeps following the conversation on screen.
        await visitor.send("Sent before switching", conversation_id=second)
        assert (await visitor.expect("ack"))["conversation_id"] == second
        async with httpx.AsyncClient() as http:
            await http.post(
                f"{server_url}/api/v1/conversations/{first}/messages",
                json={"body": "We found your parcel"},
                headers=workspace.headers,
            )
        assert (await visitor.wait_for_body("We found your parcel"))["conversation_id"] == first

        # A reload shows the conversation the widget asks for; the latest when it asks for none.
        session = await visitor.start_session(conversation_id=first)
        assert session["conversation"]["id"] == first and len(session["conversations"]) == 2
        assert (await visitor.start_session())["conversation"]["id"] == second
    finally:
        await visitor.close()


async def test_another_visitors_conversation_is_refused_everywhere(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    owner, stranger = Visitor(server_url, token), Visitor(server_url, token)
    await owner.start_session()
    await owner.connect()
    await stranger.start_session()
    await stranger.connect()
    try:
        await owner.send("Private matter", team="support")
        theirs = (await owner.expect("ack"))["conversation_id"]

        await stranger.send("Let me in", conversation_id=theirs)
        refused = await stranger.expect("error")
        assert refused["field"] == "conversation_id"
        await stranger.socket.send(json.dumps({"type": "follow", "conversation_id": theirs}))
        assert (await stranger.expect("error"))["field"] == "conversation_id"
        session = await stranger.start_session(conversation_id=theirs)
        assert session["conversation"] is None and session["messages"] == [] and session["conversations"] == []
        assert (await _listed(server_url, stranger)).json()["conversations"] == []
        assert [m.body for m in await _conversation_messages(engine, theirs)] == ["Private matter"]
    finally:
        await owner.close()
        await stranger.close()
    # The list answers only the visitor whose token it is, and only on an allowed site.
    assert (await _listed(server_url, owner, **{"X-Frontdesk-Visitor": "fdv_unknown"})).status_code == 401
    assert (await _listed(server_url, owner, Origin="https://evil.example")).status_code == 403
    assert (await _listed(server_url, owner, **{"X-Frontdesk-Widget": ""})).status_code == 422


async def _conversation_messages(engine: AsyncEngine, conversation_id: int) -> list[Message]:
    async with create_session_factory(engine)() as session:
        return list((await session.scalars(select(Message).where(Message.conversation_id == conversation_id))).all())


async def test_a_rating_takes_the_stars_first_and_a_comment_after(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = Visitor(server_url, await allow_site(engine, workspace.id))
    await visitor.start_session()
    await visitor.connect()
    try:
        await visitor.send("Thanks for the help", team="support")
        conversation_id = (await visitor.expect("ack"))["conversation_id"]
        await _resolve(server_url, workspace, conversation_id)
        await visitor.expect("status")

        await visitor.socket.send(json.dumps({"type": "rate", "comment": "before the stars"}))
        assert (await visitor.expect("error"))["field"] == "rating"
        await visitor.socket.send(json.dumps({"type": "rate", "rating": 4}))
        assert (await visitor.expect("rated")) == {
            "type": "rated", "conversation_id": conversation_id, "rating": 4, "commented": False,
        }  # fmt: skip
        for _ in range(2):  # sent twice (a double click): the same rating
            await visitor.socket.send(json.dumps({"type": "rate", "comment": "Quick and kind"}))
            assert (await visitor.expect("rated"))["commented"] is True
        await visitor.socket.send(json.dumps({"type": "rate", "rating": 4}))  # the stars again keep the comment
        await visitor.expect("rated")
        stored = await _conversation(engine, conversation_id)
        assert (stored.csat_rating, stored.csat_comment) == (4, "Quick and kind")
        session = await visitor.start_session()
        assert session["conversation"]["csat_rating"] == 4 and session["conversation"]["csat_commented"] is True
    finally:
        await visitor.close()


async def test_a_page_load_after_thirty_quiet_minutes_counts_another_visit(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    visitor = Visitor(server_url, await allow_site(engine, workspace.id))
    await visitor.start_session()
    factory = create_session_factory(engine)

    async def visits() -> int:
        async with factory() as session:
            return int(await session.scalar(select(VisitorRow.sessions).where(VisitorRow.workspace_id == workspace.id)))

    async def quiet_for(minutes: int) -> None:
        async with factory() as session:
            await session.execute(
                update(VisitorRow)
                .where(VisitorRow.workspace_id == workspace.id)
                .values(last_seen_at=utcnow() - timedelta(minutes=minutes))
            )
            await session.commit()

    await visitor.start_session()
    assert await visits() == 1  # pages of one visit
    await quiet_for(29)
    await visitor.start_session()
    assert await visits() == 1
    await quiet_for(31)
    await visitor.start_session()
    assert await visits() == 2  # a returning visitor
