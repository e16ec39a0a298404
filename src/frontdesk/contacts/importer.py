"""CSV import and export of contacts, shared by the CLI and the API.

Rows are validated with the same rules as the API, then written in batches with one multi-row INSERT per
table, so an import of 100,000 contacts takes seconds, not minutes. Without ``atomic`` every batch commits
on its own and bad rows are reported and skipped; with ``atomic`` the whole file is one transaction and a
single bad row leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.contacts.models import (
    AttributeDefinition,
    Contact,
    ContactEmail,
    ContactEvent,
    ContactPhone,
    ContactTag,
    Stage,
)
from frontdesk.contacts.owners import OwnersByEmail, owners_by_email
from frontdesk.contacts.schemas import ContactCreate, ImportReport, ImportRowError
from frontdesk.contacts.service import (
    DERIVED_FIELDS,
    LIST_FIELDS,
    MAX_PAGE_SIZE,
    TEXT_FIELDS,
    ContactFilters,
    attribute_definitions_by_key,
    check_attributes,
    emit_contacts,
    list_contacts,
)
from frontdesk.contacts.validation import email_key
from frontdesk.csvinput import unnamed_column
from frontdesk.csvsafe import unquote_cell
from frontdesk.db import Base, is_power_of_two, refresh_planner_statistics, utcnow
from frontdesk.errors import InvalidInput, errors_from_pydantic
from frontdesk.workspaces.models import Agent

LIST_COLUMNS = LIST_FIELDS
# ``owner``: the e-mail address of the agent who looks after the customer (ignoring case).
COLUMNS = (
    *TEXT_FIELDS[:4],
    "emails",
    "phones",
    *TEXT_FIELDS[4:10],
    "roles",
    "tags",
    *TEXT_FIELDS[10:],
    "is_reseller",
    "owner",
)
ALIASES = {"email": "emails", "phone": "phones", "tag": "tags", "role": "roles", "owner_email": "owner"}
ATTRIBUTE_PREFIX = "attributes."
LIST_SEPARATOR = ";"
MAX_REPORTED_ERRORS = 1000
EXPORT_PAGE_SIZE = MAX_PAGE_SIZE

ProgressCallback = Callable[[int], None]


@dataclass
class _Batch:
    rows: list[tuple[int, ContactCreate, dict[str, Any]]] = field(default_factory=list)


@dataclass
class ImportProgress:
    """An import as far as it got: its report can be given even when the import stopped half-way."""

    atomic: bool
    total_rows: int = 0
    created: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    failed_rows: set[int] = field(default_factory=set)
    seen_emails: dict[str, int] = field(default_factory=dict)
    last_row: int = 0  # the last line read
    stored_through_row: int = 0  # the last line whose batch was committed
    complete: bool = False

    def fail(self, line: int, field_name: str, message: str) -> None:
        self.failed_rows.add(line)
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(ImportRowError(row=line, field=field_name, message=message))

    def report(self) -> ImportReport:
        return ImportReport(
            total_rows=self.total_rows,
            created=self.created,
            failed=len(self.failed_rows),
            atomic=self.atomic,
            errors=self.errors,
            complete=self.complete,
            stored_through_row=self.stored_through_row,
        )


def check_header(header: list[str] | None, definitions: dict[str, AttributeDefinition]) -> list[str]:
    """Canonical column names; an unknown column stops the import before any row is read."""
    if not header:
        raise InvalidInput("the file is empty: the first line must name the columns", field="file")
    if (unnamed := unnamed_column(header)) is not None:
        raise unnamed
    columns: list[str] = []
    for raw in header:
        name = ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if name.startswith(ATTRIBUTE_PREFIX):
            key = name[len(ATTRIBUTE_PREFIX) :]
            if key not in definitions:
                raise InvalidInput(f"column {raw!r}: no attribute {key!r} is defined in this workspace", field=raw)
        elif name not in COLUMNS and name != "id":
            raise InvalidInput(
                f"unknown column {raw!r}; known columns are {', '.join(COLUMNS)} and attributes.KEY", field=raw
            )
        if name in columns:
            raise InvalidInput(f"column {raw!r} appears twice", field=raw)
        columns.append(name)
    if not {"name", "first_name", "last_name"} & set(columns):
        raise InvalidInput("the file needs a name, first_name or last_name column", field="name")
    return columns


def row_to_payload(columns: list[str], values: list[str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for name, value in zip(columns, values, strict=False):
        # An export writes formula-like text with a quote in front (frontdesk.csvsafe): import takes it off.
        value = unquote_cell(value.strip())
        # ``id`` and ``stage`` are in every export but are not the importer's to set: a new contact gets an id of
        # its own, and its stage follows the orders imported for it (``frontdesk orders import``).
        if name in {"id", *DERIVED_FIELDS} or value == "":
            continue
        if name.startswith(ATTRIBUTE_PREFIX):
            attributes[name[len(ATTRIBUTE_PREFIX) :]] = value
        elif name in LIST_COLUMNS:
            payload[name] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        elif name == "is_reseller":
            payload[name] = value.lower() in {"true", "yes", "1", "y"}
        else:
            payload[name] = value
    payload["attributes"] = attributes
    return payload


def _validate_row(
    state: ImportProgress,
    line: int,
    payload: dict[str, Any],
    definitions: dict[str, AttributeDefinition],
    agents: OwnersByEmail,
) -> tuple[ContactCreate, dict[str, Any]] | None:
    owner = payload.pop("owner", None)
    owner_ok = True
    if owner is not None:
        payload["owner_id"], problem = agents.owner_id(owner)
        if problem is not None:
            state.fail(line, "owner", problem)
        owner_ok = problem is None
    try:
        data = ContactCreate.model_validate(payload)
        attributes = check_attributes(definitions, data.attributes)
    except ValidationError as exc:
        for error in errors_from_pydantic(list(exc.errors())):
            state.fail(line, error["field"], error["message"])
        return None
    except InvalidInput as exc:
        for error in exc.errors:
            state.fail(line, error["field"], error["message"])
        return None
    if not owner_ok:
        return None
    duplicate = False
    for index, email in enumerate(data.emails):
        key = email_key(email)
        if key in state.seen_emails:
            state.fail(line, f"emails.{index}", f"{email} is also on row {state.seen_emails[key]}")
            duplicate = True
    if duplicate:
        return None
    for email in data.emails:
        state.seen_emails[email_key(email)] = line
    return data, attributes


async def _reject_taken_emails(session: AsyncSession, workspace_id: int, state: ImportProgress, batch: _Batch) -> None:
    keys = {email_key(email): line for line, data, _ in batch.rows for email in data.emails}
    if not keys:
        return
    taken: dict[str, int] = {}
    key_list = list(keys)
    for start in range(0, len(key_list), 500):
        result = await session.execute(
            select(ContactEmail.email_normalized, ContactEmail.contact_id).where(
                ContactEmail.workspace_id == workspace_id,
                ContactEmail.email_normalized.in_(key_list[start : start + 500]),
            )
        )
        taken.update({row.email_normalized: row.contact_id for row in result.all()})
    rejected = set()
    for line, data, _ in batch.rows:
        for index, email in enumerate(data.emails):
            if email_key(email) in taken:
                state.fail(line, f"emails.{index}", f"{email} already belongs to contact {taken[email_key(email)]}")
                rejected.add(line)
    batch.rows = [row for row in batch.rows if row[0] not in rejected]


def _contact_values(workspace_id: int, data: ContactCreate, attributes: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    values = data.model_dump(mode="json", exclude={"emails", "phones", "tags", "attributes", *DERIVED_FIELDS})
    values.update(
        workspace_id=workspace_id, stage=Stage.prospect.value, attributes=attributes, created_at=now, updated_at=now
    )
    return values


def table_of(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


async def insert_contacts(session: AsyncSession, values: list[dict[str, Any]]) -> list[int]:
    """Insert contact rows; their new ids, in the order of ``values``."""
    table = table_of(Contact)
    if session.get_bind().dialect.name != "sqlite":
        result = await session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), values)
        return [row[0] for row in result.all()]
    # SQLAlchemy can only keep SQLite's RETURNING in parameter order by inserting row by row (10x slower).
    # Inside one write transaction SQLite gives each new row max(id) + 1, so ids in ascending order are the
    # rows in order; the check below guards that reasoning rather than trusting it silently.
    result = await session.execute(insert(table).returning(table.c.id), values)
    ids = sorted(row[0] for row in result.all())
    if ids and ids[-1] - ids[0] + 1 != len(values):
        raise RuntimeError("SQLite assigned non-consecutive contact ids during an import batch")
    return ids


async def _write_batch(session: AsyncSession, workspace_id: int, batch: _Batch, actor: str) -> int:
    if not batch.rows:
        return 0
    ids = await insert_contacts(
        session, [_contact_values(workspace_id, data, attributes) for _, data, attributes in batch.rows]
    )
    emails, phones, tags, events = [], [], [], []
    now = utcnow()
    for contact_id, (line, data, _) in zip(ids, batch.rows, strict=True):
        emails += [
            {
                "workspace_id": workspace_id,
                "contact_id": contact_id,
                "email": email,
                "email_normalized": email_key(email),
                "position": position,
            }
            for position, email in enumerate(data.emails)
        ]
        phones += [
            {"workspace_id": workspace_id, "contact_id": contact_id, "number": number, "position": position}
            for position, number in enumerate(data.phones)
        ]
        tags += [{"workspace_id": workspace_id, "contact_id": contact_id, "tag": tag} for tag in data.tags]
        events.append(
            {
                "workspace_id": workspace_id,
                "contact_id": contact_id,
                "kind": "imported",
                "actor": actor,
                "data": {"row": line},
                "created_at": now,
            }
        )
    for model, rows in ((ContactEmail, emails), (ContactPhone, phones), (ContactTag, tags), (ContactEvent, events)):
        if rows:
            await session.execute(insert(table_of(model)), rows)
    await emit_contacts(session=session, workspace_id=workspace_id, event_type="contact.created", contact_ids=ids)
    return len(ids)


async def _write_rows_one_by_one(
    session: AsyncSession, workspace_id: int, state: ImportProgress, batch: _Batch, actor: str
) -> int:
    """After a batch lost a race for an e-mail address: write each row on its own to find the loser."""
    written = 0
    for row in batch.rows:
        try:
            async with session.begin_nested():
                written += await _write_batch(session, workspace_id, _Batch(rows=[row]), actor)
        except IntegrityError:
            state.fail(row[0], "emails", "an e-mail address of this row was taken while the import ran")
    return written


async def import_rows(
    *,
    session: AsyncSession,
    workspace_id: int,
    header: list[str] | None,
    rows: Iterable[tuple[int, list[str]]],
    atomic: bool,
    actor: str,
    batch_size: int = 2000,
    on_progress: ProgressCallback | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Validate and write ``rows`` (line number, values). Commits per batch, or once at the end if ``atomic``.

    ``progress`` (given by the caller, or made here) holds what was stored so far, so a caller can still
    report which rows were stored when the import stops half-way (a lost connection, an interrupt).
    """
    definitions = await attribute_definitions_by_key(session=session, workspace_id=workspace_id)
    columns = check_header(header, definitions)
    agents = await owners_by_email(session=session, workspace_id=workspace_id)
    state = progress or ImportProgress(atomic=atomic)
    batch = _Batch()
    batches_written = 0

    async def flush_batch() -> None:
        await _reject_taken_emails(session, workspace_id, state, batch)
        if atomic and state.failed_rows:
            batch.rows.clear()  # nothing will be kept: validate the rest, write no more
            return
        try:
            written = await _write_batch(session, workspace_id, batch, actor)
            if not atomic:
                await session.commit()
        except IntegrityError:
            if atomic:
                raise
            await session.rollback()
            written = await _write_rows_one_by_one(session, workspace_id, state, batch, actor)
            await session.commit()
        state.created += written
        if not atomic:
            state.stored_through_row = state.last_row
        batch.rows.clear()
        nonlocal batches_written
        batches_written += 1
        if is_power_of_two(batches_written):
            await refresh_planner_statistics(session, "contacts", "contact_emails")

    for line, values in rows:
        state.total_rows += 1
        state.last_row = line
        extra = [index for index in range(len(columns), len(values)) if values[index].strip()]
        if extra:
            state.fail(
                line,
                f"column {extra[0] + 1}",
                f"the row has {len(values)} cells but the header names {len(columns)} columns",
            )
            validated = None
        else:
            validated = _validate_row(state, line, row_to_payload(columns, values), definitions, agents)
        if validated is not None:
            batch.rows.append((line, *validated))
        if len(batch.rows) >= batch_size:
            await flush_batch()
        if on_progress is not None:
            on_progress(1)
    await flush_batch()
    if atomic:
        if state.failed_rows:
            await session.rollback()
            state.created = 0
        else:
            await session.commit()
            state.stored_through_row = state.last_row
    state.complete = True
    return state.report()


# --- export -----------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)


def _export_row(contact: Contact, attribute_keys: list[str], owners: dict[int, str]) -> list[str]:
    values = {
        **{column: getattr(contact, column) for column in COLUMNS if hasattr(contact, column)},
        "emails": contact.email_addresses,
        "phones": contact.phone_numbers,
        "tags": contact.tags,
        "owner": owners.get(contact.owner_id) if contact.owner_id is not None else None,
    }
    return [
        str(contact.id),
        *(_cell(values.get(column)) for column in COLUMNS),
        *(_cell(contact.attributes.get(key)) for key in attribute_keys),
    ]


async def export_rows(
    *,
    factory: async_sessionmaker[AsyncSession],
    workspace_id: int,
    page_size: int = EXPORT_PAGE_SIZE,
    filters: ContactFilters | None = None,
) -> AsyncIterator[list[str]]:
    """The header, then one row per contact (all, or those ``filters`` keep), in the format ``import_rows`` reads.

    Every page of contacts is read in a session of its own, closed before its rows are yielded: the
    caller may hold rows as long as it likes (a slow download) without holding a database connection,
    which on SQLite is the serving process's only one. Pages follow the id downwards (keyset), so every
    contact that exists when the export starts appears exactly once; contacts created meanwhile are not in it.
    """
    async with factory() as session:
        definitions = await attribute_definitions_by_key(session=session, workspace_id=workspace_id)
        owners = dict(
            (await session.execute(select(Agent.id, Agent.email).where(Agent.workspace_id == workspace_id))).all()
        )
    attribute_keys = sorted(definitions)
    yield ["id", *COLUMNS, *(ATTRIBUTE_PREFIX + key for key in attribute_keys)]
    cursor: str | None = None
    while True:
        async with factory() as session:
            contacts, cursor = await list_contacts(
                session=session,
                workspace_id=workspace_id,
                filters=filters or ContactFilters(),
                limit=page_size,
                cursor=cursor,
            )
            page = [_export_row(contact, attribute_keys, owners) for contact in contacts]
        for row in page:
            yield row
        if cursor is None:
            return
