"""What the widget needs to look like the business's own: branding, language, agents, reply time, office hours.

Foundation stub: the full version (agents, "usually replies in", office hours) is built in issue 14.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import ChatSettings


async def widget_config(*, session: AsyncSession, settings: ChatSettings) -> dict[str, Any]:
    """The ``config`` object of the widget's session answer (see docs/widget.md)."""
    return {
        "color": settings.color,
        "position": settings.position,
        "launcher_text": settings.launcher_text,
        "launcher_icon": settings.launcher_icon,
        "language": settings.language,
        "greeting": settings.welcome_message,
        "offline_message": settings.offline_message,
        "agents": [],
        "reply_time_seconds": None,
        "teams": {},
    }
