"""What the widget is told about a conversation: its visitor-safe summary and its lines, with their files."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.attachments import attachments_for
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.schemas import MessageRead

MESSAGES_PER_PAGE = 500  # list_messages' default limit


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    """Never the conversation's context, notes or agents' data: only what the visitor may know."""
    return {
        "id": conversation.id,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "csat_rating": conversation.csat_rating,
        "csat_commented": bool(conversation.csat_comment),
    }


def through_seq(conversation: Conversation, messages: list[Message]) -> int:
    """The sequence number up to which ``messages`` (read after ``conversation``) hold every line the visitor
    may see: the conversation's last one, unless the page was cut at its limit."""
    if len(messages) >= MESSAGES_PER_PAGE:
        return messages[-1].seq
    return max([conversation.last_seq, *(m.seq for m in messages)])


async def message_payloads(session: AsyncSession, messages: list[Message]) -> list[dict[str, Any]]:
    """The lines as the widget shows them, each with the files sent with it."""
    files = await attachments_for(session=session, messages=messages, audience="visitor") if messages else {}
    payloads = []
    for message in messages:
        read = MessageRead.model_validate(message)
        read.attachments = files.get(message.id, [])
        payloads.append(read.model_dump(mode="json"))
    return payloads
