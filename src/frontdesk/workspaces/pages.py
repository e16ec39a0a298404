"""Console: sign in and out, and the workspace settings page (time zone, agents, API keys, customer success)."""

from __future__ import annotations

import contextlib
import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import security
from frontdesk.contacts.validation import email_key
from frontdesk.conversations.models import CannedReply
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.deps import AppSettings, DbSession, PathId
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.realtime.ratelimit import AppLimits
from frontdesk.reports.controls import time_zone_names, zone_of
from frontdesk.settings import Settings
from frontdesk.success.health_signals import SIGNALS
from frontdesk.success.settings import SuccessSettingsUpdate, do_update_success_settings, peek_success_settings
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.web.wording import plural
from frontdesk.workspaces import service
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate, ApiKeyCreate

router = APIRouter(include_in_schema=False)


def _safe_next(next_url: str | None) -> str:
    # Only same-site paths: an attacker's link must not bounce a fresh login to their site.
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return "/"


LOGIN_NONCE_COOKIE = "frontdesk_login_nonce"
BAD_CREDENTIALS = "That e-mail address and password do not match an active agent."


def _login_page(
    request: Request,
    settings: Settings,
    *,
    next_url: str | None,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in form with a CSRF token bound to a nonce cookie (kept if the browser has one: two tabs work)."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE) or security.new_csrf_token()
    response = render(
        request,
        "pages/login.html",
        status_code=status_code,
        next=_safe_next(next_url),
        email=email,
        error=error,
        csrf_token=security.login_form_token(nonce),
    )
    response.set_cookie(
        LOGIN_NONCE_COOKIE, nonce, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/login"
    )
    response.headers.update(headers or {})
    return response


def _login_form_is_genuine(request: Request, given: str) -> bool:
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    return bool(nonce and given) and security.tokens_match(security.login_form_token(nonce), given)


@router.get("/login")
async def login_form(request: Request, settings: AppSettings, next: str | None = None) -> Any:
    return _login_page(request, settings, next_url=next)


@router.post("/login")
async def login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    if not _login_form_is_genuine(request, csrf_token):
        error = "This sign-in form has expired or did not come from Frontdesk. Please sign in again."
        return _login_page(request, settings, next_url=next, email=email, error=error, status_code=403)
    ip = request.client.host if request.client else "unknown"
    limits: AppLimits = request.app.state.rate_limits
    with limits.signins_in_flight_per_ip.slot(ip) as admitted:
        if not admitted:
            return _throttled_page(request, settings, next_url=next, email=email, wait=1)
        agent_id = await _check_password(
            request, session, settings, limits, ip=ip, email=email, password=password, next_url=next
        )
    if isinstance(agent_id, Response):
        return agent_id
    token, _ = await service.do_start_login(
        session=session, agent_id=agent_id, max_age_seconds=settings.session_max_age_seconds
    )
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
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return response


async def _check_password(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    limits: AppLimits,
    *,
    ip: str,
    email: str,
    password: str,
    next_url: str | None,
) -> int | Response:
    """The agent id these credentials sign in as, or the page that refuses them."""
    by_ip, by_account = limits.signin_failures_per_ip, limits.signin_attempts_per_account
    everywhere = limits.signin_failures_per_account
    account = email_key(email)
    # The account's attempts are counted per address they come from: someone guessing at an agent's account
    # locks out only themselves, never the agent signing in from elsewhere. They are counted atomically up
    # front (parallel guesses cannot slip through) and forgiven by a success. Failures at the account from
    # all addresses together have a ceiling too, against guessing from many addresses. An IP address's
    # failures only, so an office signing in from one address is not locked out by its own colleagues
    # (parallel attempts from one address are capped instead). All are consulted before the password is
    # hashed, so a flood of guesses costs no argon2 time.
    account_here = f"{account} {ip}"
    if not await by_ip.allows(ip) or not await everywhere.allows(account) or not await by_account.hit(account_here):
        wait = max(
            await by_ip.retry_after(ip),
            await everywhere.retry_after(account),
            await by_account.retry_after(account_here),
        )
        return _throttled_page(request, settings, next_url=next_url, email=email, wait=wait)
    if security.password_checks_busy():  # refused before any other work: the database is not touched
        return _busy_page(request, settings, next_url=next_url, email=email)
    candidates = await service.list_login_candidates(session=session, email=email)
    # The read ends before argon2 runs, so the connection is back in the pool meanwhile: SQLite's pool holds
    # one, and chats must not wait behind a queue of password checks.
    await session.rollback()
    try:
        agent_id = await service.match_password(candidates, password)
    except security.PasswordChecksBusy:
        return _busy_page(request, settings, next_url=next_url, email=email)
    if agent_id is None:
        await by_ip.hit(ip)
        await everywhere.hit(account)
        return _login_page(request, settings, next_url=next_url, email=email, error=BAD_CREDENTIALS, status_code=400)
    await by_account.clear(account_here)  # the owner got in: earlier typos no longer count against them
    return agent_id


def _throttled_page(request: Request, settings: Settings, *, next_url: str | None, email: str, wait: int) -> Response:
    error = f"Too many sign-in attempts. Try again in {_duration(wait)}."
    return _login_page(
        request,
        settings,
        next_url=next_url,
        email=email,
        error=error,
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


def _busy_page(request: Request, settings: Settings, *, next_url: str | None, email: str) -> Response:
    error = "Sign-in is very busy right now. Try again in a few seconds."
    return _login_page(
        request, settings, next_url=next_url, email=email, error=error, status_code=503, headers={"Retry-After": "5"}
    )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return plural(seconds, "second")
    return plural(math.ceil(seconds / 60), "minute")


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
    zone_error: str | None = None,
    zone_typed: str | None = None,
    success_errors: dict[str, str] | None = None,
    success_typed: dict[str, str] | None = None,
) -> Any:
    workspace_id = user.principal.workspace_id
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
        api_keys=await service.list_api_keys(session=session, workspace_id=workspace_id),
        chat=await get_chat_settings(session=session, workspace_id=workspace_id),
        canned_replies=(
            await session.scalars(select(CannedReply).where(CannedReply.workspace_id == workspace_id))
        ).all(),
        base_url=str(request.base_url).rstrip("/"),
        new_key=new_key,
        error=error,
        agent_error=agent_error,
        zone_error=zone_error,
        zone_typed=zone_typed,
        time_zones=time_zone_names(),
        health_signals=SIGNALS,
        success_form=success_form,
        success_errors=success_errors or {},
    )


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
