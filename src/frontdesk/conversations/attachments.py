"""Files sent in conversations: checked by their bytes, kept in the storage backend, served only to participants.

Foundation stub: storing, checking and serving are built in issue 14.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Message
from frontdesk.conversations.schemas import AttachmentRead

Audience = Literal["agent", "visitor"]


async def attachments_for(
    *, session: AsyncSession, messages: Sequence[Message], audience: Audience
) -> dict[int, list[AttachmentRead]]:
    """The attachments of ``messages`` by message id, with URLs the audience can open (one query)."""
    return {}
