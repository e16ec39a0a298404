"""Request bodies of the widget's own endpoints (the chat's shared ones live in conversations.schemas)."""

from __future__ import annotations

from pydantic import Field

from frontdesk.conversations.visit_context import MAX_URL
from frontdesk.inputs import RequestModel

MAX_SECONDS_ON_PAGE = 24 * 60 * 60


class InvitationCheck(RequestModel):
    """Sent by the widget after the session started, as the visitor stays on a page (0, 10, 30, 60 s, ...)."""

    widget_token: str = Field(max_length=64)
    visitor_token: str = Field(min_length=1, max_length=64)
    page_url: str = Field(max_length=MAX_URL)
    seconds_on_page: int = Field(ge=0, le=MAX_SECONDS_ON_PAGE)
