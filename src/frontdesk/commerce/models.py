"""Products, orders and what they say about each customer: figures, lifecycle stage and its history."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class OrderStatus(enum.StrEnum):
    completed = "completed"
    refunded = "refunded"
    cancelled = "cancelled"


class BuyerClass(enum.StrEnum):
    """How an order's revenue is reported: sold to whoever uses the goods, or to someone who resells them."""

    consumer = "consumer"
    reseller = "reseller"


class Lifecycle(enum.StrEnum):
    prospect = "prospect"  # never bought
    new = "new"  # one order
    returning = "returning"  # came back, neither regular nor occasional yet
    regular = "regular"  # at least regular_min_orders in the frequency window
    occasional = "occasional"  # came back, but at most occasional_max_orders in the window
    lapsed = "lapsed"  # no order for lapsed_after_days
    churned = "churned"  # no order for churned_after_days


class CommerceSettings(Base):
    """Per workspace: the currency orders are in and the thresholds of the lifecycle stages."""

    __tablename__ = "commerce_settings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    lapsed_after_days: Mapped[int] = mapped_column(Integer, default=180)
    churned_after_days: Mapped[int] = mapped_column(Integer, default=365)
    frequency_window_days: Mapped[int] = mapped_column(Integer, default=365)
    regular_min_orders: Mapped[int] = mapped_column(Integer, default=4)
    occasional_max_orders: Mapped[int] = mapped_column(Integer, default=1)


class ProductRange(Base):
    __tablename__ = "product_ranges"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("workspace_id", "sku"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    range_id: Mapped[int] = mapped_column(ForeignKey("product_ranges.id", ondelete="RESTRICT"), index=True)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # The business's own order number: sending an order twice finds it instead of counting it twice.
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_orders_workspace_buyer", "workspace_id", "buyer_id"),
        Index("ix_orders_workspace_ordered_at", "workspace_id", "ordered_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    # Orders are business records: erasing a person keeps the order and forgets who placed it.
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), default=None)
    channel: Mapped[str] = mapped_column(String(40), default="web")
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.completed.value)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)  # in the currency's minor unit (cents)
    for_resale: Mapped[bool] = mapped_column(Boolean, default=False)
    buyer_class: Mapped[str] = mapped_column(String(10), default=BuyerClass.consumer.value)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # Lines are written only with their order, which owns the workspace and goes with it, and products are
    # never deleted; checking these two keys on every line would cost a bulk import half its line-writing
    # time on PostgreSQL (each check also locks the referenced row).
    workspace_id: Mapped[int] = mapped_column(BigIntId)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(BigIntId)
    range_id: Mapped[int] = mapped_column(BigIntId)  # the product's range when sold: figures group by it
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)


class CustomerFigures(Base):
    """What a contact's completed orders add up to, kept current as orders arrive (one row per buyer)."""

    __tablename__ = "customer_figures"
    __table_args__ = (
        Index("ix_customer_figures_workspace_lifecycle", "workspace_id", "lifecycle"),
        Index("ix_customer_figures_workspace_last_order", "workspace_id", "last_order_at"),
        # New customers in a period (the dashboard's last 60 days) without reading every customer's row.
        Index("ix_customer_figures_workspace_first_order", "workspace_id", "first_order_at"),
    )

    # Derived from orders and rewritten wholesale by refreshes, so without foreign keys: checking them locks
    # every customer's contact row on each refresh (most of a large refresh's time on PostgreSQL). Deleting
    # a contact deletes these rows explicitly (figures.forget_customers).
    contact_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    total_spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ranges: Mapped[int] = mapped_column(Integer, default=0)  # distinct product ranges bought from
    recent_orders: Mapped[int] = mapped_column(Integer, default=0)  # orders in the frequency window
    reseller: Mapped[bool] = mapped_column(Boolean, default=False)
    lifecycle: Mapped[str] = mapped_column(String(20), default=Lifecycle.prospect.value)
    rfm_r: Mapped[int | None] = mapped_column(Integer, default=None)
    rfm_f: Mapped[int | None] = mapped_column(Integer, default=None)
    rfm_m: Mapped[int | None] = mapped_column(Integer, default=None)
    rfm_group: Mapped[str | None] = mapped_column(String(30), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerRange(Base):
    """A range a customer bought from, and in how many of their completed orders."""

    __tablename__ = "customer_ranges"

    # Derived like CustomerFigures, and without foreign keys for the same reason.
    contact_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    range_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, index=True)
    orders: Mapped[int] = mapped_column(Integer)


class LifecycleChange(Base):
    """A contact moved from one lifecycle stage to another: kept as history, shown on the timeline."""

    __tablename__ = "lifecycle_changes"
    # Reports count stages over time from this history, over a period.
    __table_args__ = (Index("ix_lifecycle_changes_workspace_changed", "workspace_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
