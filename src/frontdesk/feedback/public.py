"""What the public pages customers open from a link (surveys, reviews) share."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.feedback.links import InvalidLink
from frontdesk.web.console import render
from frontdesk.workspaces.models import Workspace


async def workspace_name(session: AsyncSession, workspace_id: int) -> str:
    workspace = await session.get(Workspace, workspace_id)
    return workspace.name if workspace else ""


def link_error(request: Request, exc: InvalidLink) -> Any:
    """The page for a link that is forged, damaged, expired or for something gone: 404, no details."""
    return render(request, "public/link_error.html", status_code=404, workspace_name="", message=exc.detail)
