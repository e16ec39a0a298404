"""Emitting webhook events: one call where a change happens, in the change's own transaction.

``emit`` writes the event and a delivery per subscribed endpoint with the caller's session; the caller's
commit makes both durable together with the change, and a rollback takes them away with it. Nothing is
written when no enabled endpoint of the workspace subscribes to the type, so a workspace without webhooks
pays one indexed query per transaction that changes something (the subscriptions are read once per transaction).

After a commit that queued deliveries, the local dispatcher is woken at once (``on_commit_wake``); the other
serving processes find the rows on their next poll.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from frontdesk.db import utcnow
from frontdesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

# Every type an endpoint can subscribe to, with what it means (the console and docs/webhooks.md list them).
EVENT_TYPES: dict[str, str] = {
    "contact.created": "A contact was added to the registry (by hand, API, import, chat or an order).",
    "contact.updated": "A contact's details changed.",
    "contact.merged": "A duplicate contact was merged into another; the duplicate's id is gone.",
    "contact.erased": "A contact was erased (GDPR art. 17): erase what you hold about them too.",
    "conversation.created": "A visitor started a conversation.",
    "conversation.assigned": "A conversation was assigned to an agent or team.",
    "conversation.resolved": "A conversation was resolved.",
    "message.created": "A message was written in a conversation (visitor or agent; not internal notes).",
    "order.created": "An order was recorded (API, import or a connected shop).",
    "lifecycle.changed": "A customer's lifecycle stage changed (new, returning, regular, lapsed, ...).",
    "segment.entered": "A contact entered a segment (found on the segment's refresh).",
    "segment.left": "A contact left a segment (found on the segment's refresh).",
    "survey.answered": "A survey (NPS, CSAT, CES) was answered.",
    "review.submitted": "A product review was submitted.",
    "complaint.created": "A complaint was opened.",
    "complaint.resolved": "A complaint was resolved.",
    "task.created": "A customer-success task was created.",
}

_SUBSCRIPTIONS = "webhooks.subscriptions"  # session.info key: workspace id -> [(endpoint id, types)]
_QUEUED = "webhooks.queued"  # session.info key: set when this transaction queued a delivery


@dataclass(frozen=True)
class Emitted:
    """An event to write: its data and the contact it is about (for erasure), if any."""

    data: dict[str, Any]
    contact_id: int | None = None


def envelope(event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The body every delivery of an event sends (the Standard Webhooks convention)."""
    return {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


async def _subscribers(session: AsyncSession, workspace_id: int, event_type: str) -> list[int]:
    known: dict[int, list[tuple[int, list[str]]]] = session.info.setdefault(_SUBSCRIPTIONS, {})
    if workspace_id not in known:
        rows = await session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
                WebhookEndpoint.workspace_id == workspace_id,
                WebhookEndpoint.enabled.is_(True),
                WebhookEndpoint.disabled_at.is_(None),
            )
        )
        known[workspace_id] = [(endpoint_id, list(types or [])) for endpoint_id, types in rows]
    return [endpoint_id for endpoint_id, types in known[workspace_id] if event_type in types]


async def subscribed(session: AsyncSession, *, workspace_id: int, event_type: str) -> bool:
    """Whether an enabled endpoint of the workspace takes ``event_type``: emitters ask before building a payload
    that costs queries (a contact's relationships, an order's lines), so a workspace without webhooks pays only
    the one cached subscription query per session."""
    return bool(await _subscribers(session, workspace_id, event_type))


def forget_subscriptions(session: AsyncSession) -> None:
    """Endpoints changed in this session: the next emit reads them again."""
    session.info.pop(_SUBSCRIPTIONS, None)


async def emit(
    session: AsyncSession, *, workspace_id: int, event_type: str, data: dict[str, Any], contact_id: int | None = None
) -> None:
    """Queue one event for every endpoint subscribed to ``event_type``, in the caller's transaction."""
    await emit_many(session, workspace_id=workspace_id, event_type=event_type, events=[Emitted(data, contact_id)])


async def emit_many(session: AsyncSession, *, workspace_id: int, event_type: str, events: Sequence[Emitted]) -> None:
    """``emit`` for many events of one type at once (imports, segment refreshes): two bulk inserts."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if not events:
        return
    endpoints = await _subscribers(session, workspace_id, event_type)
    if not endpoints:
        return
    now = utcnow()
    inserted = await session.execute(
        insert(WebhookEvent).returning(WebhookEvent.id, sort_by_parameter_order=True),
        [
            {
                "workspace_id": workspace_id,
                "message_id": new_message_id(),
                "event_type": event_type,
                "payload": envelope(event_type, item.data, now),
                "contact_id": item.contact_id,
                "created_at": now,
            }
            for item in events
        ],
    )
    event_ids = list(inserted.scalars())
    await session.execute(
        insert(WebhookDelivery),
        [
            {
                "workspace_id": workspace_id,
                "endpoint_id": endpoint_id,
                "event_id": event_id,
                "status": DeliveryStatus.pending.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event_id in event_ids
            for endpoint_id in endpoints
        ],
    )
    mark_queued(session)


def mark_queued(session: AsyncSession) -> None:
    """Wake this process's dispatcher after the session commits (something is due now)."""
    session.info[_QUEUED] = True


# --- waking the dispatcher after commit ---------------------------------------------------------------------

_wake_callbacks: list[Callable[[], None]] = []


def on_commit_wake(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after every commit that queued deliveries (the dispatcher registers its wake-up).
    Returns a function that unregisters it."""
    _wake_callbacks.append(callback)

    def unregister() -> None:
        if callback in _wake_callbacks:
            _wake_callbacks.remove(callback)

    return unregister


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Endpoints may change between this session's transactions (a long import commits batch by batch).
    session.info.pop(_SUBSCRIPTIONS, None)
    if session.info.pop(_QUEUED, False):
        for callback in list(_wake_callbacks):
            callback()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)
    session.info.pop(_SUBSCRIPTIONS, None)
