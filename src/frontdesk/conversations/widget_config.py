"""What the widget needs to look like the business's own: branding, language, agents, reply time, office hours.

It runs on every page load of every visitor, so it costs a handful of indexed queries; the median reply time,
which reads a month of conversations, is kept per workspace for a few minutes.
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import AgentPresence, ChatSettings, Conversation, Presence, Team, TeamMember
from frontdesk.conversations.office_hours import is_open, team_zone, workspace_zone_name
from frontdesk.conversations.routing import PRESENCE_TTL
from frontdesk.db import utcnow
from frontdesk.helpcenter.widget_help import widget_help
from frontdesk.inputs import RequestModel
from frontdesk.workspaces.models import Agent

# The widget's catalogue has these languages (widget.js); the launcher draws these icons.
LANGUAGES = {"en": "English", "de": "Deutsch"}
LAUNCHER_ICONS = ("chat", "help", "wave", "mail")
POSITIONS = ("right", "left")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
AVATAR_URL = re.compile(r"https?://[^\s\"'<>]{1,490}")
MAX_AGENTS_SHOWN = 3
REPLY_TIME_WINDOW = timedelta(days=30)
REPLY_TIME_MIN_CONVERSATIONS = 5
REPLY_TIME_CACHE_SECONDS = 300.0
_reply_time_cache: dict[tuple[int, str], tuple[float, float | None]] = {}


class WidgetLook(RequestModel):
    """The branding fields of /settings/chat (and of its preview): every one checked as the widget uses it."""

    color: str = Field("#2456d3", description="#rrggbb")
    position: str = "right"
    launcher_text: str = Field("", max_length=40)
    launcher_icon: str = "chat"
    language: str = "en"
    welcome_message: str = Field("Hi! How can we help?", max_length=500)
    offline_message: str = Field("We're away right now.", max_length=500)
    show_agents: bool = True

    @field_validator("color")
    @classmethod
    def _color(cls, value: str) -> str:
        if not COLOR.fullmatch(value.strip()):
            raise ValueError("a colour as #rrggbb, e.g. #2456d3")
        return value.strip().lower()

    @field_validator("position")
    @classmethod
    def _position(cls, value: str) -> str:
        if value not in POSITIONS:
            raise ValueError("right or left")
        return value

    @field_validator("launcher_icon")
    @classmethod
    def _icon(cls, value: str) -> str:
        if value not in LAUNCHER_ICONS:
            raise ValueError(f"one of {', '.join(LAUNCHER_ICONS)}")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("launcher_text", "welcome_message", "offline_message")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


def check_avatar_url(value: str) -> str | None:
    """An http(s) URL for an agent's picture, or None when blank; ValueError otherwise."""
    url = value.strip()
    if not url:
        return None
    if not AVATAR_URL.fullmatch(url):
        raise ValueError("an http:// or https:// address of an image, up to 500 characters")
    return url


def initials(name: str) -> str:
    words = [word for word in re.split(r"\s+", name.strip()) if word]
    letters = "".join(word[0] for word in words[:2]) if len(words) > 1 else name.strip()[:2]
    return letters.upper() or "?"


def median_reply_seconds(pairs: list[tuple[datetime, datetime]]) -> float | None:
    """The median of first_response_at - created_at; None with fewer than the minimum of conversations."""
    if len(pairs) < REPLY_TIME_MIN_CONVERSATIONS:
        return None
    return float(statistics.median((answered - created).total_seconds() for created, answered in pairs))


async def reply_time_seconds(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> float | None:
    """ "Usually replies in": the median first-response time of the last 30 days' conversations an agent answered."""
    since = (now or utcnow()) - REPLY_TIME_WINDOW
    rows = await session.execute(
        select(Conversation.created_at, Conversation.first_response_at)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.created_at >= since,
            Conversation.first_response_at.is_not(None),
        )
        .order_by(Conversation.created_at.desc())
        .limit(20_000)
    )
    return median_reply_seconds([(created, answered) for created, answered in rows.all() if answered is not None])


async def _cached_reply_time(session: AsyncSession, settings: ChatSettings) -> float | None:
    # Keyed by the token too: a workspace id can be reused after a test database is emptied.
    key = (settings.workspace_id, settings.widget_token)
    found = _reply_time_cache.get(key)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    value = await reply_time_seconds(session=session, workspace_id=settings.workspace_id)
    if len(_reply_time_cache) > 10_000:
        _reply_time_cache.clear()
    _reply_time_cache[key] = (time.monotonic() + REPLY_TIME_CACHE_SECONDS, value)
    return value


async def _online_by_team(session: AsyncSession, workspace_id: int) -> dict[int, set[int]]:
    rows = await session.execute(
        select(TeamMember.team_id, AgentPresence.agent_id)
        .join(TeamMember, TeamMember.agent_id == AgentPresence.agent_id)
        .where(
            AgentPresence.workspace_id == workspace_id,
            AgentPresence.status == Presence.online.value,
            AgentPresence.last_seen_at > utcnow() - PRESENCE_TTL,
        )
    )
    online: dict[int, set[int]] = {}
    for team_id, agent_id in rows.all():
        online.setdefault(team_id, set()).add(agent_id)
    return online


async def _agents_shown(session: AsyncSession, workspace_id: int, online: set[int]) -> list[dict[str, Any]]:
    """Up to three active agents who are in a team (they take chats), online ones first."""
    in_a_team = (
        select(TeamMember.agent_id).join(Team, Team.id == TeamMember.team_id).where(Team.workspace_id == workspace_id)
    )
    agents = (
        await session.execute(
            select(Agent.id, Agent.display_name, Agent.avatar_url)
            .where(Agent.workspace_id == workspace_id, Agent.is_active.is_(True), Agent.id.in_(in_a_team))
            .order_by(Agent.id)
            .limit(200)
        )
    ).all()
    ordered = sorted(agents, key=lambda agent: (agent.id not in online, agent.id))
    return [
        {"name": agent.display_name, "initials": initials(agent.display_name), "avatar_url": agent.avatar_url}
        for agent in ordered[:MAX_AGENTS_SHOWN]
    ]


async def preview_agents(*, session: AsyncSession, workspace_id: int) -> list[dict[str, Any]]:
    """The agents the widget would show were "show agents" on (the settings' preview, before saving)."""
    online = await _online_by_team(session, workspace_id)
    return await _agents_shown(session, workspace_id, set().union(*online.values()) if online else set())


async def widget_config(*, session: AsyncSession, settings: ChatSettings) -> dict[str, Any]:
    """The ``config`` object of the widget's session answer (see docs/widget.md)."""
    workspace_id = settings.workspace_id
    teams = (await session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id))).all()
    workspace_zone = await workspace_zone_name(session, workspace_id)
    online = await _online_by_team(session, workspace_id)
    now = utcnow()
    everyone_online = set().union(*online.values()) if online else set()
    # Article suggestions before a chat (helpcenter.widget_help): on when there is something to suggest.
    help_setup = await widget_help(session=session, workspace_id=workspace_id, widget_language=settings.language)
    return {
        "color": settings.color,
        "position": settings.position,
        "launcher_text": settings.launcher_text,
        "launcher_icon": settings.launcher_icon,
        "language": settings.language,
        "greeting": settings.welcome_message,
        "offline_message": settings.offline_message,
        "agents": await _agents_shown(session, workspace_id, everyone_online) if settings.show_agents else [],
        "reply_time_seconds": await _cached_reply_time(session, settings),
        "teams": {
            team.key: {
                "name": team.name,
                "open_now": is_open(team.office_hours or {}, team_zone(team, workspace_zone), now),
                "online": bool(online.get(team.id)),
            }
            for team in teams
        },
        "help": {"enabled": help_setup.enabled, "locale": help_setup.locale},
    }
