"""Complaints in a contact's export, erasure and merge.

Erasure deletes the person's complaints with their history (summary, description, resolution and every change
quote the customer). ``complaints.contact_id`` is required, so a complaint cannot stay counted without a schema
change: the complaint rate drops the erased person's complaints, as if never raised; docs/registry.md says so.
Keeping the count would need ``contact_id`` nullable (ON DELETE SET NULL) with the texts and history blanked.

Merging moves every complaint of the duplicate to the contact that stays: nothing can collide.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.complaints.models import Complaint, ComplaintEvent
from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    complaints = list(
        await session.scalars(select(Complaint).where(Complaint.contact_id == contact.id).order_by(Complaint.id))
    )
    history: dict[int, list[dict[str, Any]]] = {c.id: [] for c in complaints}
    for event in await session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(history.keys())).order_by(ComplaintEvent.id)
    ):
        history[event.complaint_id].append(
            {"kind": event.kind, "actor": event.actor, "data": event.data, "created_at": _iso(event.created_at)}
        )
    return {
        "complaints": [
            {
                "id": c.id,
                "source": c.source,
                "summary": c.summary,
                "description": c.description,
                "category": c.category,
                "severity": c.severity,
                "status": c.status,
                "resolution": c.resolution,
                "created_at": _iso(c.created_at),
                "resolved_at": _iso(c.resolved_at),
                "history": history[c.id],
            }
            for c in complaints
        ]
    }


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    ids = select(Complaint.id).where(Complaint.contact_id == contact.id)
    events = await session.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(ids)))
    complaints = await session.execute(delete(Complaint).where(Complaint.contact_id == contact.id))
    return {"complaints": rowcount(complaints), "complaint_events": rowcount(events)}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    await session.execute(update(Complaint).where(Complaint.contact_id == duplicate.id).values(contact_id=target.id))
    return {}


OWNER = register(
    PersonalDataOwner(
        domain="complaints",
        tables=frozenset({"complaints", "complaint_events"}),
        export=export,
        erase=erase,
        merge=merge,
    )
)
