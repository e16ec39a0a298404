"""Console: the live inbox, one page. The list, the open conversation and its context come as fragments that
console.js swaps in (HTMX requests); the same URLs render the whole page for a reload or a shared link."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from frontdesk.contacts.service import get_contact
from frontdesk.conversations import inbox_reads, queries, routing, service
from frontdesk.conversations.actions import post_agent_message
from frontdesk.conversations.attachments import agent_message_views
from frontdesk.conversations.inbox_context import customer_view, visit_view
from frontdesk.conversations.inbox_time import agent_time_zone, localtime, waited
from frontdesk.conversations.models import CannedReply, Message, MessageKind
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.schemas import AgentMessageCreate, AgentMessageRead
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.inputs import AfterSeq, parse_id
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, render, templates
from frontdesk.workspaces.models import Agent, Role
from frontdesk.workspaces.service import list_agents

router = APIRouter(include_in_schema=False)
VIEWS = {"mine", "unassigned", "all"}
STATUSES = ("open", "pending", "snoozed", "resolved")
MAX_QUERY = 200
templates.env.filters["localtime"] = localtime
templates.env.filters["waited"] = waited


def _filters(user: ConsoleUser, view: str, status: str, team: str, q: str) -> queries.InboxFilters:
    return queries.InboxFilters(
        status=status if status in STATUSES else "open",
        assignee_id=user.agent_id if view == "mine" else None,
        unassigned=view == "unassigned",
        team=team or None,
        q=q.strip()[:MAX_QUERY] or None,
        order="waiting",
    )


async def _inbox_context(
    session: DbSession, user: ConsoleUser, view: str, status: str, team: str, q: str = ""
) -> dict[str, Any]:
    workspace_id = user.principal.workspace_id
    rows, _ = await queries.list_conversations(
        session=session, workspace_id=workspace_id, filters=_filters(user, view, status, team, q), limit=100
    )
    teams = await routing.ensure_default_teams(session=session, workspace_id=workspace_id)
    agent = await session.get(Agent, user.agent_id)
    return {
        "conversations": [await queries.to_read(session=session, conversation=row) for row in rows],
        "query": {
            "view": view if view in VIEWS else "all",
            "status": status if status in STATUSES else "open",
            "team": team,
            "q": q.strip()[:MAX_QUERY],
        },
        "teams": sorted(teams.values(), key=lambda t: t.key),
        "statuses": STATUSES,
        "unread": await inbox_reads.unread_counts(session=session, workspace_id=workspace_id, agent_id=user.agent_id),
        "zone": await agent_time_zone(session=session, agent_id=user.agent_id),
        "notify_desktop": agent.notify_desktop if agent else False,
        "notify_sound": agent.notify_sound if agent else False,
    }


async def message_views(session: DbSession, messages: list[Message]) -> list[AgentMessageRead]:
    return await agent_message_views(session=session, messages=messages)


async def _conversation_context(
    request: Request, session: DbSession, user: ConsoleUser, conversation_id: int
) -> dict[str, Any]:
    workspace_id = user.principal.workspace_id
    conversation = await queries.get_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    # Opening a conversation reads it: its visitor lines stop counting as unread for this agent.
    await inbox_reads.mark_read(
        session=session, conversation=conversation, agent_id=user.agent_id, seq=conversation.last_seq
    )
    await session.commit()
    contact = (
        await get_contact(session=session, workspace_id=workspace_id, contact_id=conversation.contact_id)
        if conversation.contact_id
        else None
    )
    customer = (
        await customer_view(
            session=session, workspace_id=workspace_id, contact_id=contact.id, conversation_id=conversation.id
        )
        if contact is not None
        else None
    )
    canned = (await session.scalars(select(CannedReply).where(CannedReply.workspace_id == workspace_id))).all()
    messages = await queries.list_messages(session=session, conversation=conversation, include_notes=True)
    return {
        "conversation": await queries.to_read(session=session, conversation=conversation),
        "messages": await message_views(session, messages),
        "contact": contact,
        "customer": customer,
        "visit": visit_view(conversation.context),
        "past_conversations": customer.past_conversations if customer else [],
        "agents": [a for a in await list_agents(session=session, workspace_id=workspace_id) if a.is_active],
        "presence": await routing.presence_by_agent(session=session, workspace_id=workspace_id),
        "canned_replies": {reply.shortcut: reply.body for reply in canned},
        "mail_configured": bool(request.app.state.settings.smtp_url),
    }


@router.get("/inbox")
async def inbox(
    request: Request,
    session: DbSession,
    user: ConsoleAgent,
    view: str = "all",
    status: str = "open",
    team: str = "",
    q: str = "",
) -> Any:
    context = await _inbox_context(session, user, view, status, team, q)
    if request.headers.get("HX-Request"):
        return render(request, "partials/conversation_list.html", user=user, selected=None, **context)
    return render(request, "pages/inbox.html", user=user, selected=None, **context)


@router.get("/inbox/unread.json")
async def unread(session: DbSession, user: ConsoleAgent) -> JSONResponse:
    """The agent's unread counts, per conversation and per view: the console refreshes its badges from it."""
    counts = await inbox_reads.unread_counts(
        session=session, workspace_id=user.principal.workspace_id, agent_id=user.agent_id
    )
    return JSONResponse(counts.as_json(), headers={"Cache-Control": "no-store"})


@router.get("/inbox/{conversation_id}")
async def conversation_page(
    request: Request,
    conversation_id: PathId,
    session: DbSession,
    user: ConsoleAgent,
    view: str = "all",
    status: str = "",
    team: str = "",
    q: str = "",
) -> Any:
    selected = await _conversation_context(request, session, user, conversation_id)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "conversation":
        zone = await agent_time_zone(session=session, agent_id=user.agent_id)
        teams = await routing.ensure_default_teams(session=session, workspace_id=user.principal.workspace_id)
        return render(
            request,
            "partials/conversation.html",
            user=user,
            selected=selected,
            zone=zone,
            teams=sorted(teams.values(), key=lambda t: t.key),
        )
    context = await _inbox_context(session, user, view, status or selected["conversation"].status, team, q)
    return render(request, "pages/inbox.html", user=user, selected=selected, **context)


@router.post("/inbox/{conversation_id}/read")
async def mark_read(request: Request, conversation_id: PathId, session: DbSession, user: FormAgent) -> Response:
    """The agent has seen the conversation up to ``seq`` (the console sends it while the conversation is open)."""
    form = await request.form()
    raw = str(form.get("seq", "")).strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return JSONResponse({"field": "seq", "message": "seq must be a whole number"}, status_code=422)
    conversation = await queries.get_conversation(
        session=session, workspace_id=user.principal.workspace_id, conversation_id=conversation_id
    )
    await inbox_reads.mark_read(session=session, conversation=conversation, agent_id=user.agent_id, seq=int(raw))
    await session.commit()
    return Response(status_code=204)


@router.get("/inbox/{conversation_id}/messages")
async def message_rows(
    request: Request, conversation_id: PathId, session: DbSession, user: ConsoleAgent, after_seq: AfterSeq = 0
) -> Any:
    conversation = await queries.get_conversation(
        session=session, workspace_id=user.principal.workspace_id, conversation_id=conversation_id
    )
    messages = await queries.list_messages(
        session=session, conversation=conversation, after_seq=max(after_seq, 0), include_notes=True
    )
    zone = await agent_time_zone(session=session, agent_id=user.agent_id)
    return render(
        request, "partials/messages.html", user=user, messages=await message_views(session, messages), zone=zone
    )


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
    zone = await agent_time_zone(session=session, agent_id=user.agent_id)
    return render(
        request, "partials/messages.html", user=user, messages=await message_views(session, [message]), zone=zone
    )


@router.post("/inbox/{conversation_id}/update")
async def update_conversation(
    request: Request, conversation_id: PathId, session: DbSession, user: FormAgent
) -> Response:
    """Status, assignee, team. From the live page (HTMX) the answer is the conversation as JSON, which the page
    shows at once (the other consoles hear the same through the socket); without script, the page again."""
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
    conversation = await queries.get_conversation(
        session=session, workspace_id=user.principal.workspace_id, conversation_id=conversation_id
    )
    outbox = Outbox()
    try:
        await service.do_change_conversation(
            session=session, conversation=conversation, outbox=outbox, changes=changes, actor_name=user.display_name
        )
    except (DomainError, ValueError) as exc:
        await session.rollback()
        return Response(getattr(exc, "detail", str(exc)), status_code=422)
    await session.commit()
    await outbox.publish(request.app.state.broker)
    if request.headers.get("HX-Request"):
        read = await queries.to_read(session=session, conversation=conversation)
        return JSONResponse({"type": "conversation", "conversation": read.model_dump(mode="json")})
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)
