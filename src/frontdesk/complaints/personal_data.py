"""Complaints in a contact's export, erasure and merge.

Erasure keeps each of the person's complaints as an anonymous one, so the complaint rate and the workload
figures do not move: what stays is where it came from (the kind of source), category, severity, status, owner,
who raised it (an agent or an API key) and the dates (raised, due, resolved). Everything else is emptied, and so
is any column added later that is not declared kept: the link to the contact and to the conversation, review or
answer it was raised from, the summary, the description and the resolution (each may quote or name the
customer). Its history keeps what happened and when, and who did it (agents), but not the changed values:
those are the same texts.

Merging moves every complaint of the duplicate to the contact that stays: nothing can collide.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.complaints.models import Complaint, ComplaintEvent
from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import ERASED_TEXT, PersonalDataOwner, erased_values, register, rowcount

# What an erased person's complaint keeps: what the complaint rate and the open / overdue workload count.
KEPT = frozenset(
    {
        "id", "workspace_id", "source", "category", "severity", "status", "owner_id", "due_at", "created_by",
        "created_at", "updated_at", "resolved_at",
    }
)  # fmt: skip
EVENT_KEPT = frozenset({"id", "complaint_id", "kind", "actor", "created_at"})


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
    ids = list(await session.scalars(select(Complaint.id).where(Complaint.contact_id == contact.id)))
    events = await session.execute(
        update(ComplaintEvent)
        .where(ComplaintEvent.complaint_id.in_(ids))
        .values(erased_values(ComplaintEvent, EVENT_KEPT, {"data": {}}))
    )
    complaints = await session.execute(
        update(Complaint)
        .where(Complaint.id.in_(ids))
        .values(erased_values(Complaint, KEPT, {"summary": ERASED_TEXT, "description": ""}))
    )
    return {"complaints_anonymised": rowcount(complaints), "complaint_events_anonymised": rowcount(events)}


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
