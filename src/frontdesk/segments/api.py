"""/api/v1/segments: save rules, count them live, list and export their contacts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from frontdesk.contacts import service as contacts_service
from frontdesk.contacts.schemas import ContactPage
from frontdesk.deps import Admin, Agent, DbSession, PathId, Viewer
from frontdesk.segments import service
from frontdesk.segments.rule_json import to_json
from frontdesk.segments.rule_text import parse, to_text
from frontdesk.segments.schemas import (
    RuleInput,
    RulePreview,
    SegmentCreate,
    SegmentOwnerResult,
    SegmentOwnerSet,
    SegmentPage,
    SegmentRead,
    SegmentUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["segments"])
SegmentRef = Annotated[str, "a saved segment's id or a built-in segment's key"]


@router.get("/segments", response_model=SegmentPage, summary="Saved segments (and, on the first page, built-in ones)")
async def list_segments(
    session: DbSession,
    principal: Viewer,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    counts: Annotated[bool, Query(description="Count each segment's contacts now")] = False,
    builtin: Annotated[bool, Query(description="Include the built-in segments on the first page")] = True,
) -> SegmentPage:
    items, next_cursor = await service.list_saved(
        session=session, workspace_id=principal.workspace_id, limit=limit, cursor=cursor
    )
    if builtin and cursor is None:
        items = service.builtin_segments() + items
    if counts:
        ctx = await service.context(session=session, workspace_id=principal.workspace_id)
        for item in items:
            # The listed segment carries its rule: no second lookup per segment.
            item.count = await service.count(session=session, rule=parse(item.rule), ctx=ctx)
    return SegmentPage(items=items, next_cursor=next_cursor)


@router.post("/segments", response_model=SegmentRead, status_code=201, summary="Save a segment")
async def create_segment(data: SegmentCreate, session: DbSession, principal: Agent) -> SegmentRead:
    segment = await service.do_create_segment(
        session=session, workspace_id=principal.workspace_id, data=data, actor=principal.label
    )
    await session.commit()
    return service.read_saved(segment)


@router.post("/segments/preview", response_model=RulePreview, summary="Check a rule and count its contacts")
async def preview(data: RuleInput, session: DbSession, principal: Viewer) -> RulePreview:
    rule = service.rule_from(data)
    assert rule is not None
    ctx = await service.context(session=session, workspace_id=principal.workspace_id)
    return RulePreview(
        rule=to_text(rule), rule_json=to_json(rule), count=await service.count(session=session, rule=rule, ctx=ctx)
    )


@router.get("/segments/{segment}", response_model=SegmentRead, summary="Read a segment, with its size now")
async def read_segment(segment: SegmentRef, session: DbSession, principal: Viewer) -> SegmentRead:
    read, rule = await service.resolve(session=session, workspace_id=principal.workspace_id, ref=segment)
    ctx = await service.context(session=session, workspace_id=principal.workspace_id)
    read.count = await service.count(session=session, rule=rule, ctx=ctx)
    return read


@router.patch("/segments/{segment_id}", response_model=SegmentRead, summary="Rename a segment or change its rule")
async def update_segment(segment_id: PathId, data: SegmentUpdate, session: DbSession, principal: Agent) -> Any:
    segment = await service.do_update_segment(
        session=session, workspace_id=principal.workspace_id, segment_id=segment_id, data=data
    )
    await session.commit()
    return service.read_saved(segment)


@router.delete("/segments/{segment_id}", status_code=204, summary="Delete a saved segment")
async def delete_segment(segment_id: PathId, session: DbSession, principal: Agent) -> Response:
    await service.do_delete_segment(session=session, workspace_id=principal.workspace_id, segment_id=segment_id)
    await session.commit()
    return Response(status_code=204)


@router.get("/segments/{segment}/contacts", response_model=ContactPage, summary="The segment's contacts")
async def segment_contacts(
    segment: SegmentRef,
    session: DbSession,
    principal: Viewer,
    limit: Annotated[int, Query(ge=1, le=contacts_service.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> ContactPage:
    _, rule = await service.resolve(session=session, workspace_id=principal.workspace_id, ref=segment)
    ctx = await service.context(session=session, workspace_id=principal.workspace_id)
    contacts, next_cursor = await contacts_service.list_contacts(
        session=session,
        workspace_id=principal.workspace_id,
        filters=contacts_service.ContactFilters(within=service.members(rule, ctx)),
        limit=limit,
        cursor=cursor,
    )
    items = [await contacts_service.to_read(session=session, contact=contact) for contact in contacts]
    return ContactPage(items=items, next_cursor=next_cursor)


@router.get(
    "/segments/{segment}/export",
    summary="The segment's contacts as CSV (the contact import format)",
    responses={200: {"content": {"text/csv": {}}, "description": "Formula-like cells are neutralised"}},
)
async def export_segment(
    segment: SegmentRef, session: DbSession, principal: Viewer, request: Request
) -> StreamingResponse:
    read, rule = await service.resolve(session=session, workspace_id=principal.workspace_id, ref=segment)
    ctx = await service.context(session=session, workspace_id=principal.workspace_id)
    filename = f"segment-{read.id}.csv"
    await session.close()  # the export reads with short sessions of its own; don't hold a connection meanwhile
    return StreamingResponse(
        service.export_csv(
            factory=request.app.state.session_factory, workspace_id=principal.workspace_id, rule=rule, ctx=ctx
        ),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/segments/{segment}/owner",
    response_model=SegmentOwnerResult,
    summary="Give every current member of a segment an owner",
    description="Sets the owner of the contacts in the segment now (one update, whatever its size); each "
    "contact that changes owner gets an 'owner changed' event. owner_id null removes their owner.",
)
async def set_segment_owner(
    segment: SegmentRef, data: SegmentOwnerSet, session: DbSession, principal: Admin
) -> SegmentOwnerResult:
    read, rule = await service.resolve(session=session, workspace_id=principal.workspace_id, ref=segment)
    ctx = await service.context(session=session, workspace_id=principal.workspace_id)
    updated = await service.do_set_owner_of_members(
        session=session, rule=rule, ctx=ctx, owner_id=data.owner_id, actor=principal.label, segment=read.name
    )
    await session.commit()
    return SegmentOwnerResult(updated=updated)
