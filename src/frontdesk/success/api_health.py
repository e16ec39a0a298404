"""/api/v1: customer-success settings (discount rate, health weights) and a contact's health score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from frontdesk.deps import Admin, DbSession, PathId, Viewer
from frontdesk.success import settings as success_settings
from frontdesk.success.health import ContactHealth, get_contact_health
from frontdesk.success.settings import SuccessSettingsRead, SuccessSettingsUpdate

router = APIRouter(prefix="/api/v1", tags=["success"])


@router.get(
    "/analytics/success-settings",
    response_model=SuccessSettingsRead,
    summary="Discount rate of lifetime values and the health score's weights",
)
async def read_settings(session: DbSession, principal: Viewer) -> SuccessSettingsRead:
    # A read writes nothing: a workspace that never saved settings gets the defaults, as the Settings page does.
    return await success_settings.peek_success_settings(session=session, workspace_id=principal.workspace_id)


@router.patch(
    "/analytics/success-settings",
    response_model=SuccessSettingsRead,
    summary="Change the discount rate or health weights (a weight of 0 disables a signal, null restores its default)",
)
async def update_settings(data: SuccessSettingsUpdate, session: DbSession, principal: Admin) -> SuccessSettingsRead:
    found = await success_settings.do_update_success_settings(
        session=session, workspace_id=principal.workspace_id, data=data
    )
    read = success_settings.read_model(found)
    await session.commit()
    return read


@router.get(
    "/contacts/{contact_id}/health",
    response_model=ContactHealth,
    summary="A customer's health score, what it is made of, why, and its history",
)
async def contact_health(
    contact_id: PathId,
    session: DbSession,
    principal: Viewer,
    limit: Annotated[int, Query(ge=1, le=1000, description="History entries, newest first")] = 30,
) -> ContactHealth:
    return await get_contact_health(
        session=session, workspace_id=principal.workspace_id, contact_id=contact_id, history_limit=limit
    )
