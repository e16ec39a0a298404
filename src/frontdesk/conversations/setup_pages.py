"""Console: the live chat's setup in Settings: the widget's look and texts, canned replies, macros, invitations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete

from frontdesk.conversations.models import CannedReply
from frontdesk.conversations.visitors import get_chat_settings, normalize_origin
from frontdesk.deps import DbSession
from frontdesk.errors import DomainError, InvalidInput
from frontdesk.web.console import ConsoleAgent, FormAgent, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)


@router.post("/settings/canned-replies")
async def add_canned_reply(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await request.form()
    shortcut = str(form.get("shortcut", "")).strip().lstrip("/").lower()
    body = str(form.get("body", "")).strip()
    if shortcut and body and shortcut.replace("-", "").replace("_", "").isalnum() and len(shortcut) <= 40:
        await session.execute(
            delete(CannedReply).where(
                CannedReply.workspace_id == user.principal.workspace_id, CannedReply.shortcut == shortcut
            )
        )
        session.add(CannedReply(workspace_id=user.principal.workspace_id, shortcut=shortcut, body=body[:5000]))
        await session.commit()
    return RedirectResponse("/settings", status_code=303)


@router.post("/settings/chat")
async def update_chat_settings(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await request.form()
    settings = await get_chat_settings(session=session, workspace_id=user.principal.workspace_id)
    try:
        settings.allowed_origins = sorted(
            {normalize_origin(line) for line in str(form.get("allowed_origins", "")).splitlines() if line.strip()}
        )
        minutes = int(str(form.get("auto_resolve_minutes", "0")).strip() or 0)
        if not 0 <= minutes <= 60 * 24 * 30:
            raise InvalidInput("between 0 (never) and 43200 minutes", field="auto_resolve_minutes")
    except (DomainError, ValueError) as exc:
        await session.rollback()
        message = exc.detail if isinstance(exc, DomainError) else "auto-resolve needs a whole number of minutes"
        return Response(message, status_code=422)
    settings.auto_resolve_minutes = minutes
    for field in ("welcome_message", "offline_message"):
        value = str(form.get(field, "")).strip()
        if value:
            setattr(settings, field, value[:500])
    await session.commit()
    return RedirectResponse("/settings", status_code=303)


@router.get("/widget/try")
async def try_widget(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    """A plain page with this workspace's widget on it, to try the chat from the visitor's side."""
    settings = await get_chat_settings(session=session, workspace_id=user.principal.workspace_id)
    await session.commit()
    return render(request, "pages/widget_try.html", user=None, widget_token=settings.widget_token)
