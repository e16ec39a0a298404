"""Console forms of /settings/chat for macros, invitation rules and office hours; the invitations report page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from frontdesk.conversations import invitations, macros, routing
from frontdesk.conversations.office_hours import check_time_zone, parse_form
from frontdesk.conversations.setup_context import (
    back_to_chat_settings,
    chat_page,
    macro_actions_from_form,
    saved_or_refused,
)
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.inputs import form_date
from frontdesk.reports.controls import Granularity
from frontdesk.reports.invitations import invitation_report
from frontdesk.reports.registry import ReportQuery, controls_for
from frontdesk.web.console import ConsoleAgent, FormAgent, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = errors_from_pydantic(exc.errors())[0]
        return f"{error['field']}: {error['message']}"
    assert isinstance(exc, DomainError)
    field = exc.errors[0]["field"] if exc.errors else None
    return f"{field}: {exc.detail}" if field else exc.detail


async def _form(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


# Macros -----------------------------------------------------------------------------------------------------
@router.post("/settings/macros")
async def add_macro(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.agent)
    form = await _form(request)

    async def write() -> object:
        values = {"name": form.get("name", ""), "actions": macro_actions_from_form(form)}
        data = macros.MacroCreate.model_validate(values)
        return await macros.do_create_macro(session=session, workspace_id=user.principal.workspace_id, data=data)

    return await saved_or_refused(
        request, session, user, write, anchor="#macros", describe=_message, edits_an_item=False,
        shown=lambda reason: {"macro_errors": {0: reason}, "macro_typed": form},
    )  # fmt: skip


@router.post("/settings/macros/{macro_id}")
async def edit_macro(request: Request, macro_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.agent)
    form = await _form(request)

    async def write() -> object:
        changes = {"name": form.get("name", ""), "actions": macro_actions_from_form(form)}
        data = macros.MacroUpdate.model_validate(changes)
        return await macros.do_update_macro(
            session=session, workspace_id=user.principal.workspace_id, macro_id=macro_id, data=data
        )

    return await saved_or_refused(
        request, session, user, write, anchor="#macros", describe=_message, edits_an_item=True,
        shown=lambda reason: {"macro_errors": {macro_id: reason}},
    )  # fmt: skip


@router.post("/settings/macros/{macro_id}/delete")
async def delete_macro(macro_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.agent)
    await macros.do_delete_macro(session=session, workspace_id=user.principal.workspace_id, macro_id=macro_id)
    await session.commit()
    return back_to_chat_settings("#macros")


# Invitation rules -------------------------------------------------------------------------------------------
def _rule_values(form: dict[str, str]) -> dict[str, Any]:
    seconds = form.get("min_seconds_on_page", "").strip()
    priority = form.get("priority", "").strip()
    return {
        "name": form.get("name", "").strip(),
        "enabled": form.get("enabled") == "on",
        "url_pattern": form.get("url_pattern", "").strip() or None,
        "min_seconds_on_page": seconds or None,
        "returning_only": form.get("returning_only") == "on",
        "segment_rule": form.get("segment_rule", "").strip() or None,
        "team": form.get("team", "").strip() or None,
        "message": form.get("message", "").strip(),
        "priority": priority or 100,
    }


@router.post("/settings/invitation-rules")
async def add_invitation_rule(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await _form(request)

    async def write() -> object:
        data = invitations.InvitationRuleCreate.model_validate(_rule_values(form))
        return await invitations.do_create_rule(session=session, workspace_id=user.principal.workspace_id, data=data)

    return await saved_or_refused(
        request, session, user, write, anchor="#invitations", describe=_message, edits_an_item=False,
        shown=lambda reason: {"rule_errors": {0: reason}, "rule_typed": form},
    )  # fmt: skip


@router.post("/settings/invitation-rules/{rule_id}")
async def edit_invitation_rule(request: Request, rule_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await _form(request)

    async def write() -> object:
        data = invitations.InvitationRuleUpdate.model_validate(_rule_values(form))
        return await invitations.do_update_rule(
            session=session, workspace_id=user.principal.workspace_id, rule_id=rule_id, data=data
        )

    return await saved_or_refused(
        request, session, user, write, anchor="#invitations", describe=_message, edits_an_item=True,
        shown=lambda reason: {"rule_errors": {rule_id: reason}},
    )  # fmt: skip


@router.post("/settings/invitation-rules/{rule_id}/delete")
async def delete_invitation_rule(rule_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    await invitations.do_delete_rule(session=session, workspace_id=user.principal.workspace_id, rule_id=rule_id)
    await session.commit()
    return back_to_chat_settings("#invitations")


# Office hours -----------------------------------------------------------------------------------------------
@router.post("/settings/teams/{key}/office-hours")
async def set_office_hours(request: Request, key: str, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await _form(request)
    teams = await routing.ensure_default_teams(session=session, workspace_id=user.principal.workspace_id)
    team = teams.get(key[:40].strip().lower())
    if team is None:
        return Response(f"no team {key[:40]!r}", status_code=404, media_type="text/plain")
    team_key = team.key  # read before a rollback expires the row
    try:
        hours = parse_form(form)
        zone = check_time_zone(form.get("time_zone"))
    except DomainError as exc:
        await session.rollback()
        return await chat_page(request, session, user, hours_errors={team_key: _message(exc)})
    team.office_hours = hours
    team.time_zone = zone
    await session.commit()
    return back_to_chat_settings(f"#hours-{team.key}")


# The report -------------------------------------------------------------------------------------------------
@router.get("/reports/invitations")
async def invitations_report_page(
    request: Request, session: DbSession, user: ConsoleAgent, start: str = "", end: str = ""
) -> Response:
    """Invitations shown, answered and the orders that followed, per rule: the last 30 days unless chosen."""
    try:
        first_day, last_day = form_date(start, field="start"), form_date(end, field="end")
        query = ReportQuery(first_day, last_day, Granularity.day, None, None)
        controls = await controls_for(session=session, workspace_id=user.principal.workspace_id, query=query)
    except DomainError as exc:
        return Response(exc.detail, status_code=422, media_type="text/plain")
    if first_day is None:  # the last 30 days by default: invitations are a recent, fast-moving figure
        month = ReportQuery(controls.last_day - timedelta(days=29), controls.last_day, Granularity.day, None, None)
        controls = await controls_for(session=session, workspace_id=user.principal.workspace_id, query=month)
    report = await invitation_report(
        session=session, workspace_id=user.principal.workspace_id, since=controls.since, until=controls.until
    )
    return render(
        request,
        "pages/setup_invitations_report.html",
        user=user,
        report=report,
        first_day=controls.first_day,
        last_day=controls.last_day,
    )
