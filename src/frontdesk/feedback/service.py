"""A workspace's feedback settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import insert_missing
from frontdesk.feedback.models import FeedbackSettings
from frontdesk.feedback.schemas import FeedbackSettingsUpdate


async def get_feedback_settings(*, session: AsyncSession, workspace_id: int) -> FeedbackSettings:
    found = await session.get(FeedbackSettings, workspace_id)
    if found is None:
        await insert_missing(session, FeedbackSettings, [{"workspace_id": workspace_id}])
        found = await session.get(FeedbackSettings, workspace_id)
    assert found is not None
    return found


async def do_update_feedback_settings(
    *, session: AsyncSession, workspace_id: int, data: FeedbackSettingsUpdate
) -> FeedbackSettings:
    found = await get_feedback_settings(session=session, workspace_id=workspace_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(found, name, str(value) if name == "referral_landing_url" and value is not None else value)
    await session.flush()
    return found
