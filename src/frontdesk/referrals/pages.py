"""Console: the referral report (rate among new customers, top referrers, recent referrals)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from frontdesk.deps import DbSession
from frontdesk.referrals import service
from frontdesk.web.console import ConsoleAgent, render

router = APIRouter(include_in_schema=False)


@router.get("/referrals")
async def referrals_page(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    workspace_id = user.principal.workspace_id
    report = await service.report(session=session, workspace_id=workspace_id, top=20)
    recent, _ = await service.list_referrals(session=session, workspace_id=workspace_id, limit=50, cursor=None)
    await session.commit()
    return render(request, "pages/referrals.html", user=user, report=report, recent=recent)
