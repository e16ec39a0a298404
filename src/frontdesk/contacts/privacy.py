"""GDPR: everything held about a person (art. 15) and its erasure (art. 17)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts import personal_data
from frontdesk.contacts.models import (
    Contact,
    ContactEmail,
    ContactEvent,
    ContactNote,
    ContactPhone,
    ContactRelationship,
)
from frontdesk.contacts.service import to_read
from frontdesk.contacts.timeline import relationships_of
from frontdesk.db import Base, utcnow
from frontdesk.webhooks import events
from frontdesk.webhooks.payloads import ContactErased
from frontdesk.workspaces.models import AuditEntry


async def export_contact(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    """Every record held about the contact in every domain, as one JSON-ready document."""
    personal_data.require_complete(Base.metadata)
    notes = await session.scalars(
        select(ContactNote).where(ContactNote.contact_id == contact.id).order_by(ContactNote.id)
    )
    events = await session.scalars(
        select(ContactEvent).where(ContactEvent.contact_id == contact.id).order_by(ContactEvent.id)
    )
    audit = await session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.workspace_id == contact.workspace_id,
            AuditEntry.subject_type == "contact",
            AuditEntry.subject_id == contact.id,
        )
        .order_by(AuditEntry.id)
    )
    read = await to_read(session=session, contact=contact)
    document: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "legal_basis": "GDPR art. 15: right of access by the data subject",
        "contact": read.model_dump(mode="json", exclude={"relationships"}),
        "relationships": [r.model_dump(mode="json") for r in await relationships_of(session=session, contact=contact)],
        "notes": [
            {"id": n.id, "author": n.author, "body": n.body, "created_at": n.created_at.isoformat()} for n in notes
        ],
        "timeline": [
            {"id": e.id, "kind": e.kind, "actor": e.actor, "data": e.data, "created_at": e.created_at.isoformat()}
            for e in events
        ],
        "audit": [
            {"action": a.action, "actor": a.actor, "details": a.details, "created_at": a.created_at.isoformat()}
            for a in audit
        ],
    }
    for owner in personal_data.owners():
        sections = await owner.export(session=session, contact=contact)
        clash = document.keys() & sections.keys()
        if clash:
            raise RuntimeError(f"{owner.domain} exports sections that already exist: {sorted(clash)}")
        document.update(sections)
    return document


def _without_identifiers(text: str, contact: Contact) -> str:
    """The reason an admin typed, minus the person's name, e-mail addresses and phone numbers, which admins
    tend to quote ("request from jane@example.com") and which must not outlive the erasure in the audit."""
    identifiers = [contact.name, contact.first_name, contact.last_name, *contact.email_addresses]
    identifiers += contact.phone_numbers
    for value in sorted((v for v in identifiers if v and len(v) > 2), key=len, reverse=True):
        text = re.sub(re.escape(value), "[erased]", text, flags=re.IGNORECASE)
    return text


async def _count(session: AsyncSession, statement: Any) -> int:
    return int(await session.scalar(statement) or 0)


async def do_erase_contact(*, session: AsyncSession, contact: Contact, actor: str, reason: str | None) -> AuditEntry:
    """Remove the contact and all personal data attached to it, in every domain; keep an audit entry without
    personal data (counts, who, when, why).

    Each domain's hook removes its rows or, where the business keeps them for its figures (orders, chats
    counted in response times), strips them of everything that identifies the person; see the domains'
    ``personal_data`` modules for what is kept and why.
    """
    personal_data.require_complete(Base.metadata)
    counts = {
        "emails": await _count(session, select(func.count()).where(ContactEmail.contact_id == contact.id)),
        "phones": await _count(session, select(func.count()).where(ContactPhone.contact_id == contact.id)),
        "notes": await _count(session, select(func.count()).where(ContactNote.contact_id == contact.id)),
        "timeline_events": await _count(session, select(func.count()).where(ContactEvent.contact_id == contact.id)),
        "relationships": await _count(
            session,
            select(func.count()).where(
                or_(
                    ContactRelationship.from_contact_id == contact.id,
                    ContactRelationship.to_contact_id == contact.id,
                )
            ),
        ),
    }
    # The domains go first, while the contact and its e-mail addresses still exist to find their rows by.
    for owner in personal_data.owners():
        for kind, n in (await owner.erase(session=session, contact=contact)).items():
            counts[kind] = counts.get(kind, 0) + n
    # Other contacts' timelines name this one in relationship events: drop those mentions too.
    await session.execute(
        delete(ContactEvent).where(
            ContactEvent.workspace_id == contact.workspace_id,
            ContactEvent.kind.in_(("relationship_added", "relationship_removed")),
            ContactEvent.data["other_contact_id"].as_integer() == contact.id,
        )
    )
    entry = AuditEntry(
        workspace_id=contact.workspace_id,
        action="contact.erased",
        subject_type="contact",
        subject_id=contact.id,
        actor=actor,
        details={
            "legal_basis": "GDPR art. 17",
            "reason": _without_identifiers(reason or "", contact),
            "removed": counts,
        },
    )
    session.add(entry)
    # The foreign keys cascade: emails, phones, tags, notes, events and relationships go with the row.
    await session.execute(delete(Contact).where(Contact.id == contact.id))
    # After the domains' erasure (which empties the events naming this contact), and without contact_id, so
    # the notice itself survives: it carries the id only.
    await events.emit(
        session,
        workspace_id=contact.workspace_id,
        event_type="contact.erased",
        data=ContactErased(contact_id=contact.id).model_dump(mode="json"),
    )
    session.expunge(contact)
    await session.flush()
    return entry
