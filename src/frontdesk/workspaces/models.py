"""Tenants and the people and programs that act inside them."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from slugify import slugify
from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What an agent or API key may do. Ordered: each role can do everything the next one can."""

    admin = "admin"
    # An agent who also writes the help center (articles, collections, publishing).
    editor = "editor"
    agent = "agent"
    viewer = "viewer"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "agent": 1, "editor": 2, "admin": 3}[self.value]

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank


def _new_slug(context: Any) -> str:
    """A readable, unique default: the name as a slug plus a random suffix (``demo-shop-3fa9c1``)."""
    name = str(context.get_current_parameters().get("name") or "workspace")
    return f"{slugify(name, max_length=40, word_boundary=True) or 'workspace'}-{secrets.token_hex(3)}"


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The workspace in public addresses (the help center at /help/SLUG); the admin can change it in Settings.
    slug: Mapped[str] = mapped_column(String(60), unique=True, default=_new_slug)
    # An IANA zone ("Europe/Berlin"): where the business's days, weeks and months begin, for every report.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Outbound webhooks may target loopback, link-local and private addresses only when an admin allows it:
    # otherwise a webhook URL could reach into the network Frontdesk runs in (server-side request forgery).
    allow_private_webhook_targets: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("workspace_id", "email_normalized"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.agent.value)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The agent's own time zone for every time the console shows; the workspace's when null.
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    # Desktop notifications and a sound while the console is in the background; each agent can switch them off.
    notify_desktop: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_sound: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Shown beside the agent's name in the widget; initials when none.
    avatar_url: Mapped[str | None] = mapped_column(String(500), default=None)


class AgentSession(Base):
    """A console login. Only the token's hash is stored, so a database leak reveals no live session."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The first characters of the key, shown in listings so people can tell their keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.admin.value)
    # What the key may touch (workspaces.scopes names them); None: everything its role allows.
    scopes: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AuditEntry(Base):
    """Who did what to which record. Holds no personal data, so it survives an erasure."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_workspace_subject", "workspace_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(BigIntId, default=None)
    actor: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
