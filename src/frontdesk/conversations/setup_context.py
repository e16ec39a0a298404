"""What /settings/chat shows: every part of the chat's setup, with the refusals of a form just sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations import canned, invitations, macros, routing
from frontdesk.conversations.models import ChatSettings, ConversationStatus
from frontdesk.conversations.office_hours import DAY_NAMES, DAYS, form_text
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.conversations.widget_config import LANGUAGES, LAUNCHER_ICONS, POSITIONS
from frontdesk.errors import DomainError
from frontdesk.reports.controls import time_zone_names
from frontdesk.web.console import ConsoleUser, render
from frontdesk.workspaces.service import list_agents

# The console's macro form has one field per action type and runs them in this order.
MACRO_FORM_ORDER = ("reply", "note", "tag", "status", "team", "assign")


def macro_form_fields(actions: list[dict[str, Any]]) -> dict[str, str] | None:
    """The macro as the console's form shows it; None when the form cannot (one type twice, another order)."""
    kinds = [action.get("type") for action in actions]
    if len(set(kinds)) != len(kinds) or kinds != [kind for kind in MACRO_FORM_ORDER if kind in kinds]:
        return None
    fields = {kind: "" for kind in MACRO_FORM_ORDER}
    for action in actions:
        kind = str(action["type"])
        fields[kind] = str(action.get(macros.ACTION_FIELD[kind], ""))
    return fields


def macro_actions_from_form(form: dict[str, str]) -> list[dict[str, Any]]:
    """The actions a console form asks for, in ``MACRO_FORM_ORDER``; blank fields are no action."""
    actions: list[dict[str, Any]] = []
    for kind in MACRO_FORM_ORDER:
        value = form.get(kind, "").strip()
        if value:
            actions.append({"type": kind, macros.ACTION_FIELD[kind]: value})
    return actions


def look_of(settings: ChatSettings) -> dict[str, Any]:
    return {
        "color": settings.color,
        "position": settings.position,
        "launcher_text": settings.launcher_text,
        "launcher_icon": settings.launcher_icon,
        "language": settings.language,
        "welcome_message": settings.welcome_message,
        "offline_message": settings.offline_message,
        "show_agents": settings.show_agents,
    }


def preview_query(look: dict[str, Any]) -> str:
    values = {key: value for key, value in look.items() if key != "show_agents"}
    values["show_agents"] = "on" if look.get("show_agents") else ""
    return urlencode(values)


def form_text_of(office_hours: dict[str, Any]) -> dict[str, str]:
    return form_text(office_hours or {})


async def chat_page(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    *,
    look_errors: dict[str, str] | None = None,
    look_typed: dict[str, str] | None = None,
    canned_errors: dict[int, str] | None = None,
    canned_typed: dict[str, str] | None = None,
    macro_errors: dict[int, str] | None = None,
    macro_typed: dict[str, str] | None = None,
    rule_errors: dict[int, str] | None = None,
    rule_typed: dict[str, str] | None = None,
    hours_errors: dict[str, str] | None = None,
    agent_errors: dict[int, str] | None = None,
) -> Response:
    workspace_id = user.principal.workspace_id
    settings = await get_chat_settings(session=session, workspace_id=workspace_id)
    teams = await routing.ensure_default_teams(session=session, workspace_id=workspace_id)
    await session.commit()  # the chat settings and default teams, made on first use
    look = look_of(settings)
    if look_typed:
        look.update({key: value for key, value in look_typed.items() if key in look and key != "show_agents"})
        look["show_agents"] = look_typed.get("show_agents") == "on"
    replies, _ = await canned.list_canned_replies(session=session, workspace_id=workspace_id, limit=200)
    macro_rows, _ = await macros.list_macros(session=session, workspace_id=workspace_id, limit=200)
    names = await macros.agent_names(session=session, workspace_id=workspace_id)
    rule_rows, _ = await invitations.list_rules(session=session, workspace_id=workspace_id, limit=200)
    teams_by_id = {team.id: team for team in teams.values()}
    rules = [await invitations.to_read(session=session, rule=rule, teams=teams_by_id) for rule in rule_rows]
    agents = [agent for agent in await list_agents(session=session, workspace_id=workspace_id) if agent.is_active]
    errors = any((look_errors, canned_errors, macro_errors, rule_errors, hours_errors, agent_errors))
    return render(
        request,
        "pages/settings_chat.html",
        status_code=422 if errors else 200,
        user=user,
        chat=settings,
        look=look,
        look_errors=look_errors or {},
        preview_query=preview_query(look),
        base_url=str(request.base_url).rstrip("/"),
        languages=LANGUAGES,
        icons=LAUNCHER_ICONS,
        positions=POSITIONS,
        canned_replies=sorted(replies, key=lambda reply: reply.shortcut),
        canned_errors=canned_errors or {},
        canned_typed=canned_typed or {},
        placeholders=canned.PLACEHOLDERS,
        macros=[
            (macro, macros.summary(macro.actions, names), macro_form_fields(macro.actions)) for macro in macro_rows
        ],
        macro_errors=macro_errors or {},
        macro_typed=macro_typed or {},
        statuses=[status.value for status in ConversationStatus],
        rules=sorted(rules, key=lambda rule: (rule.priority, rule.id)),
        rule_errors=rule_errors or {},
        rule_typed=rule_typed or {},
        teams=sorted(teams.values(), key=lambda team: team.key),
        team_hours={team.key: form_text_of(team.office_hours) for team in teams.values()},
        hours_errors=hours_errors or {},
        days=[(day, DAY_NAMES[day]) for day in DAYS],
        time_zones=time_zone_names(),
        agents=agents,
        agent_errors=agent_errors or {},
    )


def back_to_chat_settings(anchor: str = "") -> Response:
    return RedirectResponse(f"/settings/chat{anchor}", status_code=303)


async def saved_or_refused(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    write: Callable[[], Awaitable[object]],
    *,
    anchor: str,
    describe: Callable[[Exception], str],
    shown: Callable[[str], dict[str, Any]],
    edits_an_item: bool,
) -> Response:
    """Run one Settings form's ``write`` and commit, then back to its section (``anchor``) of the page. Refused
    input shows the page again, with ``shown(reason)`` (the reason beside that form, what was typed); when the
    form edits an item, another workspace's (or a deleted) item stays a 404."""
    try:
        await write()
    except (ValidationError, DomainError) as exc:
        await session.rollback()
        if edits_an_item and isinstance(exc, DomainError) and exc.status_code == 404:
            raise
        return await chat_page(request, session, user, **shown(describe(exc)))
    await session.commit()
    return back_to_chat_settings(anchor)
