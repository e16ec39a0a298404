"""API: canned replies, macros, invitation rules (and their report), office hours per team."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from frontdesk.conversations import canned, invitations, macros, queries, routing
from frontdesk.conversations.office_hours import (
    OfficeHoursRead,
    OfficeHoursWrite,
    check_office_hours,
    check_time_zone,
    is_open,
    team_zone,
)
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.schemas import ConversationRead
from frontdesk.db import utcnow
from frontdesk.deps import Admin, Agent, DbSession, PathId, Viewer
from frontdesk.errors import NotFound
from frontdesk.reports.invitations import InvitationReport, invitation_report
from frontdesk.reports.registry import ReportQuery, controls_for, report_query, workspace_time_zone
from frontdesk.workspaces.models import Agent as AgentAccount

router = APIRouter(prefix="/api/v1")
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]
TeamKey = Annotated[str, Path(max_length=40, description="sales, support or success")]


# Canned replies ---------------------------------------------------------------------------------------------
@router.get("/canned-replies", response_model=canned.CannedReplyPage, tags=["canned replies"], summary="List")
async def list_canned_replies(
    session: DbSession, principal: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> canned.CannedReplyPage:
    rows, next_cursor = await canned.list_canned_replies(
        session=session, workspace_id=principal.workspace_id, limit=limit, cursor=cursor
    )
    return canned.CannedReplyPage(
        items=[canned.CannedReplyRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post("/canned-replies", response_model=canned.CannedReplyRead, status_code=201, tags=["canned replies"])
async def create_canned_reply(
    data: canned.CannedReplyCreate, session: DbSession, principal: Agent
) -> canned.CannedReplyRead:
    reply = await canned.do_create_canned_reply(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return canned.CannedReplyRead.model_validate(reply)


@router.get("/canned-replies/{reply_id}", response_model=canned.CannedReplyRead, tags=["canned replies"])
async def read_canned_reply(reply_id: PathId, session: DbSession, principal: Viewer) -> canned.CannedReplyRead:
    reply = await canned.get_canned_reply(session=session, workspace_id=principal.workspace_id, reply_id=reply_id)
    return canned.CannedReplyRead.model_validate(reply)


@router.patch("/canned-replies/{reply_id}", response_model=canned.CannedReplyRead, tags=["canned replies"])
async def update_canned_reply(
    reply_id: PathId, data: canned.CannedReplyUpdate, session: DbSession, principal: Agent
) -> canned.CannedReplyRead:
    reply = await canned.do_update_canned_reply(
        session=session, workspace_id=principal.workspace_id, reply_id=reply_id, data=data
    )
    await session.commit()
    await session.refresh(reply)
    return canned.CannedReplyRead.model_validate(reply)


@router.delete("/canned-replies/{reply_id}", status_code=204, tags=["canned replies"])
async def delete_canned_reply(reply_id: PathId, session: DbSession, principal: Agent) -> Response:
    await canned.do_delete_canned_reply(session=session, workspace_id=principal.workspace_id, reply_id=reply_id)
    await session.commit()
    return Response(status_code=204)


# Macros ---------------------------------------------------------------------------------------------------
@router.get("/macros", response_model=macros.MacroPage, tags=["macros"], summary="List macros")
async def list_macros(
    session: DbSession, principal: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> macros.MacroPage:
    rows, next_cursor = await macros.list_macros(
        session=session, workspace_id=principal.workspace_id, limit=limit, cursor=cursor
    )
    return macros.MacroPage(items=[macros.to_read(row) for row in rows], next_cursor=next_cursor)


@router.post("/macros", response_model=macros.MacroRead, status_code=201, tags=["macros"])
async def create_macro(data: macros.MacroCreate, session: DbSession, principal: Agent) -> macros.MacroRead:
    macro = await macros.do_create_macro(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return macros.to_read(macro)


@router.get("/macros/{macro_id}", response_model=macros.MacroRead, tags=["macros"])
async def read_macro(macro_id: PathId, session: DbSession, principal: Viewer) -> macros.MacroRead:
    return macros.to_read(
        await macros.get_macro(session=session, workspace_id=principal.workspace_id, macro_id=macro_id)
    )


@router.patch("/macros/{macro_id}", response_model=macros.MacroRead, tags=["macros"])
async def update_macro(
    macro_id: PathId, data: macros.MacroUpdate, session: DbSession, principal: Agent
) -> macros.MacroRead:
    macro = await macros.do_update_macro(
        session=session, workspace_id=principal.workspace_id, macro_id=macro_id, data=data
    )
    await session.commit()
    await session.refresh(macro)
    return macros.to_read(macro)


@router.delete("/macros/{macro_id}", status_code=204, tags=["macros"])
async def delete_macro(macro_id: PathId, session: DbSession, principal: Agent) -> Response:
    await macros.do_delete_macro(session=session, workspace_id=principal.workspace_id, macro_id=macro_id)
    await session.commit()
    return Response(status_code=204)


@router.post(
    "/conversations/{conversation_id}/macros/{macro_id}",
    response_model=ConversationRead,
    tags=["macros"],
    summary="Apply a macro to a conversation",
    description='All its actions or none. "assign me" needs an agent: with an API key it is a 422.',
)
async def apply_macro(
    conversation_id: PathId, macro_id: PathId, request: Request, session: DbSession, principal: Agent
) -> ConversationRead:
    workspace_id = principal.workspace_id
    conversation = await queries.get_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    macro = await macros.get_macro(session=session, workspace_id=workspace_id, macro_id=macro_id)
    agent = await session.get(AgentAccount, principal.agent_id) if principal.agent_id else None
    outbox = Outbox()
    try:
        await macros.apply_macro(
            session=session,
            conversation=conversation,
            macro=macro,
            agent=agent,
            actor_name=principal.label.split(" ", 1)[-1],
            outbox=outbox,
        )
    except Exception:
        await session.rollback()
        raise
    await session.commit()
    await outbox.publish(request.app.state.broker)
    return await queries.to_read(session=session, conversation=conversation)


# Invitation rules -----------------------------------------------------------------------------------------
@router.get("/invitation-rules", response_model=invitations.InvitationRulePage, tags=["proactive chat"])
async def list_invitation_rules(
    session: DbSession, principal: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> invitations.InvitationRulePage:
    rows, next_cursor = await invitations.list_rules(
        session=session, workspace_id=principal.workspace_id, limit=limit, cursor=cursor
    )
    teams = {
        team.id: team
        for team in (await routing.list_teams(session=session, workspace_id=principal.workspace_id)).values()
    }
    items = [await invitations.to_read(session=session, rule=row, teams=teams) for row in rows]
    return invitations.InvitationRulePage(items=items, next_cursor=next_cursor)


@router.post(
    "/invitation-rules", response_model=invitations.InvitationRuleRead, status_code=201, tags=["proactive chat"]
)
async def create_invitation_rule(
    data: invitations.InvitationRuleCreate, session: DbSession, principal: Admin
) -> invitations.InvitationRuleRead:
    rule = await invitations.do_create_rule(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return await invitations.to_read(session=session, rule=rule)


@router.get("/invitation-rules/{rule_id}", response_model=invitations.InvitationRuleRead, tags=["proactive chat"])
async def read_invitation_rule(
    rule_id: PathId, session: DbSession, principal: Viewer
) -> invitations.InvitationRuleRead:
    rule = await invitations.get_rule(session=session, workspace_id=principal.workspace_id, rule_id=rule_id)
    return await invitations.to_read(session=session, rule=rule)


@router.patch("/invitation-rules/{rule_id}", response_model=invitations.InvitationRuleRead, tags=["proactive chat"])
async def update_invitation_rule(
    rule_id: PathId, data: invitations.InvitationRuleUpdate, session: DbSession, principal: Admin
) -> invitations.InvitationRuleRead:
    rule = await invitations.do_update_rule(
        session=session, workspace_id=principal.workspace_id, rule_id=rule_id, data=data
    )
    await session.commit()
    await session.refresh(rule)
    return await invitations.to_read(session=session, rule=rule)


@router.delete("/invitation-rules/{rule_id}", status_code=204, tags=["proactive chat"])
async def delete_invitation_rule(rule_id: PathId, session: DbSession, principal: Admin) -> Response:
    await invitations.do_delete_rule(session=session, workspace_id=principal.workspace_id, rule_id=rule_id)
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/reports/invitations",
    response_model=InvitationReport,
    tags=["reports"],
    summary="Proactive chat: invitations shown, answered, and orders that followed within 7 days, per rule",
)
async def invitations_report(
    session: DbSession, principal: Viewer, query: Annotated[ReportQuery, Depends(report_query)]
) -> InvitationReport:
    controls = await controls_for(session=session, workspace_id=principal.workspace_id, query=query)
    return await invitation_report(
        session=session, workspace_id=principal.workspace_id, since=controls.since, until=controls.until
    )


# Office hours ---------------------------------------------------------------------------------------------
async def _office_hours_read(session: DbSession, workspace_id: int, key: str) -> OfficeHoursRead:
    teams = await routing.ensure_default_teams(session=session, workspace_id=workspace_id)
    team = teams.get(key.strip().lower())
    if team is None:
        raise NotFound(f"no team {key!r}; teams are {', '.join(sorted(teams))}")
    zone = team_zone(team, await workspace_time_zone(session, workspace_id))
    return OfficeHoursRead(
        team=team.key,
        office_hours=team.office_hours or {},
        time_zone=team.time_zone,
        open_now=is_open(team.office_hours or {}, zone, utcnow()),
    )


@router.get("/teams/{key}/office-hours", response_model=OfficeHoursRead, tags=["conversations"])
async def read_office_hours(key: TeamKey, session: DbSession, principal: Viewer) -> OfficeHoursRead:
    read = await _office_hours_read(session, principal.workspace_id, key)
    await session.commit()  # the default teams, made on first use
    return read


@router.put(
    "/teams/{key}/office-hours",
    response_model=OfficeHoursRead,
    tags=["conversations"],
    summary="Set a team's office hours (outside them the widget shows the offline form)",
)
async def write_office_hours(
    key: TeamKey, data: OfficeHoursWrite, session: DbSession, principal: Admin
) -> OfficeHoursRead:
    hours = check_office_hours(data.office_hours)
    zone = check_time_zone(data.time_zone)
    teams = await routing.ensure_default_teams(session=session, workspace_id=principal.workspace_id)
    team = teams.get(key.strip().lower())
    if team is None:
        raise NotFound(f"no team {key!r}; teams are {', '.join(sorted(teams))}")
    team.office_hours = hours
    team.time_zone = zone
    await session.commit()
    return await _office_hours_read(session, principal.workspace_id, key)
