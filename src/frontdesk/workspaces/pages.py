"""Console: sign in and out, and the workspace settings page (time zone, agents, API keys, customer success)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import security
from frontdesk.contacts.validation import email_key
from frontdesk.deps import AppSettings, DbSession
from frontdesk.realtime.ratelimit import AppLimits
from frontdesk.settings import Settings
from frontdesk.web.console import FormAgent, render
from frontdesk.web.wording import plural
from frontdesk.workspaces import service, settings_pages

router = APIRouter(include_in_schema=False)
router.include_router(settings_pages.router)  # /settings and its forms


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
