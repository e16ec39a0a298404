"""A contact's timeline (notes and recorded changes) and its relationships to other contacts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from frontdesk.contacts.models import (
    Contact,
    ContactEvent,
    ContactKind,
    ContactNote,
    ContactRelationship,
    RelationshipKind,
)
from frontdesk.contacts.schemas import RelationshipCreate, RelationshipRead, TimelineEntry
from frontdesk.errors import Conflict, InvalidInput, NotFound

EVENT_SUMMARIES = {
    "created": "Contact created",
    "imported": "Contact imported",
    "updated": "Profile changed",
    "merged": "Duplicate merged into this contact",
    "relationship_added": "Relationship added",
    "relationship_removed": "Relationship removed",
    "complaint_raised": "Complaint raised",
    "complaint_resolved": "Complaint resolved",
    "complaint_reopened": "Complaint reopened",
    "task_created": "Success task created",
    "task_completed": "Success task done",
    "task_reopened": "Success task reopened",
}

RELATIONSHIP_LABELS = {"acts_for": "acts for / user of", "buys_for": "buys for / bought for by"}


def record_event(
    *, session: AsyncSession, contact: Contact, kind: str, actor: str, data: dict[str, Any] | None = None
) -> ContactEvent:
    event = ContactEvent(
        workspace_id=contact.workspace_id, contact_id=contact.id, kind=kind, actor=actor, data=data or {}
    )
    session.add(event)
    return event


async def do_add_note(*, session: AsyncSession, contact: Contact, body: str, author: str) -> ContactNote:
    note = ContactNote(workspace_id=contact.workspace_id, contact_id=contact.id, author=author, body=body)
    session.add(note)
    await session.flush()
    return note


def note_entry(note: ContactNote) -> TimelineEntry:
    return TimelineEntry(
        id=f"note-{note.id}",
        kind="note",
        actor=note.author,
        summary="Note",
        body=note.body,
        created_at=note.created_at,
    )


def _describe(event: ContactEvent) -> str:
    summary = EVENT_SUMMARIES.get(event.kind, event.kind.replace("_", " ").capitalize())
    if event.kind == "updated":
        fields = ", ".join(sorted(event.data.get("changes", {})))
        return f"{summary}: {fields}" if fields else summary
    if event.kind.startswith("relationship_"):
        kind = RELATIONSHIP_LABELS.get(event.data.get("kind", ""), "")
        return f"{summary}: {kind} {event.data.get('other_contact_name', '')}".rstrip()
    if event.kind.startswith("complaint_"):
        return f"{summary}: {event.data.get('summary', '')}".rstrip(": ")
    if event.kind.startswith("task_"):  # the outcome of a done task shows under it (partials/timeline.html)
        return f"{summary}: {event.data.get('title', '')}".rstrip(": ")
    if event.kind == "merged":
        return f"{summary}: {event.data.get('duplicate', {}).get('name', '')}".rstrip(": ")
    return summary


async def list_timeline(
    *, session: AsyncSession, contact: Contact, limit: int = 100, extra: Sequence[TimelineEntry] = ()
) -> list[TimelineEntry]:
    """Notes and recorded changes, with ``extra`` entries of other domains (orders, stages), newest first."""
    notes = await session.scalars(
        select(ContactNote).where(ContactNote.contact_id == contact.id).order_by(ContactNote.id.desc()).limit(limit)
    )
    events = await session.scalars(
        select(ContactEvent).where(ContactEvent.contact_id == contact.id).order_by(ContactEvent.id.desc()).limit(limit)
    )
    entries = [note_entry(note) for note in notes] + [
        TimelineEntry(
            id=f"event-{event.id}",
            kind=event.kind,
            actor=event.actor,
            summary=_describe(event),
            data=event.data,
            created_at=event.created_at,
        )
        for event in events
    ]
    entries += extra
    entries.sort(key=lambda entry: (entry.created_at, entry.id), reverse=True)
    return entries[:limit]


async def relationships_of(*, session: AsyncSession, contact: Contact) -> list[RelationshipRead]:
    other = aliased(Contact)
    rows = await session.execute(
        select(ContactRelationship, other.id, other.name)
        .join(
            other,
            or_(
                (ContactRelationship.from_contact_id == contact.id) & (other.id == ContactRelationship.to_contact_id),
                (ContactRelationship.to_contact_id == contact.id) & (other.id == ContactRelationship.from_contact_id),
            ),
        )
        .where(ContactRelationship.workspace_id == contact.workspace_id)
        .order_by(ContactRelationship.id)
    )
    return [
        RelationshipRead(
            id=relationship.id,
            kind=RelationshipKind(relationship.kind),
            direction="outgoing" if relationship.from_contact_id == contact.id else "incoming",
            other_contact_id=other_id,
            other_contact_name=other_name,
        )
        for relationship, other_id, other_name in rows.all()
    ]


async def do_add_relationship(
    *, session: AsyncSession, contact: Contact, other: Contact, data: RelationshipCreate, actor: str
) -> ContactRelationship:
    if other.id == contact.id:
        raise InvalidInput("a contact cannot be related to itself", field="to_contact_id")
    if data.kind is RelationshipKind.acts_for:
        if contact.kind != ContactKind.person:
            raise InvalidInput("only a person can act for an organisation", field="kind")
        if other.kind != ContactKind.organisation:
            raise InvalidInput("a user acts for an organisation; this contact is a person", field="to_contact_id")
    existing = await session.scalar(
        select(ContactRelationship.id).where(
            ContactRelationship.kind == data.kind.value,
            ContactRelationship.from_contact_id == contact.id,
            ContactRelationship.to_contact_id == other.id,
        )
    )
    if existing is not None:
        raise Conflict("this relationship already exists", field="to_contact_id")
    relationship = ContactRelationship(
        workspace_id=contact.workspace_id, kind=data.kind.value, from_contact_id=contact.id, to_contact_id=other.id
    )
    session.add(relationship)
    await session.flush()
    for subject, counterpart in ((contact, other), (other, contact)):
        record_event(
            session=session,
            contact=subject,
            kind="relationship_added",
            actor=actor,
            data={"kind": data.kind.value, "other_contact_id": counterpart.id, "other_contact_name": counterpart.name},
        )
    return relationship


async def do_remove_relationship(*, session: AsyncSession, contact: Contact, relationship_id: int, actor: str) -> None:
    relationship = await session.scalar(
        select(ContactRelationship).where(
            ContactRelationship.id == relationship_id,
            ContactRelationship.workspace_id == contact.workspace_id,
            or_(ContactRelationship.from_contact_id == contact.id, ContactRelationship.to_contact_id == contact.id),
        )
    )
    if relationship is None:
        raise NotFound(f"relationship {relationship_id} not found")
    other_id = (
        relationship.to_contact_id if relationship.from_contact_id == contact.id else relationship.from_contact_id
    )
    other = await session.get(Contact, other_id)
    await session.execute(delete(ContactRelationship).where(ContactRelationship.id == relationship.id))
    for subject, counterpart in ((contact, other), (other, contact)):
        if subject is not None and counterpart is not None:
            record_event(
                session=session,
                contact=subject,
                kind="relationship_removed",
                actor=actor,
                data={
                    "kind": relationship.kind,
                    "other_contact_id": counterpart.id,
                    "other_contact_name": counterpart.name,
                },
            )
