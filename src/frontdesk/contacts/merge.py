"""Merging a duplicate contact into another without losing anything either held."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts import personal_data
from frontdesk.contacts.models import (
    Contact,
    ContactEmail,
    ContactEvent,
    ContactKind,
    ContactNote,
    ContactRelationship,
)
from frontdesk.contacts.schemas import ContactWrite
from frontdesk.contacts.service import SCALAR_FIELDS, apply_write, snapshot, to_read
from frontdesk.contacts.timeline import record_event
from frontdesk.db import Base
from frontdesk.errors import InvalidInput, errors_from_pydantic
from frontdesk.webhooks import events
from frontdesk.webhooks.payloads import ContactMerged
from frontdesk.workspaces.models import AuditEntry

ORGANISATION_ONLY = {"vat_number", "eori_number", "is_reseller"}


def merged_state(target: dict[str, Any], duplicate: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The target's state with the duplicate's data added; and the duplicate values that could not be kept."""
    state = dict(target)
    set_aside: dict[str, Any] = {}
    for field in SCALAR_FIELDS:
        if field in {"kind", "name", "audience", "is_reseller"}:
            continue
        if field in ORGANISATION_ONLY and target["kind"] != ContactKind.organisation.value:
            if duplicate[field]:
                set_aside[field] = duplicate[field]
            continue
        if state[field] in (None, "") and duplicate[field] not in (None, ""):
            state[field] = duplicate[field]
        elif duplicate[field] not in (None, "") and duplicate[field] != state[field]:
            set_aside[field] = duplicate[field]
    if target["kind"] == ContactKind.organisation.value:
        state["is_reseller"] = target["is_reseller"] or duplicate["is_reseller"]
    state["emails"] = target["emails"] + [
        e for e in duplicate["emails"] if e.lower() not in {t.lower() for t in target["emails"]}
    ]
    state["phones"] = target["phones"] + [p for p in duplicate["phones"] if p not in target["phones"]]
    state["roles"] = list(dict.fromkeys(target["roles"] + duplicate["roles"]))
    state["tags"] = list(dict.fromkeys(target["tags"] + duplicate["tags"]))
    attributes = dict(duplicate["attributes"])
    attributes.update(target["attributes"])
    state["attributes"] = attributes
    conflicting = {k: v for k, v in duplicate["attributes"].items() if target["attributes"].get(k, v) != v}
    if conflicting:
        set_aside["attributes"] = conflicting
    return state, set_aside


async def do_merge_contacts(*, session: AsyncSession, target: Contact, duplicate: Contact, actor: str) -> Contact:
    """Fold ``duplicate`` into ``target``: contact data, notes, timeline and relationships move, and every
    domain moves its rows (orders, chats, reviews, survey answers, complaints, referrals); then it goes.

    Values of the duplicate that conflict with the target's, and rows a domain could not move (a second review
    of the same product, ...), are kept in the merge event, so nothing is lost. The stage is not merged: it
    follows the orders the target holds afterwards (commerce recomputes it when it moves them).
    """
    personal_data.require_complete(Base.metadata)
    if target.id == duplicate.id:
        raise InvalidInput("a contact cannot be merged into itself", field="duplicate_id")
    duplicate_read = (await to_read(session=session, contact=duplicate)).model_dump(mode="json")
    state, set_aside = merged_state(snapshot(target), snapshot(duplicate))
    try:
        data = ContactWrite.model_validate(state)
    except ValidationError as exc:
        errors = errors_from_pydantic(list(exc.errors()))
        raise InvalidInput(f"the merged contact would be invalid: {errors[0]['message']}", errors=errors) from None

    # Free the duplicate's e-mail addresses before the target takes them (they are unique per workspace).
    await session.execute(delete(ContactEmail).where(ContactEmail.contact_id == duplicate.id))
    session.expire(duplicate, ["emails"])
    await session.execute(
        update(ContactNote).where(ContactNote.contact_id == duplicate.id).values(contact_id=target.id)
    )
    await session.execute(
        update(ContactEvent).where(ContactEvent.contact_id == duplicate.id).values(contact_id=target.id)
    )
    await _move_relationships(session, target=target, duplicate=duplicate)
    records_not_taken: dict[str, Any] = {}
    for owner in personal_data.owners():
        kept_aside = await owner.merge(session=session, target=target, duplicate=duplicate)
        if kept_aside:
            records_not_taken[owner.domain] = kept_aside

    apply_write(target, data, data.attributes)
    if target.owner_id is None:  # the duplicate's owner looks after the merged customer; the target's stays
        target.owner_id = duplicate.owner_id
    await session.flush()
    record_event(
        session=session,
        contact=target,
        kind="merged",
        actor=actor,
        data={
            "duplicate_id": duplicate.id,
            "duplicate": duplicate_read,
            "values_not_taken": set_aside,
            "records_not_taken": records_not_taken,
        },
    )
    session.add(
        AuditEntry(
            workspace_id=target.workspace_id,
            action="contact.merged",
            subject_type="contact",
            subject_id=target.id,
            actor=actor,
            details={"duplicate_id": duplicate.id},
        )
    )
    await session.execute(delete(Contact).where(Contact.id == duplicate.id))
    await events.emit(
        session,
        workspace_id=target.workspace_id,
        event_type="contact.merged",
        data=ContactMerged(contact_id=target.id, merged_contact_id=duplicate.id).model_dump(mode="json"),
        contact_id=target.id,
    )
    session.expunge(duplicate)
    await session.flush()
    return target


async def _move_relationships(session: AsyncSession, *, target: Contact, duplicate: Contact) -> None:
    rows = (
        await session.scalars(
            select(ContactRelationship).where(
                or_(
                    ContactRelationship.from_contact_id == duplicate.id,
                    ContactRelationship.to_contact_id == duplicate.id,
                )
            )
        )
    ).all()
    existing = {
        (r.kind, r.from_contact_id, r.to_contact_id)
        for r in (
            await session.scalars(
                select(ContactRelationship).where(
                    or_(
                        ContactRelationship.from_contact_id == target.id,
                        ContactRelationship.to_contact_id == target.id,
                    )
                )
            )
        ).all()
    }
    for relationship in rows:
        source = target.id if relationship.from_contact_id == duplicate.id else relationship.from_contact_id
        destination = target.id if relationship.to_contact_id == duplicate.id else relationship.to_contact_id
        key = (relationship.kind, source, destination)
        if source == destination or key in existing:
            await session.delete(relationship)
            continue
        relationship.from_contact_id, relationship.to_contact_id = source, destination
        existing.add(key)
    await session.flush()
