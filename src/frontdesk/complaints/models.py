"""A complaint and its own history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class ComplaintStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"


class Severity(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Category(enum.StrEnum):
    product = "product"
    delivery = "delivery"
    billing = "billing"
    service = "service"
    website = "website"
    other = "other"


class ComplaintSource(enum.StrEnum):
    agent = "agent"
    conversation = "conversation"
    chat_rating = "chat_rating"
    review = "review"
    survey = "survey"
    api = "api"


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_workspace_status_id", "workspace_id", "status", "id"),
        Index("ix_complaints_workspace_created", "workspace_id", "created_at"),
        Index("ix_complaints_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Nothing once the customer is erased: the complaint still counts in the complaint rate, its texts emptied.
    contact_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20))
    # What it was raised from; one of these at most, matching the source.
    conversation_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("conversations.id", ondelete="SET NULL"), default=None
    )
    review_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("reviews.id", ondelete="SET NULL"), default=None)
    survey_recipient_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("survey_recipients.id", ondelete="SET NULL"), default=None
    )
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=ComplaintStatus.open.value)
    owner_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ComplaintEvent(Base):
    """What happened to a complaint: raised, a field changed, resolved."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
