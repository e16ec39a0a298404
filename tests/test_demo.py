"""The demo workspace a new user judges Frontdesk by: every page has history to show."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.complaints.models import Complaint
from frontdesk.conversations.identity import claim_read
from frontdesk.conversations.models import Conversation, ConversationStatus, Message
from frontdesk.db import utcnow
from frontdesk.demo import DEMO_ADMIN_EMAIL, DEMO_PASSWORD, do_create_demo
from frontdesk.referrals.models import Referral
from frontdesk.reviews.models import Review, ReviewStatus
from frontdesk.surveys.models import SurveyRecipient
from tests.workspaces.test_console_auth import login as sign_in


async def _count(session: AsyncSession, statement: object) -> int:
    return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]


async def test_demo_has_chats_and_feedback_and_their_pages_show_them(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    result = await do_create_demo(session=session)
    await session.commit()
    ws = result.workspace_id
    assert result.conversations >= 25 and result.messages > 2 * result.conversations

    conversations = list(
        await session.scalars(select(Conversation).where(Conversation.workspace_id == ws).order_by(Conversation.id))
    )
    statuses = {c.status for c in conversations}
    assert {
        ConversationStatus.open.value,
        ConversationStatus.pending.value,
        ConversationStatus.resolved.value,
    } <= statuses
    assert len({c.assignee_id for c in conversations if c.assignee_id}) == 2  # Ada and Sam both answer chats
    now = utcnow()
    for conversation in conversations:
        # Times lie in the past and in order, so response and resolution figures make sense.
        assert conversation.created_at < now
        if conversation.first_response_at is not None:
            assert conversation.created_at < conversation.first_response_at <= conversation.last_activity_at
        if conversation.resolved_at is not None:
            assert conversation.last_activity_at <= conversation.resolved_at < now
        assert (conversation.status == ConversationStatus.resolved.value) == (conversation.resolved_at is not None)
        messages = list(await session.scalars(select(Message).where(Message.conversation_id == conversation.id)))
        assert messages and all(conversation.created_at <= m.created_at < now for m in messages)
        ordered = sorted(messages, key=lambda m: m.seq)
        assert [m.created_at for m in ordered] == sorted(m.created_at for m in ordered)
    assert any(c.csat_rating is not None and c.csat_comment for c in conversations)
    assert all(c.status == ConversationStatus.resolved.value for c in conversations if c.csat_rating is not None)
    claims = [await claim_read(session=session, conversation=c) for c in conversations]
    unverified = [claim for claim in claims if claim is not None and not claim.verified]
    assert any(claim.matches_contact_id is not None for claim in unverified)  # typed a customer's address
    assert any(claim.matches_contact_id is None for claim in unverified)  # an address nobody has
    assert any(claim is not None and claim.verified_by == "link" for claim in claims)

    answered = SurveyRecipient.workspace_id == ws, SurveyRecipient.score.is_not(None)
    assert await _count(session, select(func.count()).where(*answered)) >= 20
    months = await session.scalars(select(SurveyRecipient.answered_at).where(*answered))
    assert len({(at.year, at.month) for at in months}) >= 2  # spread over months (two surveys, months apart)
    approved = Review.workspace_id == ws, Review.status == ReviewStatus.approved.value
    assert await _count(session, select(func.count()).where(*approved)) >= 5
    assert await _count(session, select(func.count()).where(*approved, Review.reply.is_not(None))) >= 1
    pending = Review.workspace_id == ws, Review.status == ReviewStatus.pending.value
    assert await _count(session, select(func.count()).where(*pending)) >= 1
    complaint_states = set(await session.scalars(select(Complaint.status).where(Complaint.workspace_id == ws)))
    assert len(complaint_states) >= 3
    assert await _count(session, select(func.count()).where(Referral.workspace_id == ws)) >= 5

    login = await sign_in(client, DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    assert login.status_code == 303
    pages = {}
    paths = ["/inbox", "/inbox?status=resolved", "/surveys", "/surveys/report", "/reviews", "/reviews?status=approved"]
    for path in [*paths, "/complaints", "/referrals"]:
        page = await client.get(path)
        assert page.status_code == 200, path
        pages[path] = page.text
    assert "unverified e-mail" in pages["/inbox"]
    offline = [c for c in conversations if c.started_offline]
    claim_page = await client.get(f"/inbox/{offline[0].id}")
    assert claim_page.status_code == 200
    assert re.search(r"unverified</span>; matches <a href=\"/contacts/\d+\">contact \d+", claim_page.text)
    assert "Thank you so much" in pages["/reviews?status=approved"]  # the shop's public reply
    assert "Charged twice" in pages["/complaints"]


async def test_a_tiny_demo_is_created_once(session: AsyncSession) -> None:
    # `frontdesk demo --contacts 2`: too few customers for some stories, which are then left out.
    first = await do_create_demo(session=session, contacts=2)
    await session.commit()
    again = await do_create_demo(session=session, contacts=2)
    assert not again.created and again.workspace_id == first.workspace_id
    assert await _count(session, select(func.count()).select_from(Conversation)) == first.conversations
