"""Console: the Settings page of a workspace and the forms on it (time zone, agents, API keys, customer
success). Live chat has a page of its own, /settings/chat (conversations/setup_pages.py)."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError

from frontdesk.db import utcnow
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.reports.controls import time_zone_names, zone_of
from frontdesk.success.health_signals import SIGNAL_NAMES, SIGNALS
from frontdesk.success.models import DEFAULT_DISCOUNT_RATE
from frontdesk.success.settings import SuccessSettingsUpdate, do_update_success_settings, peek_success_settings
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.workspaces import scopes, service
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate, AgentUpdate, ApiKeyCreate

router = APIRouter(include_in_schema=False)


async def _settings_page(
    request: Request,
    session: DbSession,
    user: ConsoleUser,
    new_key: str | None = None,
    error: str | None = None,
    agent_error: str | None = None,
    zone_error: str | None = None,
    zone_typed: str | None = None,
    success_errors: dict[str, str] | None = None,
    success_typed: dict[str, str] | None = None,
    editing_agent: int | None = None,
    scopes_typed: list[str] | None = None,
) -> Any:
    workspace_id = user.principal.workspace_id
    api_keys = await service.list_api_keys(session=session, workspace_id=workspace_id)
    now = utcnow()
    success = await peek_success_settings(session=session, workspace_id=workspace_id)
    # What the form shows: what the admin typed after a refusal, the stored values otherwise.
    success_form = success_typed or {
        "discount_rate": _percent(success.discount_rate),
        **{f"weight_{name}": _plain(weight) for name, weight in success.health_weights.items()},
    }
    return render(
        request,
        "pages/settings.html",
        status_code=422 if (error or agent_error or zone_error or success_errors) else 200,
        user=user,
        workspace=await service.get_workspace(session=session, workspace_id=workspace_id),
        agents=await service.list_agents(session=session, workspace_id=workspace_id),
        api_keys=api_keys,
        last_used={key.id: time_ago(key.last_used_at, now) for key in api_keys},
        scope_catalogue=scopes.SCOPES,
        scopes_typed=scopes_typed or [],
        new_key=new_key,
        error=error,
        agent_error=agent_error,
        zone_error=zone_error,
        zone_typed=zone_typed,
        time_zones=time_zone_names(),
        health_signals=SIGNALS,
        success_form=success_form,
        success_errors=success_errors or {},
        editing_agent=editing_agent,
    )


def time_ago(when: datetime | None, now: datetime) -> str:
    """``never``, ``just now``, ``3 minutes ago``, ``2 hours ago``, ``5 days ago``, then the date."""
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if unit == "day" and seconds >= 60 * 86400:
            return f"on {when:%Y-%m-%d}"
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def _plain(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _percent(rate: float) -> str:
    return _plain(rate * 100)


@router.get("/settings")
async def settings_page(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    return await _settings_page(request, session, user)


@router.post("/settings/workspace")
async def update_workspace(
    request: Request, session: DbSession, user: FormAgent, time_zone: Annotated[str, Form(max_length=200)] = ""
) -> Any:
    user.principal.require(Role.admin)
    try:
        zone = zone_of(time_zone.strip(), field="time_zone")
    except DomainError as exc:
        return await _settings_page(request, session, user, zone_error=exc.detail, zone_typed=time_zone)
    await service.do_update_workspace(
        session=session, workspace_id=user.principal.workspace_id, name=None, time_zone=zone, actor=user.principal.label
    )
    await session.commit()
    return redirect_with_notice("/settings", "Time zone saved.")


@router.post("/settings/api-keys")
async def create_api_key(
    request: Request,
    session: DbSession,
    user: FormAgent,
    name: Annotated[str, Form()] = "",
) -> Any:
    """A new key; "All" (ticked by default) gives it every scope; ticking particular scopes limits it to those."""
    user.principal.require(Role.admin)
    form = await request.form()
    chosen = [str(item)[:40] for item in form.getlist("scope")[:50] if item != "all"]
    try:
        data = ApiKeyCreate(name=name, scopes=chosen or None)
    except ValidationError as exc:
        message = "Give the key a name." if any(e["loc"][0] == "name" for e in exc.errors()) else "Unknown scope."
        return await _settings_page(request, session, user, error=message, scopes_typed=chosen)
    _, secret = await service.do_create_api_key(
        session=session, workspace_id=user.principal.workspace_id, data=data, actor=user.principal.label
    )
    await session.commit()
    return await _settings_page(request, session, user, new_key=secret)


@router.post("/settings/api-keys/{api_key_id}/revoke")
async def revoke_api_key(api_key_id: PathId, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.admin)
    # Already gone or never ours: the settings page then shows the keys as they are.
    with contextlib.suppress(DomainError):
        await service.do_revoke_api_key(
            session=session,
            workspace_id=user.principal.workspace_id,
            api_key_id=api_key_id,
            actor=user.principal.label,
        )
    await session.commit()
    return redirect_with_notice("/settings", "API key revoked.")


@router.post("/settings/agents")
async def add_agent(request: Request, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.admin)
    form = await request.form()
    try:
        data = AgentCreate.model_validate(
            {key: str(form.get(key, "")) for key in ("email", "display_name", "password", "role")}
        )
        await service.do_create_agent(session=session, workspace_id=user.principal.workspace_id, data=data)
    except ValidationError as exc:
        errors = errors_from_pydantic(exc.errors())
        message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return await _settings_page(request, session, user, agent_error=message)
    except DomainError as exc:
        await session.rollback()
        return await _settings_page(request, session, user, agent_error=exc.detail)
    await session.commit()
    return redirect_with_notice("/settings", f"{data.display_name} can now sign in as {data.role.value}.")


_DECIMAL = re.compile(r"[+-]?[0-9]{1,12}([.,][0-9]{1,6})?")
SUCCESS_FIELDS = ("discount_rate", *(f"weight_{signal.name}" for signal in SIGNALS))


def _success_update(typed: dict[str, str]) -> SuccessSettingsUpdate | dict[str, str]:
    """The form as an API update (discount rate in percent here, a fraction there), or errors by form field."""
    errors: dict[str, str] = {}
    numbers: dict[str, float] = {}
    for field in SUCCESS_FIELDS:
        # Plain decimals only: float() would also take "1e400", "nan" and digits of other scripts ("١٢").
        written = typed[field].strip()
        if _DECIMAL.fullmatch(written):
            numbers[field] = float(written.replace(",", "."))
        else:
            errors[field] = "must be a number such as 12.5"
    # The fields that are numbers are checked by the API's rules too, so every error shows at once.
    data: dict[str, Any] = {"health_weights": {}}
    if "discount_rate" in numbers:
        data["discount_rate"] = numbers["discount_rate"] / 100
    for signal in SIGNALS:
        if (weight := numbers.get(f"weight_{signal.name}")) is not None:
            data["health_weights"][signal.name] = weight
    try:
        update = SuccessSettingsUpdate.model_validate(data)
    except ValidationError as exc:
        for found in errors_from_pydantic(exc.errors()):
            path = found["field"]
            field = "discount_rate" if path == "discount_rate" else f"weight_{path.removeprefix('health_weights.')}"
            message = found["message"]
            if field == "discount_rate":  # the API's bounds are a fraction; the form speaks percent
                message = "must be between 0 and 100 (%)"
            errors[field if field in SUCCESS_FIELDS else "discount_rate"] = message
    return errors or update


@router.post("/settings/success")
async def update_success_settings(request: Request, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.admin)
    form = await request.form()
    typed = {field: str(form.get(field, ""))[:50] for field in SUCCESS_FIELDS}
    update = _success_update(typed)
    if isinstance(update, dict):
        return await _settings_page(request, session, user, success_errors=update, success_typed=typed)
    try:
        await do_update_success_settings(session=session, workspace_id=user.principal.workspace_id, data=update)
    except DomainError as exc:
        await session.rollback()
        errors = {"weights": exc.detail}
        return await _settings_page(request, session, user, success_errors=errors, success_typed=typed)
    await session.commit()
    return redirect_with_notice("/settings#customer-success", "Customer success settings saved.")


# --- editing what the page adds -----------------------------------------------------------------------------


@router.post("/settings/agents/{agent_id}")
async def update_agent(agent_id: PathId, request: Request, session: DbSession, user: FormAgent) -> Any:
    """An admin renames an agent, changes their role, or sets a new password for them."""
    user.principal.require(Role.admin)
    form = await request.form()
    fields: dict[str, Any] = {key: str(form.get(key, "")) for key in ("display_name", "role")}
    if str(form.get("password", "")):
        fields["password"] = str(form.get("password", ""))
    try:
        data = AgentUpdate.model_validate(fields)
        agent = await service.do_update_agent(
            session=session, workspace_id=user.principal.workspace_id, agent_id=agent_id, data=data
        )
    except ValidationError as exc:
        errors = errors_from_pydantic(exc.errors())
        message = "; ".join(f"{e['field'].replace('_', ' ')}: {e['message']}" for e in errors)
        return await _settings_page(request, session, user, agent_error=message, editing_agent=agent_id)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        await session.rollback()
        return await _settings_page(request, session, user, agent_error=exc.detail, editing_agent=agent_id)
    await session.commit()
    return redirect_with_notice("/settings#agents", f"{agent.display_name} saved.")


@router.post("/settings/agents/{agent_id}/active")
async def set_agent_active(
    agent_id: PathId, request: Request, session: DbSession, user: FormAgent, active: Annotated[str, Form()] = ""
) -> Any:
    """Deactivate an agent (signed out at once, can no longer sign in; their history stays) or bring them
    back. Agents are never deleted: conversations, notes and timelines name who did what."""
    user.principal.require(Role.admin)
    try:
        agent = await service.do_update_agent(
            session=session,
            workspace_id=user.principal.workspace_id,
            agent_id=agent_id,
            data=AgentUpdate(is_active=active == "1"),
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        await session.rollback()
        return await _settings_page(request, session, user, agent_error=exc.detail)
    await session.commit()
    state = "can sign in again" if agent.is_active else "is deactivated and signed out"
    return redirect_with_notice("/settings#agents", f"{agent.display_name} {state}.")


@router.post("/settings/success/reset")
async def reset_success_settings(session: DbSession, user: FormAgent) -> Any:
    """The discount rate and every health weight back to their documented defaults."""
    user.principal.require(Role.admin)
    defaults = SuccessSettingsUpdate.model_validate(
        {"discount_rate": DEFAULT_DISCOUNT_RATE, "health_weights": {name: None for name in SIGNAL_NAMES}}
    )
    await do_update_success_settings(session=session, workspace_id=user.principal.workspace_id, data=defaults)
    await session.commit()
    return redirect_with_notice("/settings#customer-success", "Customer success settings are back to their defaults.")


@router.post("/settings/api-keys/{api_key_id}/rename")
async def rename_api_key(
    api_key_id: PathId, request: Request, session: DbSession, user: FormAgent, name: Annotated[str, Form()] = ""
) -> Any:
    user.principal.require(Role.admin)
    try:
        data = ApiKeyCreate(name=name)
    except ValueError:
        return await _settings_page(request, session, user, error="Give the key a name (up to 200 characters).")
    key = await service.do_rename_api_key(
        session=session,
        workspace_id=user.principal.workspace_id,
        api_key_id=api_key_id,
        name=data.name,
        actor=user.principal.label,
    )
    await session.commit()
    return redirect_with_notice("/settings#api-keys", f"The key {key.prefix}… is now called {key.name!r}.")
