"""What every console page shares: templates, the logged-in agent, CSRF checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from frontdesk import security
from frontdesk.deps import DbSession
from frontdesk.errors import FieldError
from frontdesk.feedback.sentiment import label as sentiment_label
from frontdesk.web.wording import in_words, plural, plural_noun
from frontdesk.workspaces.models import Agent, AgentSession, Role
from frontdesk.workspaces.service import Principal, get_login, principal_for_agent

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["sentiment_label"] = sentiment_label
# Every count the console shows goes through these: "1 complaint", never "1 complaints".
templates.env.globals["plural"] = plural
templates.env.filters["plural"] = plural
templates.env.globals["plural_noun"] = plural_noun
templates.env.filters["in_words"] = in_words


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class CsrfFailed(Exception):
    pass


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in agent, as plain values: pages may roll back their session and still render these."""

    agent_id: int
    display_name: str
    email: str
    role: str
    csrf_token: str
    principal: Principal

    def can(self, role: str) -> bool:
        return self.principal.role.allows(Role(role))


def _console_user(agent: Agent, login: AgentSession) -> ConsoleUser:
    return ConsoleUser(
        agent_id=agent.id,
        display_name=agent.display_name,
        email=agent.email,
        role=agent.role,
        csrf_token=login.csrf_token,
        principal=principal_for_agent(agent),
    )


async def current_console_user(request: Request, session: DbSession) -> ConsoleUser:
    token = request.cookies.get(request.app.state.settings.session_cookie_name)
    found = await get_login(session=session, token=token) if token else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return _console_user(*found)


ConsoleAgent = Annotated[ConsoleUser, Depends(current_console_user)]


async def checked_form_user(
    request: Request, user: ConsoleAgent, csrf_token: Annotated[str | None, Form()] = None
) -> ConsoleUser:
    """The logged-in agent of a state-changing form, after checking the form's CSRF token."""
    given = csrf_token or request.headers.get("X-CSRF-Token") or ""
    if not security.tokens_match(user.csrf_token, given):
        raise CsrfFailed
    return user


FormAgent = Annotated[ConsoleUser, Depends(checked_form_user)]


def login_redirect_url(next_url: str) -> str:
    return f"/login?next={quote(next_url, safe='')}"


def errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    """``emails.1`` and ``emails`` both show under the e-mail field; the first message per field wins."""
    shown: dict[str, str] = {}
    for error in errors:
        field = error["field"]
        base = field.split(".")[0] if not field.startswith("attributes.") else ".".join(field.split(".")[:2])
        shown.setdefault(base, error["message"])
    return shown


# A one-time notice ("Segment saved") carried across the redirect after a form: set on the redirect, shown and
# cleared by the next full page. A cookie keeps URLs clean and survives the POST-redirect-GET.
NOTICE_COOKIE = "frontdesk_notice"
NOTICE_MAX_LENGTH = 200


def redirect_with_notice(url: str, notice: str) -> RedirectResponse:
    """A 303 to ``url`` whose page shows ``notice`` once."""
    response = RedirectResponse(url, status_code=303)
    set_notice(response, notice)
    return response


def set_notice(response: Response, notice: str) -> None:
    response.set_cookie(NOTICE_COOKIE, quote(notice[:NOTICE_MAX_LENGTH]), max_age=120, httponly=True, samesite="lax")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    pending = request.cookies.get(NOTICE_COOKIE)
    # HTMX fragments do not show the notice: the next full page does.
    shows_notice = bool(pending) and not request.headers.get("HX-Request") and "notice" not in context
    if shows_notice:
        context["notice"] = unquote(pending or "")[:NOTICE_MAX_LENGTH]
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    if shows_notice:
        response.delete_cookie(NOTICE_COOKIE, httponly=True, samesite="lax")
    return response


def install_console_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Any:
        if request.headers.get("HX-Request"):
            response = PlainTextResponse("signed out", status_code=401)
            response.headers["HX-Redirect"] = login_redirect_url(exc.next_url)
            return response
        return RedirectResponse(login_redirect_url(exc.next_url), status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Any:
        message = "This form has expired or did not come from Frontdesk. Go back, reload the page and try again."
        if "text/html" in request.headers.get("accept", "") and not request.headers.get("HX-Request"):
            return ErrorPageResponse(request, 403, "This form has expired", message)
        return PlainTextResponse(message, status_code=403)


async def signed_in_user(request: Request) -> ConsoleUser | None:
    """The agent signed in on this browser, or None: for pages that show to everyone (errors)."""
    token = request.cookies.get(request.app.state.settings.session_cookie_name)
    if not token:
        return None
    async with request.app.state.session_factory() as session:
        found = await get_login(session=session, token=token)
    if found is None:
        return None
    return _console_user(*found)


class ErrorPageResponse(Response):
    """An error page that looks up who is signed in only when it is sent.

    The error handlers build their HTML page synchronously; looking up the agent needs the database, so the
    page renders when the response is sent: inside the console's layout with its navigation for a signed-in
    agent, with a sign-in link for anyone else.
    """

    def __init__(self, request: Request, status: int, title: str, message: str) -> None:
        super().__init__(status_code=status, media_type="text/html")
        self.request, self.title, self.message = request, title, message

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            user = await signed_in_user(self.request)
        except Exception:  # a broken database must not turn a 404 into a 500: show the plain page
            user = None
        page = templates.TemplateResponse(
            self.request,
            "pages/error.html",
            {"user": user, "title": self.title, "message": self.message, "status": self.status_code},
            status_code=self.status_code,
        )
        for name, value in self.headers.items():
            if name.lower() not in {"content-length", "content-type"}:
                page.headers[name] = value
        await page(scope, receive, send)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    messages = {
        404: "There is nothing here, or it belongs to another workspace.",
        403: "Your role does not allow this. Ask an admin of your workspace.",
    }
    return ErrorPageResponse(request, status, title, messages.get(status, detail))
