"""Saved and built-in segments: resolve, count, list members, save."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Select, delete, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.models import ProductRange
from frontdesk.contacts import importer as contacts_importer
from frontdesk.contacts.models import Contact, ContactEvent
from frontdesk.contacts.owners import OWNER_CHANGED, get_owner, owner_label
from frontdesk.contacts.service import ContactFilters, decode_cursor, emit_contacts, encode_cursor
from frontdesk.csvsafe import format_row
from frontdesk.db import insert_missing, utcnow
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.inputs import parse_id
from frontdesk.segments.compiler import Context, contacts_matching
from frontdesk.segments.models import Segment
from frontdesk.segments.rule_json import from_json, to_json
from frontdesk.segments.rule_text import parse, to_text
from frontdesk.segments.rules import Rule, RuleError
from frontdesk.segments.schemas import RuleInput, SegmentCreate, SegmentRead, SegmentUpdate
from frontdesk.webhooks import events, payloads
from frontdesk.webhooks.models import SegmentMemberNotice

EU_COUNTRIES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
                "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")  # fmt: skip
_EU = ", ".join(f'"{code}"' for code in EU_COUNTRIES)


@dataclass(frozen=True)
class BuiltinSegment:
    key: str
    name: str
    rule: str
    description: str


BUILTIN_SEGMENTS = [
    BuiltinSegment("prospects", "Prospects", 'lifecycle = "prospect"', "Could buy, never have"),
    BuiltinSegment("new", "New customers", 'lifecycle = "new"', "One order so far"),
    BuiltinSegment("returning", "Returning", 'lifecycle = "returning"', "Came back; not yet regular or occasional"),
    BuiltinSegment("regular", "Regular buyers", 'lifecycle = "regular"', "Buy often (workspace threshold)"),
    BuiltinSegment("occasional", "Occasional buyers", 'lifecycle = "occasional"', "Came back, but rarely buy"),
    BuiltinSegment("lapsed", "Lapsed", 'lifecycle = "lapsed"', "No order for a while"),
    BuiltinSegment("churned", "Churned", 'lifecycle = "churned"', "No order for a long time"),
    BuiltinSegment("internal", "Internal customers", 'audience = "internal"', "Departments, branches, staff"),
    BuiltinSegment("external", "External customers", 'audience = "external"', "The public and other companies"),
    BuiltinSegment("b2b", "B2B", 'market = "b2b"', "Businesses"),
    BuiltinSegment("b2c", "B2C", 'market = "b2c"', "Consumers"),
    BuiltinSegment("resellers", "Resellers", "reseller = true", "Registered organisations buying to resell"),
    BuiltinSegment("single-range", "Single-range buyers", "ranges = 1", "Bought from one product range"),
    BuiltinSegment("all-range", "All-range buyers", "ranges = all", "Bought from every product range"),
    BuiltinSegment("region-eu", "Region: EU", f"country in ({_EU})", "Contacts in the European Union"),
    BuiltinSegment(
        "region-outside-eu", "Region: outside the EU", f"country not in ({_EU})", "Contacts with a country outside it"
    ),
    BuiltinSegment("champions", "RFM: Champions", 'rfm_group = "Champions"', "Bought recently, often and much"),
    BuiltinSegment(
        "at-risk", "RFM: At risk", 'rfm_group in ("At risk", "Can\'t lose them")', "Good customers going quiet"
    ),
]
BUILTIN_BY_KEY = {segment.key: segment for segment in BUILTIN_SEGMENTS}


def rule_from(data: RuleInput | SegmentUpdate) -> Rule | None:
    """The rule given as text or JSON; ``InvalidInput`` naming the field, position and reason otherwise."""
    try:
        if data.rule is not None:
            return parse(data.rule)
        if data.rule_json is not None:
            return from_json(data.rule_json)
    except RuleError as exc:
        field = "rule" if data.rule is not None else "rule_json"
        raise InvalidInput(str(exc), field=field) from None
    return None


async def context(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> Context:
    settings = await get_commerce_settings(session=session, workspace_id=workspace_id)
    ranges = await session.scalar(
        select(func.count()).select_from(ProductRange).where(ProductRange.workspace_id == workspace_id)
    )
    return Context(workspace_id=workspace_id, now=now or utcnow(), currency=settings.currency, range_count=ranges or 0)


def members(rule: Rule, ctx: Context) -> Select[Any]:
    """The ids of the contacts in the segment, as a query the database runs (for filters and exports)."""
    return contacts_matching(rule, ctx)


async def count(*, session: AsyncSession, rule: Rule, ctx: Context) -> int:
    statement = contacts_matching(rule, ctx, func.count())
    return int(await session.scalar(statement) or 0)


def read_saved(segment: Segment) -> SegmentRead:
    rule = parse(segment.rule)
    return SegmentRead(
        id=str(segment.id),
        name=segment.name,
        description=segment.description,
        rule=segment.rule,
        rule_json=to_json(rule),
        builtin=False,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


def _read_builtin(segment: BuiltinSegment) -> SegmentRead:
    rule = parse(segment.rule)
    return SegmentRead(
        id=segment.key,
        name=segment.name,
        description=segment.description,
        rule=to_text(rule),
        rule_json=to_json(rule),
        builtin=True,
    )


def builtin_segments() -> list[SegmentRead]:
    return [_read_builtin(segment) for segment in BUILTIN_SEGMENTS]


async def get_saved(*, session: AsyncSession, workspace_id: int, segment_id: int) -> Segment:
    segment = await session.scalar(
        select(Segment).where(Segment.workspace_id == workspace_id, Segment.id == segment_id)
    )
    if segment is None:
        raise NotFound(f"no segment {segment_id} in this workspace")
    return segment


async def resolve(*, session: AsyncSession, workspace_id: int, ref: str) -> tuple[SegmentRead, Rule]:
    """A segment by its id (saved) or key (built-in), with its rule."""
    if ref in BUILTIN_BY_KEY:
        read = _read_builtin(BUILTIN_BY_KEY[ref])
        return read, parse(read.rule)
    segment_id = parse_id(ref)
    if segment_id is None:
        raise NotFound(f"no segment {ref!r}; built-in ones are {', '.join(BUILTIN_BY_KEY)}")
    segment = await get_saved(session=session, workspace_id=workspace_id, segment_id=segment_id)
    return read_saved(segment), parse(segment.rule)


async def list_saved(
    *, session: AsyncSession, workspace_id: int, limit: int, cursor: str | None
) -> tuple[list[SegmentRead], str | None]:
    statement = select(Segment).where(Segment.workspace_id == workspace_id)
    if cursor:
        statement = statement.where(Segment.id > decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Segment.id).limit(limit + 1))).all())
    return [read_saved(row) for row in rows[:limit]], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


async def _name_free(session: AsyncSession, workspace_id: int, name: str, except_id: int | None = None) -> None:
    statement = select(Segment.id).where(Segment.workspace_id == workspace_id, Segment.name == name)
    if except_id is not None:
        statement = statement.where(Segment.id != except_id)
    if await session.scalar(statement) is not None:
        raise Conflict(f"a segment named {name!r} exists already", field="name")


async def do_create_segment(*, session: AsyncSession, workspace_id: int, data: SegmentCreate, actor: str) -> Segment:
    rule = rule_from(data)
    assert rule is not None
    await _name_free(session, workspace_id, data.name.strip())
    now = utcnow()
    segment = Segment(
        workspace_id=workspace_id,
        name=data.name.strip(),
        description=data.description,
        rule=to_text(rule),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(segment)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"a segment named {data.name!r} exists already", field="name") from None
    return segment


async def do_update_segment(
    *, session: AsyncSession, workspace_id: int, segment_id: int, data: SegmentUpdate
) -> Segment:
    segment = await get_saved(session=session, workspace_id=workspace_id, segment_id=segment_id)
    if data.rule is not None and data.rule_json is not None:
        raise InvalidInput("give rule (text) or rule_json, not both", field="rule")
    rule = rule_from(data)
    if rule is not None:
        segment.rule = to_text(rule)
    if data.name is not None:
        await _name_free(session, workspace_id, data.name.strip(), except_id=segment.id)
        segment.name = data.name.strip()
    if "description" in data.model_fields_set:
        segment.description = data.description
    segment.updated_at = utcnow()
    await session.flush()
    return segment


async def do_delete_segment(*, session: AsyncSession, workspace_id: int, segment_id: int) -> None:
    await session.delete(await get_saved(session=session, workspace_id=workspace_id, segment_id=segment_id))
    await session.flush()


async def export_csv(
    *, factory: async_sessionmaker[AsyncSession], workspace_id: int, rule: Rule, ctx: Context
) -> AsyncIterator[str]:
    """The segment's contacts as CSV text, a page at a time, in the format the contact import reads; cells a
    spreadsheet would run as formulas are neutralised (``frontdesk.csvsafe``).

    Reads with sessions of its own, one per page (``contacts.importer.export_rows``): the request's session
    is closed before a streaming response is sent, and no connection is held while the client downloads.
    """
    chunk: list[str] = []
    async for row in contacts_importer.export_rows(
        factory=factory, workspace_id=workspace_id, filters=ContactFilters(within=members(rule, ctx))
    ):
        chunk.append(format_row(row))
        if len(chunk) >= contacts_importer.EXPORT_PAGE_SIZE:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)


async def do_set_owner_of_members(
    *, session: AsyncSession, rule: Rule, ctx: Context, owner_id: int | None, actor: str, segment: str
) -> int:
    """Give every current member of the segment to the agent ``owner_id`` (``None``: to nobody). Returns how
    many contacts changed owner; members who had that owner already are left alone.

    Two statements whatever the segment's size, no loop over contacts: one INSERT .. SELECT writes the
    "owner changed" event of each contact that changes, one UPDATE changes them.
    """
    owner = (
        await get_owner(session=session, workspace_id=ctx.workspace_id, agent_id=owner_id)
        if owner_id is not None
        else None
    )
    changing = (
        Contact.owner_id.is_not(None)
        if owner_id is None
        else or_(Contact.owner_id.is_(None), Contact.owner_id != owner_id)
    )
    now = utcnow()
    # Not correlated with the UPDATE's own contacts table: the members are a query of their own.
    targets = members(rule, ctx).where(changing).correlate(None)
    # The previous owner differs per contact and is not repeated here: the event says who owns it now and why.
    data = {"to": owner_id, "to_name": owner_label(owner), "segment": segment}
    timeline_rows = targets.with_only_columns(
        Contact.workspace_id,
        Contact.id,
        literal(OWNER_CHANGED),
        literal(actor),
        literal(data, JSON()),
        literal(now, ContactEvent.created_at.type),
    )
    # The changing contacts are listed only when an endpoint wants their contact.updated events.
    notify = await events.subscribed(session, workspace_id=ctx.workspace_id, event_type="contact.updated")
    changed = list((await session.scalars(targets.with_only_columns(Contact.id))).all()) if notify else []
    await session.execute(
        insert(ContactEvent).from_select(
            ["workspace_id", "contact_id", "kind", "actor", "data", "created_at"], timeline_rows
        )
    )
    result = await session.execute(
        update(Contact)
        .where(Contact.workspace_id == ctx.workspace_id, Contact.id.in_(targets))
        .values(owner_id=owner_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed:
        await emit_contacts(
            session=session, workspace_id=ctx.workspace_id, event_type="contact.updated", contact_ids=changed
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


SEGMENT_EVENTS = ("segment.entered", "segment.left")


async def _members_notified(session: AsyncSession, workspace_id: int) -> dict[int, set[int]]:
    """Segment id -> the contacts the endpoints were last told are in it (erasure and merges keep these rows in
    step with the registry: webhooks/personal_data.py)."""
    rows = await session.execute(
        select(SegmentMemberNotice.segment_id, SegmentMemberNotice.contact_id).where(
            SegmentMemberNotice.workspace_id == workspace_id
        )
    )
    notified: dict[int, set[int]] = {}
    for segment_id, contact_id in rows.all():
        notified.setdefault(segment_id, set()).add(contact_id)
    return notified


async def do_refresh_segment_events(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """segment.entered / segment.left for every saved segment: its members now against those the endpoints
    were last told of (SegmentMemberNotice), which are then brought up to date. Runs with the daily refresh
    (success/refresh.py); returns how many events it queued.

    Nothing is read while no endpoint takes either event: the first refresh after one subscribes reports every
    current member as entered, which is what the endpoint needs to know to start from.
    """
    wanted = [
        event_type
        for event_type in SEGMENT_EVENTS
        if await events.subscribed(session, workspace_id=workspace_id, event_type=event_type)
    ]
    if not wanted:
        await session.execute(delete(SegmentMemberNotice).where(SegmentMemberNotice.workspace_id == workspace_id))
        return 0
    ctx = await context(session=session, workspace_id=workspace_id, now=now)
    notified = await _members_notified(session, workspace_id)
    segments = (await session.scalars(select(Segment).where(Segment.workspace_id == workspace_id))).all()
    queued = 0
    for segment in segments:
        now_in = set((await session.scalars(members(parse(segment.rule), ctx))).all())
        before = notified.get(segment.id, set())
        entered, left = sorted(now_in - before), sorted(before - now_in)
        for event_type, contact_ids in (("segment.entered", entered), ("segment.left", left)):
            emitted = [
                events.Emitted(
                    payloads.SegmentMembership(
                        segment_id=segment.id, segment_name=segment.name, contact_id=contact_id
                    ).model_dump(mode="json"),
                    contact_id,
                )
                for contact_id in contact_ids
            ]
            await events.emit_many(session, workspace_id=workspace_id, event_type=event_type, events=emitted)
            queued += len(emitted) if event_type in wanted else 0
        if left:
            await session.execute(
                delete(SegmentMemberNotice).where(
                    SegmentMemberNotice.segment_id == segment.id, SegmentMemberNotice.contact_id.in_(left)
                )
            )
        await insert_missing(
            session,
            SegmentMemberNotice,
            [{"segment_id": segment.id, "contact_id": c, "workspace_id": workspace_id} for c in entered],
        )
    return queued
