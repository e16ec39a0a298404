"""What the feedback domains share: a workspace's feedback settings and the e-mail outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class FeedbackSettings(Base):
    """Per workspace: when a low score suggests a complaint, and where referral links lead."""

    __tablename__ = "feedback_settings"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # Stars (reviews, chat ratings, 1-5) at or under this suggest a complaint.
    complaint_star_threshold: Mapped[int] = mapped_column(Integer, default=2)
    # Survey scores (0-10) at or under this suggest a complaint.
    complaint_score_threshold: Mapped[int] = mapped_column(Integer, default=3)
    complaint_due_days: Mapped[int] = mapped_column(Integer, default=7)
    # The business's page a referral link opens, with ?ref=CODE appended; Frontdesk's own join page if unset.
    referral_landing_url: Mapped[str | None] = mapped_column(String(500), default=None)


class EmailStatus(enum.StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a sender; never picked again, so a crash cannot send it twice
    sent = "sent"
    failed = "failed"


class OutboxEmail(Base):
    """An e-mail to send, written in the same transaction as what it announces."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        # One e-mail per purpose and subject (a survey recipient): sending a survey again adds no copies.
        UniqueConstraint("workspace_id", "purpose", "subject_id"),
        Index("ix_outbox_emails_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(BigIntId)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.pending.value)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
