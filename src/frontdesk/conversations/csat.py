"""Satisfaction after a chat: the visitor rates the resolved conversation 1-5, with a comment."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation, ConversationStatus
from frontdesk.conversations.outbox import Outbox, inbox_channel
from frontdesk.conversations.queries import conversation_event
from frontdesk.conversations.schemas import RatingCreate
from frontdesk.errors import InvalidInput


async def do_rate(*, session: AsyncSession, conversation: Conversation, data: RatingCreate, outbox: Outbox) -> None:
    """Store the rating with the conversation and the agent who handled it.

    The widget sends the stars first and may send a comment afterwards: a frame without stars adds its comment
    to the rating already given, a frame without a comment keeps the one given before, and sending the same
    frame twice changes nothing. New stars replace the old ones.
    """
    if conversation.status != ConversationStatus.resolved.value:
        raise InvalidInput("a conversation is rated once it is resolved", field="rating")
    if data.rating is None:
        if conversation.csat_rating is None:
            raise InvalidInput("choose the stars before sending a comment", field="rating")
        if not data.comment:
            raise InvalidInput("write a comment, or choose the stars", field="comment")
    changed = False
    if data.rating is not None and data.rating != conversation.csat_rating:
        conversation.csat_rating = data.rating
        conversation.csat_agent_id = conversation.assignee_id
        changed = True
    if data.comment and data.comment != conversation.csat_comment:
        conversation.csat_comment = data.comment
        changed = True
    if not changed:
        return
    await session.flush()
    outbox.add(
        inbox_channel(conversation.workspace_id), await conversation_event(session=session, conversation=conversation)
    )
