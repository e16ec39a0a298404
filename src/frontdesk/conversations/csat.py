"""Satisfaction after a chat: the visitor rates the resolved conversation 1-5, with a comment."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation, ConversationStatus
from frontdesk.conversations.schemas import RatingCreate
from frontdesk.conversations.service import Outbox, conversation_event, inbox_channel
from frontdesk.errors import InvalidInput


async def do_rate(*, session: AsyncSession, conversation: Conversation, data: RatingCreate, outbox: Outbox) -> None:
    """Store the rating with the conversation and the agent who handled it; rating again replaces it."""
    if conversation.status != ConversationStatus.resolved.value:
        raise InvalidInput("a conversation is rated once it is resolved", field="rating")
    conversation.csat_rating = data.rating
    conversation.csat_comment = data.comment or None
    conversation.csat_agent_id = conversation.assignee_id
    await session.flush()
    outbox.add(
        inbox_channel(conversation.workspace_id), await conversation_event(session=session, conversation=conversation)
    )
