"""What every console page shares: templates, the logged-in agent, CSRF checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from frontdesk import security
from frontdesk.deps import DbSession
from frontdesk.errors import FieldError
from frontdesk.feedback.sentiment import label as sentiment_label
from frontdesk.web.wording import plural, plural_noun
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal, get_login, principal_for_agent

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["sentiment_label"] = sentiment_label
# Every count the console shows goes through these: "1 complaint", never "1 complaints".
templates.env.globals["plural"] = plural
templates.env.filters["plural"] = plural
templates.env.globals["plural_noun"] = plural_noun


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


async def current_console_user(request: Request, session: DbSession) -> ConsoleUser:
    token = request.cookies.get(request.app.state.settings.session_cookie_name)
    found = await get_login(session=session, token=token) if token else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    agent, login = found
    return ConsoleUser(
        agent_id=agent.id,
        display_name=agent.display_name,
        email=agent.email,
        role=agent.role,
        csrf_token=login.csrf_token,
        principal=principal_for_agent(agent),
    )


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


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


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
        return PlainTextResponse(
            "This form has expired or did not come from Frontdesk. Go back, reload the page and try again.",
            status_code=403,
        )


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    messages = {
        404: "There is nothing here, or it belongs to another workspace.",
        403: "Your role does not allow this. Ask an admin of your workspace.",
    }
    return render(
        request,
        "pages/error.html",
        status_code=status,
        user=None,
        title=title,
        message=messages.get(status, detail),
    )
