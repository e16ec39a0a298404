"""Console: the live inbox."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from frontdesk.contacts.service import get_contact
from frontdesk.conversations import routing, service
from frontdesk.conversations.actions import post_agent_message
from frontdesk.conversations.models import CannedReply, MessageKind
from frontdesk.conversations.schemas import AgentMessageCreate
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.inputs import AfterSeq, parse_id
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, render
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import list_agents

router = APIRouter(include_in_schema=False)
VIEWS = {"mine", "unassigned", "all"}
STATUSES = ("open", "pending", "snoozed", "resolved")


def _filters(user: ConsoleUser, view: str, status: str, team: str) -> service.InboxFilters:
    return service.InboxFilters(
        status=status if status in STATUSES else "open",
        assignee_id=user.agent_id if view == "mine" else None,
        unassigned=view == "unassigned",
        team=team or None,
    )


async def _inbox_context(session: DbSession, user: ConsoleUser, view: str, status: str, team: str) -> dict[str, Any]:
    workspace_id = user.principal.workspace_id
    rows, _ = await service.list_conversations(
        session=session, workspace_id=workspace_id, filters=_filters(user, view, status, team), limit=100
    )
    teams = await routing.ensure_default_teams(session=session, workspace_id=workspace_id)
    return {
        "conversations": [await service.to_read(session=session, conversation=row) for row in rows],
        "query": {
            "view": view if view in VIEWS else "all",
            "status": status if status in STATUSES else "open",
            "team": team,
        },
        "teams": sorted(teams.values(), key=lambda t: t.key),
        "statuses": STATUSES,
    }


async def _conversation_context(
    request: Request, session: DbSession, user: ConsoleUser, conversation_id: int
) -> dict[str, Any]:
    workspace_id = user.principal.workspace_id
    conversation = await service.get_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    contact = (
        await get_contact(session=session, workspace_id=workspace_id, contact_id=conversation.contact_id)
        if conversation.contact_id
        else None
    )
    past = []
    if contact is not None:
        rows, _ = await service.list_conversations(
            session=session, workspace_id=workspace_id, filters=service.InboxFilters(contact_id=contact.id), limit=10
        )
        past = [row for row in rows if row.id != conversation.id]
    canned = (await session.scalars(select(CannedReply).where(CannedReply.workspace_id == workspace_id))).all()
    return {
        "conversation": await service.to_read(session=session, conversation=conversation),
        "messages": await service.list_messages(session=session, conversation=conversation, include_notes=True),
        "contact": contact,
        "past_conversations": past,
        "agents": [a for a in await list_agents(session=session, workspace_id=workspace_id) if a.is_active],
        "presence": await routing.presence_by_agent(session=session, workspace_id=workspace_id),
        "canned_replies": {reply.shortcut: reply.body for reply in canned},
        "mail_configured": bool(request.app.state.settings.smtp_url),
    }


@router.get("/inbox")
async def inbox(
    request: Request, session: DbSession, user: ConsoleAgent, view: str = "all", status: str = "open", team: str = ""
) -> Any:
    context = await _inbox_context(session, user, view, status, team)
    if request.headers.get("HX-Request"):
        return render(request, "partials/conversation_list.html", user=user, **context)
    return render(request, "pages/inbox.html", user=user, selected=None, **context)


@router.get("/inbox/{conversation_id}")
async def conversation_page(
    request: Request,
    conversation_id: PathId,
    session: DbSession,
    user: ConsoleAgent,
    view: str = "all",
    status: str = "",
    team: str = "",
) -> Any:
    selected = await _conversation_context(request, session, user, conversation_id)
    context = await _inbox_context(session, user, view, status or selected["conversation"].status, team)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "conversation":
        return render(request, "partials/conversation.html", user=user, selected=selected, **context)
    return render(request, "pages/inbox.html", user=user, selected=selected, **context)


@router.get("/inbox/{conversation_id}/messages")
async def message_rows(
    request: Request, conversation_id: PathId, session: DbSession, user: ConsoleAgent, after_seq: AfterSeq = 0
) -> Any:
    conversation = await service.get_conversation(
        session=session, workspace_id=user.principal.workspace_id, conversation_id=conversation_id
    )
    messages = await service.list_messages(
        session=session, conversation=conversation, after_seq=max(after_seq, 0), include_notes=True
    )
    return render(request, "partials/messages.html", user=user, messages=messages)


@router.post("/inbox/{conversation_id}/messages")
async def send_message(request: Request, conversation_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.agent)
    form = await request.form()
    try:
        data = AgentMessageCreate(
            body=str(form.get("body", "")).strip(),
            kind=MessageKind.note if form.get("kind") == "note" else MessageKind.message,
            client_id=str(form.get("client_id") or uuid.uuid4().hex),
        )
    except ValidationError as exc:
        return Response(errors_from_pydantic(exc.errors())[0]["message"], status_code=422)
    message, _, outbox = await post_agent_message(
        session=session,
        workspace_id=user.principal.workspace_id,
        conversation_id=conversation_id,
        agent_id=user.agent_id,
        data=data,
    )
    await outbox.publish(request.app.state.broker)
    return render(request, "partials/messages.html", user=user, messages=[message])


@router.post("/inbox/{conversation_id}/update")
async def update_conversation(
    request: Request, conversation_id: PathId, session: DbSession, user: FormAgent
) -> Response:
    user.principal.require(Role.agent)
    form = await request.form()
    changes: dict[str, Any] = {}
    if form.get("status"):
        changes["status"] = str(form["status"])
    if "assignee_id" in form:
        raw = str(form["assignee_id"]).strip()
        changes["assignee_id"] = parse_id(raw)
    if form.get("team"):
        changes["team"] = str(form["team"])
    conversation = await service.get_conversation(
        session=session, workspace_id=user.principal.workspace_id, conversation_id=conversation_id
    )
    outbox = service.Outbox()
    try:
        await service.do_change_conversation(
            session=session, conversation=conversation, outbox=outbox, changes=changes, actor_name=user.display_name
        )
    except (DomainError, ValueError) as exc:
        await session.rollback()
        return Response(getattr(exc, "detail", str(exc)), status_code=422)
    await session.commit()
    await outbox.publish(request.app.state.broker)
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)
