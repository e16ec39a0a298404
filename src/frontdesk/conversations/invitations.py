"""Proactive chat: invitation rules, and the invitation a visitor is shown (once per visitor and rule).

Foundation stub: matching, recording and the report are built in issue 14.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import ChatSettings, Visitor


@dataclass(frozen=True)
class InvitationOffer:
    invitation_id: int
    rule_id: int
    team: str | None
    message: str
    author_name: str | None


async def match_invitation(
    *, session: AsyncSession, settings: ChatSettings, visitor: Visitor, page_url: str, seconds_on_page: int
) -> InvitationOffer | None:
    """The invitation to show this visitor now, recorded as shown; None when no rule matches (or all were shown)."""
    return None


async def mark_answered(*, session: AsyncSession, visitor: Visitor, invitation_id: int, conversation_id: int) -> None:
    """The visitor wrote back to the invitation: it counts as answered, and its conversation is remembered."""
    return None
