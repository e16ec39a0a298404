"""Outbound webhooks: the endpoints a workspace subscribes, the events its changes produce, and every attempt
to deliver one.

An event row is written in the same transaction as the change it reports (``events.emit``), together with one
delivery row per subscribed endpoint: the queue is the database, so an event exists if and only if its change
committed, and a crash between commit and delivery loses nothing.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for its next attempt (the first, or a retry)
    succeeded = "succeeded"  # the endpoint answered 2xx
    failed = "failed"  # gave up: retries exhausted, or the endpoint was disabled or deleted meanwhile


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Event type names ("contact.created", ...) this endpoint receives.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "whsec_" + base64 of random bytes, as the Standard Webhooks libraries expect.
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret also signs every delivery until it expires, so receivers can switch over.
    previous_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Paused by an admin: nothing is queued for it and nothing is sent.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Switched off by Frontdesk because it kept failing; an admin turns it back on.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEvent(Base):
    """Something that happened, as the receivers see it: ``payload`` is the body every delivery sends."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # The Standard Webhooks `webhook-id`: the same on every attempt, so receivers can drop repeats.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    # {"type": ..., "timestamp": ..., "data": {...}}
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The person the event is about, if any: erasing them empties the payloads that name them.
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event on its way to one endpoint: the queue entry and its outcome."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The dispatcher's question: which pending deliveries are due?
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # The delivery log: an endpoint's deliveries, newest first.
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # A process that took the delivery holds it until then; after, another may take it (the first crashed).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookAttempt(Base):
    """One HTTP request of a delivery: what was sent and what came back (cut short), for the delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    request_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)


class SegmentMemberNotice(Base):
    """A contact the workspace's endpoints were last told is in a segment. Memberships are not stored (a segment
    is a rule, run when asked), so segment.entered and segment.left on a refresh are the difference between the
    members now and these rows, which the refresh then brings up to date."""

    __tablename__ = "webhook_segment_members"

    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
