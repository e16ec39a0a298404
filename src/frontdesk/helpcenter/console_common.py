"""What the help center's console pages share: who may read and write, and reading their forms."""

from __future__ import annotations

from fastapi import Request

from frontdesk.errors import DomainError
from frontdesk.web.console import ConsoleUser
from frontdesk.workspaces.models import Role

BASE = "/console/help"


def reader(user: ConsoleUser) -> None:
    """Agents and above read everything, drafts included; viewers do not (drafts are not for them)."""
    user.principal.require(Role.agent)


def writer(user: ConsoleUser) -> None:
    user.principal.require(Role.editor)


def field_of(exc: DomainError, default: str) -> str:
    """The form field an error names (``names.de`` -> ``names``), for showing it beside that field."""
    return exc.errors[0]["field"].split(".")[0] if exc.errors else default


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def editor_url(article_id: int, locale: str) -> str:
    return f"{BASE}/articles/{article_id}/{locale}"
