"""What the success team works from: the fitted purchase model, each customer's predictions and health, and the
playbooks that turn an at-risk customer into a task for someone."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow

SUCCESS_TEAM = "success"
DEFAULT_DISCOUNT_RATE = 0.10  # a year, the usual cost of capital for a small business


class TaskStatus(enum.StrEnum):
    open = "open"
    done = "done"


class TaskOwnerRule(enum.StrEnum):
    # The customer's owner; round-robin in the success team when the customer has none.
    customer_owner = "customer_owner"
    # Round-robin among the members of the success team.
    round_robin = "round_robin"


class SuccessSettings(Base):
    """Per workspace: the discount rate of lifetime values and the weights of the health score."""

    __tablename__ = "success_settings"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    discount_rate: Mapped[float] = mapped_column(Float, default=DEFAULT_DISCOUNT_RATE)
    # Signal name -> weight; a missing signal takes its documented default weight (success/health.py).
    health_weights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the next round-robin task assignment in the success team starts.
    round_robin_cursor: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClvModel(Base):
    """The workspace's last good fit of BG/NBD (purchases) and Gamma-Gamma (order value). A failed refit leaves it
    as it is."""

    __tablename__ = "clv_models"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)  # only orders up to here counted; T ran up to here
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    time_zone: Mapped[str] = mapped_column(String(64))  # whose calendar days made the purchase occasions
    customers: Mapped[int] = mapped_column(Integer)
    repeat_customers: Mapped[int] = mapped_column(Integer)
    r: Mapped[float] = mapped_column(Float)
    alpha: Mapped[float] = mapped_column(Float)
    a: Mapped[float] = mapped_column(Float)
    b: Mapped[float] = mapped_column(Float)
    p: Mapped[float] = mapped_column(Float)
    q: Mapped[float] = mapped_column(Float)
    gamma: Mapped[float] = mapped_column(Float)
    log_likelihood: Mapped[float] = mapped_column(Float)  # BG/NBD's, summed over customers
    gamma_gamma_log_likelihood: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # how long the fit took


class CustomerPrediction(Base):
    """One buyer's purchase summary and what the stored model predicts for them, rewritten by each scoring.

    Derived, like customer_figures, and without foreign keys for the same reason (a million rows rewritten a
    day); erasure and merge delete the rows explicitly (success/personal_data.py). Money is in the currency's
    minor unit, as floats: predictions are fractional.
    """

    __tablename__ = "customer_predictions"
    __table_args__ = (
        Index("ix_customer_predictions_workspace_clv", "workspace_id", "clv_12m_minor"),
        Index("ix_customer_predictions_workspace_p_alive", "workspace_id", "p_alive"),
    )

    contact_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId)
    frequency: Mapped[int] = mapped_column(Integer)  # repeat purchase occasions (days with orders after the first)
    recency_days: Mapped[float] = mapped_column(Float)  # first occasion to last
    age_days: Mapped[float] = mapped_column(Float)  # T: first occasion to the model's as-of
    monetary_minor: Mapped[float | None] = mapped_column(Float, default=None)  # mean revenue of repeat occasions
    p_alive: Mapped[float] = mapped_column(Float)
    expected_purchases_90d: Mapped[float] = mapped_column(Float)
    expected_purchases_365d: Mapped[float] = mapped_column(Float)
    expected_order_value_minor: Mapped[float] = mapped_column(Float)
    clv_12m_minor: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerHealth(Base):
    """A customer's current health score (0-100), its parts and the reasons in words. Derived, no foreign keys."""

    __tablename__ = "customer_health"
    __table_args__ = (Index("ix_customer_health_workspace_score", "workspace_id", "score"),)

    contact_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId)
    score: Mapped[int] = mapped_column(Integer)
    # Signal name -> {"value": ..., "score": 0..100, "weight": ...}: what the score was made of.
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # "no order for 3 times their usual interval"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HealthHistory(Base):
    """A customer's score each time it changed (a row only when the whole-number score moved)."""

    __tablename__ = "health_history"
    __table_args__ = (Index("ix_health_history_contact_recorded", "contact_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, index=True)
    contact_id: Mapped[int] = mapped_column(BigIntId)
    score: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Playbook(Base):
    """A segment rule that, when a customer comes to match it, gives someone a task about that customer."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(Text)  # segment rule text, e.g. health < 40 and clv_12m > 100
    task_title: Mapped[str] = mapped_column(String(300))
    owner_rule: Mapped[str] = mapped_column(String(20), default=TaskOwnerRule.customer_owner.value)
    due_in_days: Mapped[int] = mapped_column(Integer, default=3)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlaybookEpisode(Base):
    """A customer matching a playbook's rule, from the refresh that first saw it until one that no longer does.

    One task per episode: a customer who stays at risk keeps the row (and gets no second task); one who
    recovers loses it, and falling again starts a new episode with a new task.
    """

    __tablename__ = "playbook_episodes"

    playbook_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("playbooks.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, index=True)
    task_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("success_tasks.id", ondelete="SET NULL"), default=None
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuccessTask(Base):
    """Something a success agent should do about one customer: call them, send an offer."""

    __tablename__ = "success_tasks"
    __table_args__ = (
        Index("ix_success_tasks_workspace_status_due", "workspace_id", "status", "due_at"),
        Index("ix_success_tasks_workspace_owner_status", "workspace_id", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    playbook_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("playbooks.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("agents.id", ondelete="SET NULL"), default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=TaskStatus.open.value)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)  # what came of it, written when done
    created_by: Mapped[str] = mapped_column(String(200))  # "playbook: Save high-value customers" or an agent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
