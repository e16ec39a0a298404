"""Outbound webhook events in a contact's export, erasure and merge.

An event's payload is a copy of what changed, names and e-mail addresses included. Erasing the person empties
the payload of every event about them (what was already delivered is the receiver's to erase: the
``contact.erased`` event tells them) and forgets who it was about; the delivery log keeps the event's type,
time and outcome.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount
from frontdesk.db import insert_missing
from frontdesk.webhooks.models import SegmentMemberNotice, WebhookAttempt, WebhookDelivery, WebhookEvent


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    rows = await session.execute(
        select(WebhookEvent.event_type, WebhookEvent.created_at, WebhookEvent.payload)
        .where(WebhookEvent.contact_id == contact.id)
        .order_by(WebhookEvent.id)
    )
    segments = await session.scalars(
        select(SegmentMemberNotice.segment_id)
        .where(SegmentMemberNotice.contact_id == contact.id)
        .order_by(SegmentMemberNotice.segment_id)
    )
    return {
        "webhook_events": [
            {"type": event_type, "created_at": created_at.isoformat(), "payload": payload}
            for event_type, created_at, payload in rows
        ],
        "webhook_segments_notified": list(segments),
    }


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    events = list(
        await session.execute(
            select(WebhookEvent.id, WebhookEvent.event_type, WebhookEvent.payload).where(
                WebhookEvent.contact_id == contact.id
            )
        )
    )
    for event_id, event_type, payload in events:
        emptied = {"type": event_type, "timestamp": payload.get("timestamp"), "data": {"erased": True}}
        await session.execute(
            update(WebhookEvent).where(WebhookEvent.id == event_id).values(payload=emptied, contact_id=None)
        )
    # A receiver may have echoed the body back: the log's response excerpts of those deliveries go too.
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_([row[0] for row in events]))
    await session.execute(
        update(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)).values(response_body=None)
    )
    notices = await session.execute(delete(SegmentMemberNotice).where(SegmentMemberNotice.contact_id == contact.id))
    return {"webhook_events_emptied": len(events), "webhook_segment_notices": rowcount(notices)}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    await session.execute(
        update(WebhookEvent).where(WebhookEvent.contact_id == duplicate.id).values(contact_id=target.id)
    )
    # The kept contact is in every segment endpoints were told either was in (so no second "entered").
    segments = await session.scalars(
        select(SegmentMemberNotice.segment_id).where(SegmentMemberNotice.contact_id == duplicate.id)
    )
    await insert_missing(
        session,
        SegmentMemberNotice,
        [{"segment_id": s, "contact_id": target.id, "workspace_id": target.workspace_id} for s in segments],
    )
    await session.execute(delete(SegmentMemberNotice).where(SegmentMemberNotice.contact_id == duplicate.id))
    return {}


OWNER = register(
    PersonalDataOwner(
        domain="webhooks",
        tables=frozenset({"webhook_events", "webhook_segment_members"}),
        export=export,
        erase=erase,
        merge=merge,
    )
)
