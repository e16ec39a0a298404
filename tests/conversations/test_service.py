"""Messages are stored once, in order, and reach the right listeners; visitors become contacts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.conversations import routing
from frontdesk.conversations.csat import do_rate
from frontdesk.conversations.housekeeping import do_auto_resolve
from frontdesk.conversations.models import AuthorType, Conversation, Message, MessageKind, Presence
from frontdesk.conversations.outbox import Outbox, conversation_channel, inbox_channel
from frontdesk.conversations.queries import list_messages
from frontdesk.conversations.schemas import RatingCreate, VisitorMessage
from frontdesk.conversations.service import do_change_conversation, do_post_message
from frontdesk.conversations.visitors import (
    current_conversation,
    do_start_visitor,
    do_visitor_message,
    get_chat_settings,
    user_hash,
)
from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput
from frontdesk.workspaces.models import Agent
from tests.factories import WorkspaceHandle


async def _visitor(session: AsyncSession, workspace: WorkspaceHandle, token: str | None = None):  # type: ignore[no-untyped-def]
    settings = await get_chat_settings(session=session, workspace_id=workspace.id)
    return (await do_start_visitor(session=session, settings=settings, visitor_token=token)).visitor


async def test_first_visitor_message_opens_a_conversation_with_a_prospect_contact(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    visitor = await _visitor(session, workspace)
    outbox = Outbox()
    conversation, message, created = await do_visitor_message(
        session=session,
        visitor=visitor,
        data=VisitorMessage(client_id="c1", body="Do you ship to Norway?"),
        outbox=outbox,
    )
    await session.commit()
    assert created and message.seq == 1
    assert conversation.status == "open" and conversation.started_offline  # nobody is online yet
    contact = await session.get(Contact, conversation.contact_id)
    assert contact is not None and contact.stage == "prospect"
    channels = [channel for channel, _ in outbox.events]
    assert conversation_channel(conversation.id) in channels and inbox_channel(workspace.id) in channels


async def test_a_retried_send_is_stored_once(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    visitor = await _visitor(session, workspace)
    for _ in range(3):
        _, message, _ = await do_visitor_message(
            session=session, visitor=visitor, data=VisitorMessage(client_id="same", body="hello"), outbox=Outbox()
        )
        await session.commit()
    second = await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(client_id="other", body="again"), outbox=Outbox()
    )
    await session.commit()
    assert message.seq == 1 and second[1].seq == 2
    assert await session.scalar(select(func.count(Message.id))) == 2


async def test_notes_never_reach_the_visitor(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    visitor = await _visitor(session, workspace)
    conversation, _, _ = await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="hi"), outbox=Outbox()
    )
    agent = await session.scalar(select(Agent).where(Agent.workspace_id == workspace.id))
    assert agent is not None
    outbox = Outbox()
    await do_post_message(
        session=session,
        conversation=conversation,
        author_type=AuthorType.agent,
        client_id="n1",
        body="VIP, be nice",
        kind=MessageKind.note,
        agent=agent,
        outbox=outbox,
    )
    await session.commit()
    to_visitor = [event for channel, event in outbox.events if channel != inbox_channel(workspace.id)]
    # The visitor hears only that the number is taken (so it is not a gap), never the note.
    assert to_visitor == [{"type": "seq", "conversation_id": conversation.id, "seq": 2}]
    visible = await list_messages(session=session, conversation=conversation, include_notes=False)
    assert [m.body for m in visible] == ["hi"]
    assert conversation.first_response_at is None  # a note is not a response


async def test_resolve_then_new_visitor_message_reopens(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    visitor = await _visitor(session, workspace)
    conversation, _, _ = await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="hi"), outbox=Outbox()
    )
    agent = await session.scalar(select(Agent).where(Agent.workspace_id == workspace.id))
    assert agent is not None
    await do_post_message(
        session=session,
        conversation=conversation,
        author_type=AuthorType.agent,
        client_id="a1",
        body="Hello!",
        agent=agent,
        outbox=Outbox(),
    )
    await do_change_conversation(
        session=session, conversation=conversation, outbox=Outbox(), changes={"status": "resolved"}, actor_name="Ann"
    )
    await session.commit()
    assert conversation.first_response_seconds is not None and conversation.resolution_seconds is not None
    again, _, _ = await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="one more thing"), outbox=Outbox()
    )
    await session.commit()
    assert again.id == conversation.id and again.status == "open" and again.resolved_at is None


async def test_user_hash_proves_identity_and_a_wrong_one_is_refused(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    settings = await get_chat_settings(session=session, workspace_id=workspace.id)
    first = await do_start_visitor(
        session=session,
        settings=settings,
        visitor_token=None,
        user_id="u-42",
        given_hash=user_hash(settings.identity_secret, "u-42"),
    )
    assert first.identity_verified
    await do_visitor_message(
        session=session, visitor=first.visitor, data=VisitorMessage(body="from laptop"), outbox=Outbox()
    )
    forged = await do_start_visitor(
        session=session, settings=settings, visitor_token=None, user_id="u-42", given_hash="0" * 64
    )
    assert not forged.identity_verified and forged.identity_error
    assert forged.visitor.external_user_id is None
    phone = await do_start_visitor(
        session=session,
        settings=settings,
        visitor_token=None,
        user_id="u-42",
        given_hash=user_hash(settings.identity_secret, "u-42"),
    )
    assert await current_conversation(session=session, visitor=forged.visitor) is None
    shared = await current_conversation(session=session, visitor=phone.visitor)
    assert shared is not None and shared.visitor_id == first.visitor.id


async def test_round_robin_among_online_agents_with_a_limit(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    for _ in range(2):
        await workspace.add_agent()
    agents = list((await session.scalars(select(Agent).where(Agent.workspace_id == workspace.id))).all())
    teams = await routing.ensure_default_teams(session=session, workspace_id=workspace.id)
    teams["support"].max_open_per_agent = 2
    online = agents[:2]  # the third agent stays offline
    for agent in online:
        await routing.do_set_presence(session=session, agent=agent, status=Presence.online)
    assignees = []
    for _ in range(5):
        visitor = await _visitor(session, workspace)
        conversation, _, _ = await do_visitor_message(
            session=session, visitor=visitor, data=VisitorMessage(body="hi", team="support"), outbox=Outbox()
        )
        assignees.append(conversation.assignee_id)
        assert not conversation.started_offline
    await session.commit()
    first, second = online[0].id, online[1].id
    assert assignees == [first, second, first, second, None]  # the fifth waits: both are at their limit
    assert await session.scalar(select(func.count(Conversation.id)).where(Conversation.assignee_id.is_(None))) == 1


async def test_idle_conversations_are_resolved_automatically(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    settings = await get_chat_settings(session=session, workspace_id=workspace.id)
    settings.auto_resolve_minutes = 30
    busy = await _visitor(session, workspace)
    idle = await _visitor(session, workspace)
    busy_conversation, _, _ = await do_visitor_message(
        session=session, visitor=busy, data=VisitorMessage(body="a"), outbox=Outbox()
    )
    idle_conversation, _, _ = await do_visitor_message(
        session=session, visitor=idle, data=VisitorMessage(body="b"), outbox=Outbox()
    )
    idle_conversation.last_activity_at = utcnow() - timedelta(minutes=31)
    await session.commit()
    outbox = Outbox()
    assert await do_auto_resolve(session=session, outbox=outbox) == 1
    await session.commit()
    assert (idle_conversation.status, busy_conversation.status) == ("resolved", "open")
    assert any(event.get("status") == "resolved" for _, event in outbox.events)


async def test_csat_is_taken_only_after_resolving_and_stored_with_the_agent(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    visitor = await _visitor(session, workspace)
    conversation, _, _ = await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="hi"), outbox=Outbox()
    )
    agent = await session.scalar(select(Agent).where(Agent.workspace_id == workspace.id))
    assert agent is not None
    conversation.assignee_id = agent.id
    with pytest.raises(InvalidInput):
        await do_rate(session=session, conversation=conversation, data=RatingCreate(rating=5), outbox=Outbox())
    await do_change_conversation(
        session=session, conversation=conversation, outbox=Outbox(), changes={"status": "resolved"}, actor_name="Ann"
    )
    await do_rate(
        session=session, conversation=conversation, data=RatingCreate(rating=4, comment="quick"), outbox=Outbox()
    )
    await session.commit()
    assert (conversation.csat_rating, conversation.csat_comment, conversation.csat_agent_id) == (4, "quick", agent.id)
