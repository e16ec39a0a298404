"""Live chat: teams, visitors, conversations and their messages."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class ConversationStatus(enum.StrEnum):
    open = "open"
    pending = "pending"
    snoozed = "snoozed"
    resolved = "resolved"


class AuthorType(enum.StrEnum):
    visitor = "visitor"
    agent = "agent"
    system = "system"


class MessageKind(enum.StrEnum):
    message = "message"
    # A private note between agents: never sent to the visitor.
    note = "note"


class Presence(enum.StrEnum):
    online = "online"
    away = "away"
    offline = "offline"


class ChatSettings(Base):
    """A workspace's live-chat setup: the public widget token, where the widget may run, identity secret."""

    __tablename__ = "chat_settings"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # Public by design: it is pasted into the business's web pages and only identifies the workspace.
    widget_token: Mapped[str] = mapped_column(String(64), unique=True)
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # HMAC key for `user_hash`: lets a site vouch for its logged-in users. Never sent to browsers.
    identity_secret: Mapped[str] = mapped_column(String(128))
    auto_resolve_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    welcome_message: Mapped[str] = mapped_column(String(500), default="Hi! How can we help?")
    offline_message: Mapped[str] = mapped_column(
        String(500), default="We're away right now. Leave a message and your e-mail and we'll get back to you."
    )
    # The widget's look, set in Settings with a live preview (see widget_config).
    color: Mapped[str] = mapped_column(String(7), default="#2456d3", server_default="#2456d3")
    position: Mapped[str] = mapped_column(String(10), default="right", server_default="right")  # right | left
    launcher_text: Mapped[str] = mapped_column(String(40), default="", server_default="")
    launcher_icon: Mapped[str] = mapped_column(String(20), default="chat", server_default="chat")
    # The language of the widget's own texts: a key of the widget's string catalogue ("en", "de").
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    show_agents: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))  # "sales", "support": what the pre-chat choice routes to
    name: Mapped[str] = mapped_column(String(200))
    # Round-robin assigns an agent at most this many open conversations.
    max_open_per_agent: Mapped[int] = mapped_column(Integer, default=5)
    round_robin_cursor: Mapped[int] = mapped_column(Integer, default=0)
    # {"mon": [["09:00", "17:00"]], ...} in the team's time zone (the workspace's when null); empty: always open.
    office_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)


class AgentPresence(Base):
    """Shared by every process: an agent is online while its consoles keep sending heartbeats."""

    __tablename__ = "agent_presence"

    agent_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=Presence.offline.value)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Visitor(Base):
    """A browser on the business's site. The secret token lives in the visitor's localStorage."""

    __tablename__ = "visitors"
    __table_args__ = (Index("ix_visitors_workspace_user", "workspace_id", "external_user_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"), index=True, default=None
    )
    # The site's own user id, once proven with user_hash.
    external_user_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # What the visitor typed into the widget: a claim, never trusted to join records until verified (by the
    # link e-mailed to the address, or by an agent). Kept here, so it goes when the visitor is erased.
    claimed_email: Mapped[str | None] = mapped_column(String(320), default=None)
    claimed_name: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claim_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # "link" (the address's owner opened the e-mailed link), "agent" (merged by hand), "contact" (it is
    # already the address of the visitor's own, verified contact).
    claim_verified_by: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Visits: a page load after 30 minutes without one starts another; more than one is a returning visitor.
    sessions: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A referral code from a link the visitor arrived by (?ref=CODE), attributed once they become a contact.
    referral_code: Mapped[str | None] = mapped_column(String(20), default=None)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_workspace_status", "workspace_id", "status", "id"),
        Index("ix_conversations_workspace_assignee", "workspace_id", "assignee_id"),
        # Reports count and time conversations by when they began, over a period.
        Index("ix_conversations_workspace_created", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    visitor_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("visitors.id", ondelete="SET NULL"), index=True, default=None
    )
    contact_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"), index=True, default=None
    )
    team_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    assignee_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(10), default=ConversationStatus.open.value)
    # Taken while no agent of the team was online: shown as unanswered until an agent replies.
    started_offline: Mapped[bool] = mapped_column(default=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    csat_rating: Mapped[int | None] = mapped_column(Integer, default=None)
    csat_comment: Mapped[str | None] = mapped_column(Text, default=None)
    csat_agent_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    # Since when the visitor has been waiting for an agent's answer; null once answered.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # What the widget saw: current page, pages of this visit, referrer, browser, OS, language, time zone.
    # Agents only: never part of anything sent to a visitor.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def first_response_seconds(self) -> float | None:
        if self.first_response_at is None:
            return None
        return (self.first_response_at - self.created_at).total_seconds()

    @property
    def resolution_seconds(self) -> float | None:
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.created_at).total_seconds()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        # The client's id makes a retried send idempotent: the second insert finds the first.
        UniqueConstraint("conversation_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str] = mapped_column(String(64))
    author_type: Mapped[str] = mapped_column(String(10))
    author_agent_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None
    )
    author_name: Mapped[str | None] = mapped_column(String(200), default=None)
    kind: Mapped[str] = mapped_column(String(10), default=MessageKind.message.value)
    body: Mapped[str] = mapped_column(Text)
    # A visitor's line: how positive or negative it reads (feedback.sentiment), for agents and segments.
    sentiment: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CannedReply(Base):
    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("workspace_id", "shortcut"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # May hold placeholders: {{contact.first_name}}, {{agent.name}} (filled in when it is used).
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Macro(Base):
    """One click that does several things to a conversation, in order: reply, note, tag, status, team, assignee."""

    __tablename__ = "macros"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # [{"type": "reply", "body": "..."}, {"type": "tag", "tag": "refund"}, {"type": "status", "status": "resolved"},
    #  {"type": "team", "team": "support"}, ...]: validated by the macros service.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConversationReadMark(Base):
    """How far an agent has read a conversation: the visitor lines above ``read_seq`` are unread for them."""

    __tablename__ = "conversation_reads"

    agent_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    read_seq: Mapped[int] = mapped_column(Integer, default=0)


class Attachment(Base):
    """A file sent in a conversation. The bytes live in the storage backend under ``storage_key``."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_workspace_conversation", "workspace_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("messages.id", ondelete="CASCADE"), index=True, default=None
    )
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    # Found from the bytes, never from the name or the browser's word.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(10))  # visitor | agent
    agent_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvitationRule(Base):
    """Proactive chat: when a visitor matches every condition set, a team speaks first with ``message``."""

    __tablename__ = "invitation_rules"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Conditions; a null one is not checked. url_pattern is a glob on the page's path and query ("/pricing*").
    url_pattern: Mapped[str | None] = mapped_column(String(500), default=None)
    min_seconds_on_page: Mapped[int | None] = mapped_column(Integer, default=None)
    returning_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # A segment rule (segments.rule_text syntax), matched against the contact of an identified visitor only.
    segment_rule: Mapped[str | None] = mapped_column(Text, default=None)
    team_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    message: Mapped[str] = mapped_column(Text)
    # Lower first, when a visitor matches several rules at once.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Invitation(Base):
    """An invitation shown to one visitor: at most one per visitor and rule."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("rule_id", "visitor_id"),
        Index("ix_invitations_workspace_shown", "workspace_id", "shown_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("invitation_rules.id", ondelete="CASCADE"))
    # Null once the visitor is erased: the invitation still counts in the report.
    visitor_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("visitors.id", ondelete="SET NULL"), index=True, default=None
    )
    contact_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"), index=True, default=None
    )
    conversation_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("conversations.id", ondelete="SET NULL"), default=None
    )
    page_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
