"""Surveys and their recipients; a recipient's row holds their one answer."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow

DEFAULT_QUESTION = "How likely are you to recommend us to a friend or colleague?"


class SurveyStatus(enum.StrEnum):
    draft = "draft"
    sent = "sent"


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_workspace_id_id", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(300), default=DEFAULT_QUESTION)
    segment: Mapped[str] = mapped_column(String(40))  # a saved segment's id or a built-in's key
    status: Mapped[str] = mapped_column(String(10), default=SurveyStatus.draft.value)
    valid_days: Mapped[int] = mapped_column(Integer, default=30)  # how long links work after sending
    change_hours: Mapped[int] = mapped_column(Integer, default=72)  # how long an answer can be changed
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SurveyRecipient(Base):
    """One contact a survey went to, and their answer once given (one per recipient, by construction)."""

    __tablename__ = "survey_recipients"
    __table_args__ = (
        UniqueConstraint("survey_id", "contact_id"),
        Index("ix_survey_recipients_workspace_answered", "workspace_id", "answered_at"),
        Index("ix_survey_recipients_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    survey_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("surveys.id", ondelete="CASCADE"))
    # Nothing once the recipient is erased: the score stays in NPS, the address and comment are emptied.
    contact_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    sentiment: Mapped[float | None] = mapped_column(Float, default=None)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
