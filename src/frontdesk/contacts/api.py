"""/api/v1/contacts: parse, authorise, call the service, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, UploadFile

from frontdesk.commerce import service as commerce_service
from frontdesk.contacts import importer, merge, privacy, service, stages, timeline
from frontdesk.contacts.models import Audience, ContactKind, Market
from frontdesk.contacts.schemas import (
    AttributeDefinitionCreate,
    AttributeDefinitionRead,
    ContactCreate,
    ContactPage,
    ContactRead,
    ContactUpdate,
    ImportReport,
    MergeRequest,
    NoteCreate,
    RelationshipCreate,
    TimelineEntry,
    TimelinePage,
)
from frontdesk.contacts.stages import StageFilter
from frontdesk.deps import Admin, Agent, AppSettings, DbSession, PathId, ReferralCodeParam, Viewer
from frontdesk.errors import InvalidInput, problem
from frontdesk.inputs import IdRef
from frontdesk.referrals import service as referrals
from frontdesk.segments import service as segments_service
from frontdesk.segments.rules import AllOf, Rule
from frontdesk.segments.schemas import RuleInput
from frontdesk.uploads import import_interrupted, read_csv_upload

router = APIRouter(prefix="/api/v1", tags=["contacts"])


@router.get("/contacts", response_model=ContactPage, summary="List contacts, newest first")
async def list_contacts(
    session: DbSession,
    principal: Viewer,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Part of a name (accents and case ignored: muller finds Müller) or e-mail address",
        ),
    ] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    stage: Annotated[
        StageFilter | None,
        Query(
            description="prospect (no completed order), customer (any completed order), or a lifecycle stage: "
            "new, returning, regular, occasional, lapsed, churned"
        ),
    ] = None,
    audience: Audience | None = None,
    market: Market | None = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")] = None,
    kind: ContactKind | None = None,
    segment: Annotated[
        str | None, Query(max_length=40, description="Only this segment's contacts: a saved id or a built-in key")
    ] = None,
    rule: Annotated[str | None, Query(max_length=4000, description="A segment rule, e.g. orders >= 2")] = None,
    owner_id: Annotated[IdRef | None, Query(description="Only the customers of this agent")] = None,
    unowned: Annotated[bool, Query(description="Only contacts without an owner")] = False,
) -> ContactPage:
    if owner_id is not None and unowned:
        raise InvalidInput("give owner_id or unowned=true, not both", field="owner_id")
    rules: list[Rule] = []
    if segment is not None or rule is not None:
        if segment is not None and rule is not None:
            raise InvalidInput("give segment or rule, not both", field="rule")
        parsed: Rule | None
        if segment is not None:
            _, parsed = await segments_service.resolve(
                session=session, workspace_id=principal.workspace_id, ref=segment
            )
        else:
            parsed = segments_service.rule_from(RuleInput(rule=rule))
        assert parsed is not None
        rules.append(parsed)
    registry_stage, lifecycle_rule = stages.split(stage)
    if lifecycle_rule is not None:
        rules.append(lifecycle_rule)
    within = None
    if rules:
        ctx = await segments_service.context(session=session, workspace_id=principal.workspace_id)
        within = segments_service.members(rules[0] if len(rules) == 1 else AllOf(tuple(rules)), ctx)
    filters = service.ContactFilters(
        q=q,
        tag=tag,
        country=country,
        stage=registry_stage,
        audience=audience.value if audience else None,
        market=market.value if market else None,
        kind=kind.value if kind else None,
        owner_id=owner_id,
        unowned=unowned,
        within=within,
    )
    contacts, next_cursor = await service.list_contacts(
        session=session, workspace_id=principal.workspace_id, filters=filters, limit=limit, cursor=cursor
    )
    items = [await service.to_read(session=session, contact=contact) for contact in contacts]
    return ContactPage(items=items, next_cursor=next_cursor)


@router.post("/contacts", response_model=ContactRead, status_code=201, summary="Create a contact")
async def create_contact(
    data: ContactCreate,
    session: DbSession,
    principal: Agent,
    response: Response,
    referral_code: ReferralCodeParam = None,
) -> ContactRead:
    contact = await service.do_create_contact(
        session=session, workspace_id=principal.workspace_id, data=data, actor=principal.label
    )
    if referral_code is not None:
        outcome = await referrals.do_attribute(
            session=session, workspace_id=principal.workspace_id, code=referral_code, referred_id=contact.id
        )
        response.headers["Referral"] = referrals.attribution_header(outcome)
    await session.commit()
    return await service.to_read(session=session, contact=contact)


@router.post("/contacts/import", response_model=ImportReport, summary="Import contacts from a CSV file")
async def import_contacts(
    file: UploadFile,
    session: DbSession,
    principal: Agent,
    settings: AppSettings,
    atomic: Annotated[bool, Query(description="Write nothing if any row is bad")] = False,
) -> Any:
    header, rows = await read_csv_upload(file, settings)
    progress = importer.ImportProgress(atomic=atomic)
    try:
        report = await importer.import_rows(
            session=session,
            workspace_id=principal.workspace_id,
            header=header,
            rows=rows,
            atomic=atomic,
            actor=principal.label,
            batch_size=settings.import_batch_size,
            progress=progress,
        )
    except Exception as exc:
        if progress.stored_through_row == 0:
            raise
        return import_interrupted(exc, progress.report().model_dump())
    if atomic and report.failed:
        return problem(
            422,
            "Invalid input",
            f"{report.failed} rows are invalid; nothing was imported",
            errors=None,
            report=report.model_dump(),
        )
    return report


@router.get("/contacts/{contact_id}", response_model=ContactRead, summary="Read a contact")
async def read_contact(contact_id: PathId, session: DbSession, principal: Viewer) -> ContactRead:
    contact = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    return await service.to_read(session=session, contact=contact)


@router.patch("/contacts/{contact_id}", response_model=ContactRead, summary="Change some fields of a contact")
async def update_contact(contact_id: PathId, patch: ContactUpdate, session: DbSession, principal: Agent) -> ContactRead:
    contact = await service.do_update_contact(
        session=session,
        workspace_id=principal.workspace_id,
        contact_id=contact_id,
        patch=patch,
        actor=principal.label,
    )
    await session.commit()
    return await service.to_read(session=session, contact=contact)


@router.delete(
    "/contacts/{contact_id}",
    status_code=204,
    summary="Erase a contact (GDPR art. 17)",
    description="Removes the contact and all personal data attached to it. An audit entry without personal "
    "data is kept.",
)
async def erase_contact(
    contact_id: PathId,
    session: DbSession,
    principal: Admin,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    contact = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    await privacy.do_erase_contact(session=session, contact=contact, actor=principal.label, reason=reason)
    await session.commit()
    return Response(status_code=204)


@router.get("/contacts/{contact_id}/export", summary="Everything held about a contact (GDPR art. 15)")
async def export_contact(contact_id: PathId, session: DbSession, principal: Admin) -> dict[str, Any]:
    contact = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    document = await privacy.export_contact(session=session, contact=contact)
    return document


@router.post(
    "/contacts/{contact_id}/merge",
    response_model=ContactRead,
    summary="Merge a duplicate into this contact",
    description="The duplicate is removed; nothing it held is lost.",
)
async def merge_contacts(contact_id: PathId, data: MergeRequest, session: DbSession, principal: Agent) -> ContactRead:
    target = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    duplicate = await service.get_referenced_contact(
        session=session, workspace_id=principal.workspace_id, contact_id=data.duplicate_id, field="duplicate_id"
    )
    contact = await merge.do_merge_contacts(session=session, target=target, duplicate=duplicate, actor=principal.label)
    await session.commit()
    return await service.to_read(session=session, contact=contact)


@router.get("/contacts/{contact_id}/timeline", response_model=TimelinePage, summary="Notes and changes")
async def read_timeline(
    contact_id: PathId, session: DbSession, principal: Viewer, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> TimelinePage:
    contact = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    extra = await commerce_service.timeline_entries(
        session=session, workspace_id=principal.workspace_id, contact_id=contact.id, limit=limit
    )
    return TimelinePage(items=await timeline.list_timeline(session=session, contact=contact, limit=limit, extra=extra))


@router.post("/contacts/{contact_id}/notes", response_model=TimelineEntry, status_code=201, summary="Add a note")
async def add_note(contact_id: PathId, data: NoteCreate, session: DbSession, principal: Agent) -> TimelineEntry:
    contact = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    note = await timeline.do_add_note(session=session, contact=contact, body=data.body, author=principal.label)
    await session.commit()
    return timeline.note_entry(note)


@router.post(
    "/contacts/{contact_id}/relationships",
    response_model=ContactRead,
    status_code=201,
    summary="Link a user to their organisation, or a customer to the consumer they buy for",
)
async def add_relationship(
    contact_id: PathId, data: RelationshipCreate, session: DbSession, principal: Agent
) -> ContactRead:
    contact = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    other = await service.get_referenced_contact(
        session=session, workspace_id=principal.workspace_id, contact_id=data.to_contact_id, field="to_contact_id"
    )
    await timeline.do_add_relationship(session=session, contact=contact, other=other, data=data, actor=principal.label)
    await session.commit()
    return await service.to_read(session=session, contact=contact)


@router.delete("/contacts/{contact_id}/relationships/{relationship_id}", status_code=204)
async def remove_relationship(
    contact_id: PathId, relationship_id: PathId, session: DbSession, principal: Agent
) -> Response:
    contact = await service.get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    await timeline.do_remove_relationship(
        session=session, contact=contact, relationship_id=relationship_id, actor=principal.label
    )
    await session.commit()
    return Response(status_code=204)


@router.get("/attributes", response_model=list[AttributeDefinitionRead], summary="Custom contact attributes")
async def list_attributes(session: DbSession, principal: Viewer) -> Any:
    return await service.list_attribute_definitions(session=session, workspace_id=principal.workspace_id)


@router.post("/attributes", response_model=AttributeDefinitionRead, status_code=201)
async def create_attribute(data: AttributeDefinitionCreate, session: DbSession, principal: Admin) -> Any:
    definition = await service.do_create_attribute_definition(
        session=session, workspace_id=principal.workspace_id, data=data
    )
    await session.commit()
    return definition


@router.delete("/attributes/{key}", status_code=204)
async def delete_attribute(key: str, session: DbSession, principal: Admin) -> Response:
    await service.do_delete_attribute_definition(session=session, workspace_id=principal.workspace_id, key=key)
    await session.commit()
    return Response(status_code=204)
