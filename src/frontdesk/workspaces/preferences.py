"""Console: an agent's own preferences (time zone, desktop notifications, sound). Every role may set its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.deps import DbSession
from frontdesk.errors import DomainError, NotFound
from frontdesk.reports.controls import time_zone_names, zone_of
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, render
from frontdesk.workspaces.models import Agent, Workspace

router = APIRouter(include_in_schema=False)


async def _agent(session: AsyncSession, user: ConsoleUser) -> Agent:
    agent = await session.get(Agent, user.agent_id)
    if agent is None or agent.workspace_id != user.principal.workspace_id:
        raise NotFound("agent not found")
    return agent


async def do_update_preferences(
    *, session: AsyncSession, agent: Agent, time_zone: str, notify_desktop: bool, notify_sound: bool
) -> Agent:
    """``time_zone`` is an IANA name, or empty for the workspace's; ``InvalidInput`` on ``time_zone`` otherwise."""
    zone = time_zone.strip()
    agent.time_zone = zone_of(zone, field="time_zone").key if zone else None
    agent.notify_desktop = notify_desktop
    agent.notify_sound = notify_sound
    await session.flush()
    return agent


async def _page(
    request: Request, session: AsyncSession, user: ConsoleUser, *, error: str | None = None, typed: str | None = None
) -> Any:
    agent = await _agent(session, user)
    workspace = await session.get(Workspace, agent.workspace_id)
    return render(
        request,
        "pages/preferences.html",
        status_code=422 if error else 200,
        user=user,
        agent=agent,
        workspace_zone=workspace.time_zone if workspace else "UTC",
        time_zones=time_zone_names(),
        zone_error=error,
        zone_typed=typed,
        saved=request.query_params.get("saved") == "1",
    )


@router.get("/settings/profile")
async def preferences_page(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    return await _page(request, session, user)


@router.post("/settings/profile")
async def update_preferences(
    request: Request,
    session: DbSession,
    user: FormAgent,
    time_zone: Annotated[str, Form(max_length=200)] = "",
    notify_desktop: Annotated[str, Form(max_length=10)] = "",
    notify_sound: Annotated[str, Form(max_length=10)] = "",
) -> Any:
    agent = await _agent(session, user)
    try:
        await do_update_preferences(
            session=session,
            agent=agent,
            time_zone=time_zone,
            notify_desktop=notify_desktop == "on",
            notify_sound=notify_sound == "on",
        )
    except DomainError as exc:
        await session.rollback()
        return await _page(request, session, user, error=exc.detail, typed=time_zone)
    await session.commit()
    return RedirectResponse("/settings/profile?saved=1", status_code=303)
