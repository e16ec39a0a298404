"""/api/v1 complaints: raise, work, suggestions from low scores, and the complaint rate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from frontdesk.complaints import service
from frontdesk.complaints.models import Complaint, ComplaintStatus
from frontdesk.complaints.schemas import (
    ComplaintCreate,
    ComplaintPage,
    ComplaintRate,
    ComplaintRead,
    ComplaintSuggestion,
    ComplaintUpdate,
)
from frontdesk.deps import Agent, DbSession, PathId, Viewer, require_time_zones
from frontdesk.feedback.periods import Period
from frontdesk.inputs import BoundedDateTime, IdRef

router = APIRouter(prefix="/api/v1", tags=["complaints"])
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


async def _read(session: DbSession, complaint: Complaint) -> ComplaintRead:
    return (await service.to_reads(session=session, complaints=[complaint], with_history=True))[0]


@router.post("/complaints", response_model=ComplaintRead, status_code=201, summary="Raise a complaint")
async def raise_complaint(data: ComplaintCreate, session: DbSession, principal: Agent) -> ComplaintRead:
    complaint = await service.do_raise_complaint(
        session=session, workspace_id=principal.workspace_id, data=data, actor=principal.label
    )
    await session.commit()
    return await _read(session, complaint)


@router.get("/complaints", response_model=ComplaintPage, summary="List complaints, newest first")
async def list_complaints(
    session: DbSession,
    principal: Viewer,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: ComplaintStatus | None = None,
    contact_id: Annotated[IdRef | None, Query()] = None,
    owner_id: Annotated[IdRef | None, Query()] = None,
) -> ComplaintPage:
    rows, next_cursor = await service.list_complaints(
        session=session,
        workspace_id=principal.workspace_id,
        limit=limit,
        cursor=cursor,
        status=status,
        contact_id=contact_id,
        owner_id=owner_id,
    )
    return ComplaintPage(items=await service.to_reads(session=session, complaints=rows), next_cursor=next_cursor)


@router.get(
    "/complaints/suggestions",
    response_model=list[ComplaintSuggestion],
    summary="Low ratings, reviews and survey scores (at or under the thresholds) not raised yet",
)
async def complaint_suggestions(session: DbSession, principal: Viewer) -> list[ComplaintSuggestion]:
    found = await service.suggestions(session=session, workspace_id=principal.workspace_id)
    await session.commit()
    return found


@router.get("/complaints/{complaint_id}", response_model=ComplaintRead, summary="A complaint and its history")
async def read_complaint(complaint_id: PathId, session: DbSession, principal: Viewer) -> ComplaintRead:
    complaint = await service.get_complaint(
        session=session, workspace_id=principal.workspace_id, complaint_id=complaint_id
    )
    return await _read(session, complaint)


@router.patch("/complaints/{complaint_id}", response_model=ComplaintRead, summary="Change status, owner, due date…")
async def update_complaint(
    complaint_id: PathId, data: ComplaintUpdate, session: DbSession, principal: Agent
) -> ComplaintRead:
    complaint = await service.do_update_complaint(
        session=session,
        workspace_id=principal.workspace_id,
        complaint_id=complaint_id,
        data=data,
        actor=principal.label,
    )
    await session.commit()
    return await _read(session, complaint)


@router.get("/reports/complaint-rate", response_model=ComplaintRate, summary="Complaints per 100 orders over time")
async def complaint_rate(
    session: DbSession,
    principal: Viewer,
    period: Period = Period.month,
    since: Annotated[BoundedDateTime | None, Query(description="From this time")] = None,
    until: Annotated[BoundedDateTime | None, Query(description="Before this time")] = None,
) -> ComplaintRate:
    require_time_zones(since=since, until=until)
    return await service.complaint_rate(
        session=session, workspace_id=principal.workspace_id, period=period, since=since, until=until
    )
