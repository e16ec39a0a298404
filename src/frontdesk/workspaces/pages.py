"""Console: sign in and out, and the workspace settings page (agents, API keys)."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from frontdesk.conversations.models import CannedReply
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.deps import AppSettings, DbSession, PathId
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, render
from frontdesk.workspaces import service
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate, ApiKeyCreate

router = APIRouter(include_in_schema=False)


def _safe_next(next_url: str | None) -> str:
    # Only same-site paths: an attacker's link must not bounce a fresh login to their site.
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return "/contacts"


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Any:
    return render(request, "pages/login.html", next=_safe_next(next), error=None, email="")


@router.post("/login")
async def login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str | None, Form()] = None,
) -> Any:
    found = await service.do_login(
        session=session, email=email, password=password, max_age_seconds=settings.session_max_age_seconds
    )
    if found is None:
        return render(
            request,
            "pages/login.html",
            status_code=400,
            next=_safe_next(next),
            email=email,
            error="That e-mail address and password do not match an active agent.",
        )
    _, token, _ = found
    await session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        settings.session_cookie_name,
        token,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: DbSession, settings: AppSettings, user: FormAgent) -> Any:
    token = request.cookies.get(settings.session_cookie_name, "")
    await service.do_logout(session=session, token=token)
    await session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response


async def _settings_page(
    request: Request,
    session: DbSession,
    user: ConsoleUser,
    new_key: str | None = None,
    error: str | None = None,
    agent_error: str | None = None,
) -> Any:
    workspace_id = user.principal.workspace_id
    return render(
        request,
        "pages/settings.html",
        status_code=422 if (error or agent_error) else 200,
        user=user,
        workspace=await service.get_workspace(session=session, workspace_id=workspace_id),
        agents=await service.list_agents(session=session, workspace_id=workspace_id),
        api_keys=await service.list_api_keys(session=session, workspace_id=workspace_id),
        chat=await get_chat_settings(session=session, workspace_id=workspace_id),
        canned_replies=(
            await session.scalars(select(CannedReply).where(CannedReply.workspace_id == workspace_id))
        ).all(),
        base_url=str(request.base_url).rstrip("/"),
        new_key=new_key,
        error=error,
        agent_error=agent_error,
    )


@router.get("/settings")
async def settings_page(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    return await _settings_page(request, session, user)


@router.post("/settings/api-keys")
async def create_api_key(
    request: Request, session: DbSession, user: FormAgent, name: Annotated[str, Form()] = ""
) -> Any:
    user.principal.require(Role.admin)
    try:
        data = ApiKeyCreate(name=name)
    except ValueError:
        return await _settings_page(request, session, user, error="Give the key a name.")
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
    return RedirectResponse("/settings", status_code=303)


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
    return RedirectResponse("/settings", status_code=303)
