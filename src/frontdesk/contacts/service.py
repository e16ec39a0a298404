"""Reading and writing contacts. Functions take a session and never commit: the caller owns the transaction."""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import (
    AttributeDefinition,
    AttributeType,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    Stage,
)
from frontdesk.contacts.owners import do_set_owner, get_owner
from frontdesk.contacts.schemas import (
    STAGE_IS_DERIVED,
    AttributeDefinitionCreate,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    ContactWrite,
    OwnerRead,
)
from frontdesk.contacts.search import search_name_of
from frontdesk.contacts.timeline import record_event, relationships_of
from frontdesk.contacts.validation import email_key
from frontdesk.db import MAX_ID
from frontdesk.errors import Conflict, FieldError, InvalidInput, NotFound, errors_from_pydantic
from frontdesk.webhooks import events
from frontdesk.workspaces.models import Agent

# The contact's single-valued text fields, in the order forms and CSV files show them.
TEXT_FIELDS = (
    "kind",
    "name",
    "first_name",
    "last_name",
    "country",
    "region",
    "audience",
    "department",
    "market",
    "stage",
    "vat_number",
    "eori_number",
)
# What a write sets. ``stage`` is read and exported but never written here: commerce derives it from the
# contact's completed orders (commerce/figures.py), so it cannot contradict the lifecycle stage.
DERIVED_FIELDS = ("stage",)
SCALAR_FIELDS = (*(name for name in TEXT_FIELDS if name not in DERIVED_FIELDS), "is_reseller")
LIST_FIELDS = ("emails", "phones", "roles", "tags")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ContactFilters:
    q: str | None = None
    tag: str | None = None
    stage: str | None = None
    audience: str | None = None
    market: str | None = None
    country: str | None = None
    kind: str | None = None
    owner_id: int | None = None
    unowned: bool = False  # only contacts without an owner
    # Only contacts whose id this query returns (a segment's rule, compiled by the segments domain).
    within: Any = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"c:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        last_id = int(value)
        if prefix != "c" or not 0 < last_id <= MAX_ID:
            raise ValueError
        return last_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None


async def get_contact(*, session: AsyncSession, workspace_id: int, contact_id: int) -> Contact:
    """The contact, or ``NotFound`` when it does not exist *in this workspace* (never a hint that it exists)."""
    contact = await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.workspace_id == workspace_id)
    )
    if contact is None:
        raise NotFound(f"contact {contact_id} not found")
    return contact


async def get_referenced_contact(*, session: AsyncSession, workspace_id: int, contact_id: int, field: str) -> Contact:
    """A contact named in a request body: a missing one is bad input on that field, not a missing URL."""
    try:
        return await get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    except NotFound:
        raise InvalidInput(f"contact {contact_id} not found", field=field) from None


def filtered(statement: Any, workspace_id: int, filters: ContactFilters) -> Any:
    statement = statement.where(Contact.workspace_id == workspace_id)
    if filters.q and filters.q.strip():
        # Names match folded (accents and case ignored, as search_name is stored); e-mail addresses as before,
        # lower-cased. autoescape: a % or _ the user typed is a character, not a wildcard.
        email_match = exists().where(
            ContactEmail.contact_id == Contact.id,
            ContactEmail.email_normalized.contains(filters.q.strip().lower(), autoescape=True),
        )
        name_match = Contact.search_name.contains(search_name_of(filters.q.strip()), autoescape=True)
        statement = statement.where(or_(name_match, email_match))
    if filters.tag:
        statement = statement.where(
            exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == filters.tag.strip().lower())
        )
    for field in ("stage", "audience", "market", "kind"):
        value = getattr(filters, field)
        if value:
            statement = statement.where(getattr(Contact, field) == value)
    if filters.country:
        statement = statement.where(Contact.country == filters.country.strip().upper())
    if filters.owner_id is not None:
        statement = statement.where(Contact.owner_id == filters.owner_id)
    if filters.unowned:
        statement = statement.where(Contact.owner_id.is_(None))
    if filters.within is not None:
        statement = statement.where(Contact.id.in_(filters.within))
    return statement


async def list_contacts(
    *, session: AsyncSession, workspace_id: int, filters: ContactFilters, limit: int = 50, cursor: str | None = None
) -> tuple[list[Contact], str | None]:
    """Newest first, ``limit`` at a time; the returned cursor fetches the next page."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}", field="limit")
    statement = filtered(select(Contact), workspace_id, filters)
    if cursor:
        statement = statement.where(Contact.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Contact.id.desc()).limit(limit + 1))).all())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def count_contacts(*, session: AsyncSession, workspace_id: int, filters: ContactFilters) -> int:
    return int(await session.scalar(filtered(select(func.count(Contact.id)), workspace_id, filters)) or 0)


async def to_read(*, session: AsyncSession, contact: Contact) -> ContactRead:
    # session.get: a page of contacts with few owners reads each owner once (the identity map keeps them).
    owner = await session.get(Agent, contact.owner_id) if contact.owner_id is not None else None
    return ContactRead(
        id=contact.id,
        kind=contact.kind,
        name=contact.name,
        first_name=contact.first_name,
        last_name=contact.last_name,
        emails=contact.email_addresses,
        phones=contact.phone_numbers,
        country=contact.country,
        region=contact.region,
        audience=contact.audience,
        department=contact.department,
        market=contact.market,
        stage=contact.stage,
        roles=contact.roles,
        tags=contact.tags,
        attributes=contact.attributes,
        vat_number=contact.vat_number,
        eori_number=contact.eori_number,
        is_reseller=contact.is_reseller,
        owner_id=contact.owner_id,
        owner=OwnerRead(id=owner.id, display_name=owner.display_name) if owner is not None else None,
        relationships=await relationships_of(session=session, contact=contact),
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


# --- custom attributes ------------------------------------------------------------------------------------


async def list_attribute_definitions(*, session: AsyncSession, workspace_id: int) -> list[AttributeDefinition]:
    statement = select(AttributeDefinition).where(AttributeDefinition.workspace_id == workspace_id)
    return list((await session.scalars(statement.order_by(AttributeDefinition.key))).all())


async def do_create_attribute_definition(
    *, session: AsyncSession, workspace_id: int, data: AttributeDefinitionCreate
) -> AttributeDefinition:
    taken = await session.scalar(
        select(AttributeDefinition.id).where(
            AttributeDefinition.workspace_id == workspace_id, AttributeDefinition.key == data.key
        )
    )
    if taken is not None:
        raise Conflict(f"attribute {data.key!r} already exists", field="key")
    definition = AttributeDefinition(workspace_id=workspace_id, **data.model_dump())
    session.add(definition)
    await session.flush()
    return definition


async def do_delete_attribute_definition(*, session: AsyncSession, workspace_id: int, key: str) -> None:
    result = await session.execute(
        delete(AttributeDefinition).where(
            AttributeDefinition.workspace_id == workspace_id, AttributeDefinition.key == key
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"attribute {key!r} not found")


def _coerce_attribute(definition: AttributeDefinition, value: Any) -> Any:
    kind = AttributeType(definition.type)
    if kind is AttributeType.text:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError("must be text")
        return str(value)
    if kind is AttributeType.number:
        if isinstance(value, bool):
            raise ValueError("must be a number")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError("must be a number") from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return int(number) if number.is_integer() else number
    if kind is AttributeType.boolean:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1"}:
            return True
        if text in {"false", "no", "0"}:
            return False
        raise ValueError("must be true or false")
    if kind is AttributeType.date:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("must be a date as YYYY-MM-DD") from None
    if str(value) not in definition.choices:
        raise ValueError(f"must be one of {', '.join(definition.choices)}")
    return str(value)


def check_attributes(definitions: dict[str, AttributeDefinition], attributes: dict[str, Any]) -> dict[str, Any]:
    """Values coerced to their defined types; unknown keys and bad values raise ``InvalidInput``."""
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, value in attributes.items():
        definition = definitions.get(key)
        if definition is None:
            errors.append(FieldError(f"attributes.{key}", "no such attribute is defined in this workspace"))
            continue
        if value is None or value == "":
            continue
        try:
            cleaned[key] = _coerce_attribute(definition, value)
        except ValueError as exc:
            errors.append(FieldError(f"attributes.{key}", str(exc)))
    if errors:
        raise InvalidInput(errors[0]["message"], errors=errors)
    return cleaned


async def attribute_definitions_by_key(*, session: AsyncSession, workspace_id: int) -> dict[str, AttributeDefinition]:
    return {d.key: d for d in await list_attribute_definitions(session=session, workspace_id=workspace_id)}


# --- writes -----------------------------------------------------------------------------------------------


async def ensure_emails_free(
    *, session: AsyncSession, workspace_id: int, emails: list[str], except_contact_id: int | None = None
) -> None:
    if not emails:
        return
    keys = [email_key(email) for email in emails]
    statement = select(ContactEmail.email_normalized, ContactEmail.contact_id).where(
        ContactEmail.workspace_id == workspace_id, ContactEmail.email_normalized.in_(keys)
    )
    if except_contact_id is not None:
        statement = statement.where(ContactEmail.contact_id != except_contact_id)
    taken = {row.email_normalized: row.contact_id for row in (await session.execute(statement)).all()}
    errors = [
        FieldError(f"emails.{index}", f"{emails[index]} already belongs to contact {taken[key]}")
        for index, key in enumerate(keys)
        if key in taken
    ]
    if errors:
        raise Conflict(errors[0]["message"], errors=errors)


def apply_write(contact: Contact, data: ContactWrite, attributes: dict[str, Any]) -> None:
    for field in SCALAR_FIELDS:
        value = getattr(data, field)
        setattr(contact, field, value.value if hasattr(value, "value") else value)
    contact.roles = [role.value for role in data.roles]
    contact.attributes = attributes
    wanted_emails = {email_key(email): email for email in data.emails}
    contact.emails = [row for row in contact.emails if row.email_normalized in wanted_emails]
    kept = {row.email_normalized: row for row in contact.emails}
    for position, (key, email) in enumerate(wanted_emails.items()):
        row = kept.get(key) or ContactEmail(workspace_id=contact.workspace_id, email_normalized=key)
        row.email, row.position = email, position
        if key not in kept:
            contact.emails.append(row)
    contact.emails.sort(key=lambda row: row.position)
    contact.phones = [
        ContactPhone(workspace_id=contact.workspace_id, number=number, position=position)
        for position, number in enumerate(data.phones)
    ]
    kept_tags = {row.tag: row for row in contact.tag_rows}
    contact.tag_rows = [
        kept_tags.get(tag) or ContactTag(workspace_id=contact.workspace_id, tag=tag) for tag in data.tags
    ]


def snapshot(contact: Contact) -> dict[str, Any]:
    """The contact's editable state, in the shape ``ContactWrite`` accepts."""
    state: dict[str, Any] = {field: getattr(contact, field) for field in SCALAR_FIELDS}
    state.update(
        emails=contact.email_addresses,
        phones=contact.phone_numbers,
        roles=list(contact.roles),
        tags=contact.tags,
        attributes=dict(contact.attributes),
    )
    return state


async def do_create_contact(
    *, session: AsyncSession, workspace_id: int, data: ContactCreate, actor: str, event_kind: str = "created"
) -> Contact:
    attributes = (
        check_attributes(
            await attribute_definitions_by_key(session=session, workspace_id=workspace_id), data.attributes
        )
        if data.attributes
        else {}
    )
    await ensure_emails_free(session=session, workspace_id=workspace_id, emails=data.emails)
    if data.owner_id is not None:
        await get_owner(session=session, workspace_id=workspace_id, agent_id=data.owner_id)
    # Every contact starts as a prospect; its first completed order makes it a customer (commerce/figures.py).
    contact = Contact(workspace_id=workspace_id, stage=Stage.prospect.value, emails=[], phones=[], tag_rows=[])
    contact.owner_id = data.owner_id
    apply_write(contact, data, attributes)
    session.add(contact)
    await session.flush()
    record_event(session=session, contact=contact, kind=event_kind, actor=actor)
    await emit_contacts(session=session, workspace_id=workspace_id, event_type="contact.created", contacts=[contact])
    return contact


async def do_update_contact(
    *, session: AsyncSession, workspace_id: int, contact_id: int, patch: ContactUpdate, actor: str
) -> Contact:
    contact = await get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    before = snapshot(contact)
    changes = patch.model_dump(exclude_unset=True)
    owner_changed = "owner_id" in changes
    owner_id = changes.pop("owner_id", None)
    stage = changes.pop("stage", None)
    if stage is not None and stage != contact.stage:  # repeating the current stage is harmless
        raise InvalidInput(f"{STAGE_IS_DERIVED} (this contact is a {contact.stage})", field="stage")
    for field in LIST_FIELDS:
        if field in changes and changes[field] is None:
            changes[field] = []  # null clears a list
    if "attributes" in changes:
        # Attributes merge key by key, as HubSpot properties do; a null value removes the key.
        merged = {**before["attributes"], **(changes["attributes"] or {})}
        changes["attributes"] = {key: value for key, value in merged.items() if value is not None}
    derived_name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    if {"first_name", "last_name"} & changes.keys() and "name" not in changes and contact.name == derived_name:
        changes["name"] = None  # the name was made from its parts: rebuild it from the new ones
    try:
        data = ContactWrite.model_validate({**before, **changes})
    except ValidationError as exc:
        errors = errors_from_pydantic(list(exc.errors()))
        raise InvalidInput(errors[0]["message"], errors=errors) from None
    definitions = await attribute_definitions_by_key(session=session, workspace_id=workspace_id)
    attributes = check_attributes(definitions, data.attributes)
    await ensure_emails_free(
        session=session, workspace_id=workspace_id, emails=data.emails, except_contact_id=contact.id
    )
    apply_write(contact, data, attributes)
    await session.flush()
    after = snapshot(contact)
    diff = {field: [before[field], after[field]] for field in after if before[field] != after[field]}
    if diff:
        record_event(session=session, contact=contact, kind="updated", actor=actor, data={"changes": diff})
    if owner_changed:
        owner_changed = await do_set_owner(session=session, contact=contact, owner_id=owner_id, actor=actor)
    if diff or owner_changed:
        await emit_contacts(
            session=session, workspace_id=workspace_id, event_type="contact.updated", contacts=[contact]
        )
    return contact


async def emit_contacts(
    *,
    session: AsyncSession,
    workspace_id: int,
    event_type: str,
    contacts: list[Contact] | None = None,
    contact_ids: list[int] | None = None,
) -> None:
    """Queue ``event_type`` (contact.created / contact.updated) for each contact, its data what the API returns
    for it. Bulk writers pass ``contact_ids``; the rows are read only when an endpoint takes the type."""
    if not await events.subscribed(session, workspace_id=workspace_id, event_type=event_type):
        return
    if contacts is None:
        statement = select(Contact).where(Contact.workspace_id == workspace_id, Contact.id.in_(contact_ids or []))
        # populate_existing: a bulk UPDATE may have changed rows this session already holds.
        statement = statement.order_by(Contact.id).execution_options(populate_existing=True)
        contacts = list((await session.scalars(statement)).all())
    await events.emit_many(
        session,
        workspace_id=workspace_id,
        event_type=event_type,
        events=[
            events.Emitted((await to_read(session=session, contact=contact)).model_dump(mode="json"), contact.id)
            for contact in contacts
        ],
    )
