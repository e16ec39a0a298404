"""/api/v1 referrals: codes and links, attribution, and the referral report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from frontdesk.contacts.service import get_referenced_contact
from frontdesk.deps import Agent, AppSettings, DbSession, PathId, Viewer, require_time_zones
from frontdesk.errors import Conflict
from frontdesk.inputs import BoundedDateTime, IdRef
from frontdesk.referrals import service
from frontdesk.referrals.schemas import ReferralCodeRead, ReferralCreate, ReferralPage, ReferralReport

router = APIRouter(prefix="/api/v1", tags=["referrals"])
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


@router.get(
    "/contacts/{contact_id}/referral-code", response_model=ReferralCodeRead, summary="A contact's code and link"
)
async def referral_code(
    contact_id: PathId, session: DbSession, principal: Agent, settings: AppSettings
) -> ReferralCodeRead:
    code = await service.get_or_create_code(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    link = await service.referral_link(
        session=session, workspace_id=principal.workspace_id, code=code, public_url=settings.public_url
    )
    await session.commit()
    return ReferralCodeRead(contact_id=contact_id, code=code, link=link)


@router.post(
    "/referrals",
    status_code=201,
    summary="Attribute a new contact (and their first order) to a referral code",
    responses={
        200: {"description": "Already attributed to this referrer (a retry)"},
        409: {"description": "Refused: referred by someone else already, or a customer before"},
    },
)
async def attribute(
    data: ReferralCreate, session: DbSession, principal: Agent, response: Response
) -> dict[str, object]:
    workspace_id = principal.workspace_id
    await get_referenced_contact(
        session=session, workspace_id=workspace_id, contact_id=data.contact_id, field="contact_id"
    )
    if data.order_id is not None:
        await service.order_of_buyer(
            session=session, workspace_id=workspace_id, order_id=data.order_id, buyer_id=data.contact_id
        )
    outcome = await service.do_attribute(
        session=session,
        workspace_id=workspace_id,
        code=data.referral_code,
        referred_id=data.contact_id,
        order_id=data.order_id,
    )
    if not outcome.counted:
        raise Conflict(f"not counted: {outcome.reason}", field="contact_id")
    await session.commit()
    if outcome.reason == "already attributed":
        response.status_code = 200
    return {"referrer_id": outcome.referrer_id, "referred_id": data.contact_id, "status": outcome.reason}


@router.get("/referrals", response_model=ReferralPage, summary="Referred contacts, newest first")
async def list_referrals(
    session: DbSession,
    principal: Viewer,
    limit: Limit = 50,
    cursor: Cursor = None,
    referrer_id: Annotated[IdRef | None, Query()] = None,
) -> ReferralPage:
    items, next_cursor = await service.list_referrals(
        session=session, workspace_id=principal.workspace_id, limit=limit, cursor=cursor, referrer_id=referrer_id
    )
    return ReferralPage(items=items, next_cursor=next_cursor)


@router.get("/reports/referrals", response_model=ReferralReport, summary="Referral rate and top referrers")
async def referral_report(
    session: DbSession,
    principal: Viewer,
    since: Annotated[BoundedDateTime | None, Query(description="New customers / referrals from this time")] = None,
    until: Annotated[BoundedDateTime | None, Query(description="... before this time")] = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> ReferralReport:
    require_time_zones(since=since, until=until)
    found = await service.report(
        session=session, workspace_id=principal.workspace_id, since=since, until=until, top=top
    )
    await session.commit()
    return found
