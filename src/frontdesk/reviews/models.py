"""A buyer's review of a product they bought; one per buyer and product."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class ReviewStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("workspace_id", "product_id", "contact_id"),
        Index("ix_reviews_workspace_status_id", "workspace_id", "status", "id"),
        Index("ix_reviews_product_status", "product_id", "status"),
        Index("ix_reviews_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("products.id", ondelete="CASCADE"))
    # Nothing once the buyer is erased: the rating stays in the product's figures, every text is emptied.
    contact_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="SET NULL"))
    # The completed order the review rests on.
    order_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("orders.id", ondelete="SET NULL"))
    verified_purchase: Mapped[bool] = mapped_column(Boolean, default=True)
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.pending.value)
    rejection_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    moderated_by: Mapped[str | None] = mapped_column(String(200), default=None)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
