"""Referral codes and attributions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class ReferralCode(Base):
    __tablename__ = "referral_codes"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """A contact who came by another's code. One per referred contact: the database refuses a second."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("workspace_id", "referred_id"),
        Index("ix_referrals_workspace_referrer", "workspace_id", "referrer_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Nothing once that side is erased: the referral still counts in the referral report.
    referrer_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"))
    referred_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"))
    # The order that came with the code, when the code arrived with an order.
    order_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("orders.id", ondelete="SET NULL"), default=None)
    code: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
