"""Writes that own their transaction, shared by the API, the inbox pages and the agents' socket."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import AuthorType, Conversation, Message
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.queries import get_conversation
from frontdesk.conversations.schemas import AgentMessageCreate
from frontdesk.conversations.service import do_post_message
from frontdesk.workspaces.models import Agent


async def post_agent_message(
    *,
    session: AsyncSession,
    workspace_id: int,
    conversation_id: int,
    agent_id: int | None,
    data: AgentMessageCreate,
    author_name: str | None = None,
) -> tuple[Message, bool, Outbox]:
    """Store and commit an agent's message (or note); the events to publish once it is committed.

    A concurrent send with the same client id may win the race on the unique index: then this rolls back and
    tries once more, and finds the winner's message, so the caller can acknowledge it as its own.
    """
    for attempt in range(2):
        outbox = Outbox()
        try:
            _, message, created = await write_agent_line(
                session=session,
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                agent_id=agent_id,
                data=data,
                author_name=author_name,
                outbox=outbox,
            )
            await session.commit()
            return message, created, outbox
        except IntegrityError:
            await session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


async def write_agent_line(
    *,
    session: AsyncSession,
    workspace_id: int,
    conversation_id: int,
    agent_id: int | None,
    data: AgentMessageCreate,
    author_name: str | None,
    outbox: Outbox,
) -> tuple[Conversation, Message, bool]:
    """An agent's line in the workspace's conversation, not committed: the message and whether it is new."""
    conversation = await get_conversation(session=session, workspace_id=workspace_id, conversation_id=conversation_id)
    agent = await session.get(Agent, agent_id) if agent_id else None
    message, created = await do_post_message(
        session=session,
        conversation=conversation,
        author_type=AuthorType.agent,
        client_id=data.client_id,
        body=data.body,
        kind=data.kind,
        agent=agent,
        author_name=author_name,
        outbox=outbox,
    )
    return conversation, message, created
