"""/api/v1 feedback settings: complaint thresholds and where referral links lead."""

from __future__ import annotations

from fastapi import APIRouter

from frontdesk.deps import Admin, DbSession, Viewer
from frontdesk.feedback import service
from frontdesk.feedback.schemas import FeedbackSettingsRead, FeedbackSettingsUpdate

router = APIRouter(prefix="/api/v1", tags=["feedback"])


@router.get("/feedback/settings", response_model=FeedbackSettingsRead, summary="Complaint thresholds, referral page")
async def read_settings(session: DbSession, principal: Viewer) -> FeedbackSettingsRead:
    found = await service.get_feedback_settings(session=session, workspace_id=principal.workspace_id)
    await session.commit()
    return FeedbackSettingsRead.model_validate(found)


@router.patch("/feedback/settings", response_model=FeedbackSettingsRead, summary="Change feedback settings")
async def update_settings(data: FeedbackSettingsUpdate, session: DbSession, principal: Admin) -> FeedbackSettingsRead:
    found = await service.do_update_feedback_settings(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return FeedbackSettingsRead.model_validate(found)
