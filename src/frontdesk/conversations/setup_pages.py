"""Console: the live chat's setup in Settings: the widget's look and texts, canned replies, macros, invitations.

``/settings/chat`` shows everything; each form posts to its own route and comes back to the page (303), or
shows the page again with the refusal next to the form (422). The inbox's picker and macro menu read JSON from
``/inbox/{id}/canned-replies.json`` and ``/inbox/{id}/macros.json``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from frontdesk.conversations import canned, macros, queries
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.setup_context import back_to_chat_settings, chat_page, saved_or_refused
from frontdesk.conversations.setup_rules_pages import router as rules_router
from frontdesk.conversations.visitors import get_chat_settings, normalize_origin
from frontdesk.conversations.widget_config import WidgetLook, check_avatar_url, preview_agents, widget_config
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, InvalidInput, errors_from_pydantic
from frontdesk.web.console import ConsoleAgent, FormAgent, render
from frontdesk.workspaces.models import Agent, Role

router = APIRouter(include_in_schema=False)
router.include_router(rules_router)
LOOK_FIELDS = ("color", "position", "launcher_text", "launcher_icon", "language", "welcome_message", "offline_message")


@router.get("/settings/chat")
async def chat_settings_page(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    return await chat_page(request, session, user)


def _look_from_form(form: dict[str, str], current: dict[str, Any]) -> WidgetLook:
    """The look in the form, each field missing from it kept as it is (an older form may send only some)."""
    values: dict[str, Any] = {name: form.get(name, current[name]) for name in LOOK_FIELDS}
    if "look" in form:  # the look form always sends this marker: an unticked checkbox sends nothing
        values["show_agents"] = form.get("show_agents") == "on"
    else:
        values["show_agents"] = current["show_agents"]
    return WidgetLook.model_validate(values)


@router.post("/settings/chat")
async def update_chat_settings(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = {key: str(value) for key, value in (await request.form()).items()}
    settings = await get_chat_settings(session=session, workspace_id=user.principal.workspace_id)
    current = {name: getattr(settings, name) for name in (*LOOK_FIELDS, "show_agents")}
    try:
        look = _look_from_form(form, current)
        if "allowed_origins" in form:
            origins = sorted({normalize_origin(line) for line in form["allowed_origins"].splitlines() if line.strip()})
        else:
            origins = settings.allowed_origins
        minutes = settings.auto_resolve_minutes
        if "auto_resolve_minutes" in form:
            typed = form["auto_resolve_minutes"].strip() or "0"
            if not (typed.isascii() and typed.isdigit()) or not 0 <= int(typed) <= 60 * 24 * 30:
                raise InvalidInput("between 0 (never) and 43200 minutes", field="auto_resolve_minutes")
            minutes = int(typed)
    except ValidationError as exc:
        await session.rollback()
        errors = {error["field"]: error["message"] for error in errors_from_pydantic(exc.errors())}
        return await chat_page(request, session, user, look_errors=errors, look_typed=form)
    except DomainError as exc:
        await session.rollback()
        field = exc.errors[0]["field"] if exc.errors else "allowed_origins"
        return await chat_page(request, session, user, look_errors={field: exc.detail}, look_typed=form)
    for name in LOOK_FIELDS:
        setattr(settings, name, getattr(look, name))
    settings.show_agents = look.show_agents
    settings.allowed_origins = origins
    settings.auto_resolve_minutes = minutes
    await session.commit()
    return back_to_chat_settings("#look")


@router.get("/settings/chat/preview")
async def widget_preview(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    """A page with the widget in preview mode showing the unsaved look from the query; framed by /settings/chat.

    An invalid value shows as the saved one, so a half-typed colour never breaks the preview.
    """
    settings = await get_chat_settings(session=session, workspace_id=user.principal.workspace_id)
    await session.commit()
    query = dict(request.query_params)
    current = {name: getattr(settings, name) for name in (*LOOK_FIELDS, "show_agents")}
    look: dict[str, Any] = {}
    for name in LOOK_FIELDS:
        try:
            look[name] = getattr(WidgetLook.model_validate({**current, name: query.get(name, current[name])}), name)
        except ValidationError:
            look[name] = current[name]
    look["show_agents"] = query.get("show_agents", "on" if settings.show_agents else "") == "on"
    # The same object the widget's session answer carries, with the unsaved look in place of the saved one.
    config = await widget_config(session=session, settings=settings)
    config.update({name: look[name] for name in LOOK_FIELDS if name != "welcome_message"})
    config["greeting"] = look["welcome_message"]
    if not look["show_agents"]:
        config["agents"] = []
    elif not config["agents"]:
        config["agents"] = await preview_agents(session=session, workspace_id=settings.workspace_id)
    response = render(
        request,
        "partials/setup_preview.html",
        user=None,
        widget_token=settings.widget_token,
        config_json=json.dumps(config),
        config=config,
    )
    # Framed by the settings page of the same origin only (every other page refuses to be framed).
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'self'"
    )
    return response


@router.get("/widget/try")
async def try_widget(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    """A plain page with this workspace's widget on it, to try the chat from the visitor's side."""
    settings = await get_chat_settings(session=session, workspace_id=user.principal.workspace_id)
    await session.commit()
    return render(request, "pages/widget_try.html", user=None, widget_token=settings.widget_token)


@router.post("/settings/chat/agents/{agent_id}/avatar")
async def set_agent_avatar(request: Request, agent_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await request.form()
    agent = await session.get(Agent, agent_id)
    if agent is None or agent.workspace_id != user.principal.workspace_id:
        raise InvalidInput(f"agent {agent_id} not found", field="agent_id")
    try:
        agent.avatar_url = check_avatar_url(str(form.get("avatar_url", "")))
    except ValueError as exc:
        await session.rollback()
        return await chat_page(request, session, user, agent_errors={agent_id: str(exc)})
    await session.commit()
    return back_to_chat_settings("#agents")


# Canned replies ----------------------------------------------------------------------------------------------
def _canned_form(form: dict[str, str]) -> dict[str, str]:
    return {
        "shortcut": form.get("shortcut", "").strip().lstrip("/").lower(),
        "title": form.get("title", "").strip(),
        "body": form.get("body", "").strip(),
    }


@router.post("/settings/canned-replies")
async def add_canned_reply(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.agent)
    form = _canned_form({key: str(value) for key, value in (await request.form()).items()})

    async def write() -> object:
        data = canned.CannedReplyCreate.model_validate(form)
        return await canned.do_create_canned_reply(session=session, workspace_id=user.principal.workspace_id, data=data)

    return await saved_or_refused(
        request, session, user, write, anchor="#canned", describe=_message, edits_an_item=False,
        shown=lambda reason: {"canned_errors": {0: reason}, "canned_typed": form},
    )  # fmt: skip


@router.post("/settings/canned-replies/{reply_id}")
async def edit_canned_reply(request: Request, reply_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.agent)
    form = _canned_form({key: str(value) for key, value in (await request.form()).items()})

    async def write() -> object:
        data = canned.CannedReplyUpdate.model_validate(form)
        return await canned.do_update_canned_reply(
            session=session, workspace_id=user.principal.workspace_id, reply_id=reply_id, data=data
        )

    return await saved_or_refused(
        request, session, user, write, anchor="#canned", describe=_message, edits_an_item=True,
        shown=lambda reason: {"canned_errors": {reply_id: reason}},
    )  # fmt: skip


@router.post("/settings/canned-replies/{reply_id}/delete")
async def delete_canned_reply(reply_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.agent)
    await canned.do_delete_canned_reply(session=session, workspace_id=user.principal.workspace_id, reply_id=reply_id)
    await session.commit()
    return back_to_chat_settings("#canned")


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = errors_from_pydantic(exc.errors())[0]
        return f"{error['field']}: {error['message']}"
    if isinstance(exc, DomainError):
        return exc.detail
    return str(exc)


# The inbox's picker and macro menu -------------------------------------------------------------------------
@router.get("/inbox/{conversation_id}/canned-replies.json")
async def canned_replies_for_conversation(
    conversation_id: PathId, session: DbSession, user: ConsoleAgent, q: str = ""
) -> Response:
    """``[{"id", "shortcut", "title", "body"}]``: best match for ``q`` first, placeholders filled for this chat."""
    workspace_id = user.principal.workspace_id
    conversation = await queries.get_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    replies = await canned.search_canned_replies(session=session, workspace_id=workspace_id, query=q[:200])
    values = await canned.placeholder_values(session=session, conversation=conversation, agent_name=user.display_name)
    return JSONResponse(
        [
            {
                "id": reply.id,
                "shortcut": reply.shortcut,
                "title": reply.title,
                "body": canned.fill_placeholders(reply.body, values),
            }
            for reply in replies
        ]
    )


@router.get("/inbox/{conversation_id}/macros.json")
async def macros_for_conversation(conversation_id: PathId, session: DbSession, user: ConsoleAgent) -> Response:
    workspace_id = user.principal.workspace_id
    await queries.get_conversation(session=session, workspace_id=workspace_id, conversation_id=conversation_id)
    rows, _ = await macros.list_macros(session=session, workspace_id=workspace_id, limit=200)
    names = await macros.agent_names(session=session, workspace_id=workspace_id)
    ordered = sorted(rows, key=lambda macro: macro.name.lower())
    return JSONResponse([{"id": m.id, "name": m.name, "summary": macros.summary(m.actions, names)} for m in ordered])


@router.post("/inbox/{conversation_id}/macros/{macro_id}")
async def apply_macro(
    request: Request, conversation_id: PathId, macro_id: PathId, session: DbSession, user: FormAgent
) -> Response:
    user.principal.require(Role.agent)
    workspace_id = user.principal.workspace_id
    conversation = await queries.get_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    macro = await macros.get_macro(session=session, workspace_id=workspace_id, macro_id=macro_id)
    outbox = Outbox()
    try:
        await macros.apply_macro(
            session=session,
            conversation=conversation,
            macro=macro,
            agent=await session.get(Agent, user.agent_id),
            actor_name=user.display_name,
            outbox=outbox,
        )
    except DomainError as exc:
        await session.rollback()
        return Response(exc.detail, status_code=exc.status_code, media_type="text/plain")
    except Exception:
        await session.rollback()
        raise
    await session.commit()
    await outbox.publish(request.app.state.broker)
    return Response(status_code=204)
