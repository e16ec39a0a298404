"""Proactive chat from the widget's side: the invitation endpoint, and a conversation that starts with one."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk import security
from frontdesk.conversations import invitations, routing
from frontdesk.conversations.invitations import InvitationOffer
from frontdesk.conversations.models import Conversation, Invitation, InvitationRule, Message
from frontdesk.conversations.models import Visitor as VisitorRow
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.schemas import VisitorMessage
from frontdesk.conversations.visitors import do_start_visitor, do_visitor_message, get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.errors import NotFound
from tests.conversations.chat_clients import SITE, Visitor, allow_site
from tests.factories import WorkspaceHandle

PRICING = "https://shop.example/pricing"


async def _start(client: httpx.AsyncClient, token: str) -> str:
    response = await client.post(
        "/widget/api/session", content=json.dumps({"widget_token": token}), headers={"Origin": SITE}
    )
    assert response.status_code == 200, response.text
    visitor_token: str = response.json()["visitor_token"]
    return visitor_token


async def _ask(client: httpx.AsyncClient, body: dict[str, Any], origin: str = SITE) -> httpx.Response:
    return await client.post(
        "/widget/api/invitation", content=json.dumps(body), headers={"Origin": origin, "Content-Type": "text/plain"}
    )


async def test_the_invitation_endpoint_asks_the_matcher_and_answers_what_to_show(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[int, str, int]] = []

    async def matcher(*, session: Any, settings: Any, visitor: VisitorRow, page_url: str, seconds_on_page: int) -> Any:
        asked.append((visitor.workspace_id, page_url, seconds_on_page))
        if seconds_on_page < 30:
            return None
        return InvitationOffer(
            invitation_id=7, rule_id=3, team="sales", message="Questions about plans?", author_name="Sales"
        )

    monkeypatch.setattr(invitations, "match_invitation", matcher)
    token = await allow_site(engine, workspace.id)
    visitor_token = await _start(client, token)
    body = {"widget_token": token, "visitor_token": visitor_token, "page_url": PRICING, "seconds_on_page": 10}
    early = await _ask(client, body)
    assert early.status_code == 200 and early.json() == {"invitation": None}
    assert early.headers["access-control-allow-origin"] == SITE
    later = await _ask(client, {**body, "seconds_on_page": 30})
    assert later.json() == {
        "invitation": {"id": 7, "team": "sales", "message": "Questions about plans?", "author_name": "Sales"}
    }
    assert asked == [(workspace.id, PRICING, 10), (workspace.id, PRICING, 30)]

    # Refused before the matcher is asked: unknown visitor, foreign site, bad values (each naming its field).
    assert (await _ask(client, {**body, "visitor_token": "fdv_nobody"})).status_code == 401
    assert (await _ask(client, body, origin="https://evil.example")).status_code == 403
    for field, value in (("seconds_on_page", -1), ("seconds_on_page", "soon"), ("page_url", "x" * 2001)):
        refused = await _ask(client, {**body, field: value})
        assert refused.status_code == 422 and refused.json()["field"] == field
    assert (await _ask(client, {**body, "extra": 1})).json()["field"] == "extra"
    assert len(asked) == 2


async def _visitor_row(engine: AsyncEngine, visitor_token: str) -> VisitorRow:
    async with create_session_factory(engine)() as session:
        row = await session.scalar(
            select(VisitorRow).where(VisitorRow.token_hash == security.token_digest(visitor_token))
        )
        assert row is not None
        return row


async def _invitation_for(engine: AsyncEngine, workspace_id: int, visitor_id: int, message: str) -> int:
    """A rule of the sales team and the invitation it showed the visitor, written as the matcher would."""
    async with create_session_factory(engine)() as session:
        sales = await routing.get_team(session=session, workspace_id=workspace_id, key="sales")
        rule = InvitationRule(
            workspace_id=workspace_id, name="Pricing", url_pattern="/pricing*", team_id=sales.id, message=message
        )
        session.add(rule)
        await session.flush()
        invitation = Invitation(workspace_id=workspace_id, rule_id=rule.id, visitor_id=visitor_id, page_url=PRICING)
        session.add(invitation)
        await session.commit()
        return invitation.id


async def test_answering_an_invitation_starts_a_conversation_with_its_line_routed_to_its_team(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    visitor, stranger = Visitor(server_url, token), Visitor(server_url, token)
    await visitor.start_session()
    await stranger.start_session()
    row = await _visitor_row(engine, visitor.visitor_token or "")
    invitation_id = await _invitation_for(engine, workspace.id, row.id, "Need help choosing a plan?")
    await visitor.connect()
    await stranger.connect()
    try:
        await stranger.send("Me too", invitation_id=invitation_id)  # not the stranger's invitation
        assert (await stranger.expect("error"))["field"] == "invitation_id"

        client_id = await visitor.send("Yes, which plan fits a team of 5?", invitation_id=invitation_id)
        ack = await visitor.expect("ack")
        assert ack["message"]["seq"] == 2
        opening = await visitor.wait_for_body("Need help choosing a plan?")
        assert (opening["seq"], opening["author_type"], opening["author_name"]) == (1, "agent", "Sales")
        await visitor.send("Yes, which plan fits a team of 5?", client_id=client_id, invitation_id=invitation_id)
        assert (await visitor.expect("ack"))["conversation_id"] == ack["conversation_id"]  # a retry: stored once
    finally:
        await visitor.close()
        await stranger.close()
    async with create_session_factory(engine)() as session:
        conversation = await session.get(Conversation, ack["conversation_id"])
        assert conversation is not None
        sales = await routing.get_team(session=session, workspace_id=workspace.id, key="sales")
        assert conversation.team_id == sales.id
        assert conversation.first_response_at is None  # speaking first is no answer to the visitor
        lines = (
            await session.scalars(
                select(Message.body).where(Message.conversation_id == conversation.id).order_by(Message.seq)
            )
        ).all()
        assert lines == ["Need help choosing a plan?", "Yes, which plan fits a team of 5?"]
        invitation = await session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.conversation_id == conversation.id and invitation.answered_at
        assert await session.scalar(select(Conversation.id).where(Conversation.visitor_id != row.id)) is None


async def test_the_answered_invitation_is_reported_to_the_invitations_service(
    engine: AsyncEngine, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    async def mark_answered(*, session: Any, visitor: VisitorRow, invitation_id: int, conversation_id: int) -> None:
        calls.append({"visitor": visitor.id, "invitation": invitation_id, "conversation": conversation_id})

    monkeypatch.setattr(invitations, "mark_answered", mark_answered)
    factory = create_session_factory(engine)
    async with factory() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        visitor = (await do_start_visitor(session=session, settings=settings, visitor_token=None)).visitor
        await session.commit()
        visitor_id = visitor.id
    invitation_id = await _invitation_for(engine, workspace.id, visitor_id, "Hello from sales")
    async with factory() as session:
        visitor = await session.get(VisitorRow, visitor_id)
        assert visitor is not None
        data = VisitorMessage(body="Hi!", invitation_id=invitation_id)
        conversation, _, created = await do_visitor_message(
            session=session, visitor=visitor, data=data, outbox=Outbox()
        )
        await session.commit()
        assert created
        with pytest.raises(NotFound):
            await do_visitor_message(
                session=session,
                visitor=visitor,
                data=VisitorMessage(body="x", invitation_id=invitation_id + 99),
                outbox=Outbox(),
            )
    assert calls == [{"visitor": visitor_id, "invitation": invitation_id, "conversation": conversation.id}]
