"""The widget's help endpoints: article suggestions before a chat, an article inside the widget, votes.

Same conventions as the chat's widget endpoints (widget/routes.py, whose helpers these reuse): GETs carry the
widget and visitor tokens in headers (never in a URL that servers log), POSTs send JSON as text/plain so the
browser asks no preflight, every answer is readable by the allowed page (CORS), refusals name the field.
The work is done in helpcenter.widget_help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field, StrictBool, StrictInt
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import ChatSettings, Visitor
from frontdesk.errors import DomainError
from frontdesk.helpcenter import widget_help
from frontdesk.inputs import RequestModel, parse_id
from frontdesk.widget.routes import (
    VISITOR_HEADER,
    WIDGET_HEADER,
    Refusal,
    _cors,
    _known_visitor,
    _parse,
    _rate_limit,
    _refused,
    _site_settings,
)

router = APIRouter(include_in_schema=False)
ArticleId = Annotated[StrictInt, Field(gt=0, lt=2**63)]
Work = Callable[[AsyncSession, ChatSettings, Visitor], Awaitable[dict[str, Any]]]


class HelpVoteCreate(RequestModel):
    widget_token: str = Field(max_length=64)
    visitor_token: str = Field(min_length=1, max_length=64)
    article_id: ArticleId
    helpful: StrictBool


class HelpSearchCreate(RequestModel):
    widget_token: str = Field(max_length=64)
    visitor_token: str = Field(min_length=1, max_length=64)
    # The question being typed: in the body, never in a URL that proxies and access logs keep.
    q: str = Field(max_length=5000)
    locale: str | None = Field(default=None, max_length=10)


class ChatContinuation(RequestModel):
    widget_token: str = Field(max_length=64)
    visitor_token: str = Field(min_length=1, max_length=64)
    # What the visitor typed: checked, not kept (they send it themselves as their first chat message).
    question: str = Field(default="", max_length=5000)


def _refusal(error: DomainError) -> Refusal:
    field = error.errors[0]["field"] if error.errors else None
    kind = "not_found" if error.status_code == 404 else "invalid"
    return Refusal(error.status_code, {"error": kind, "field": field, "message": error.detail})


async def _answer(request: Request, widget_token: str, visitor_token: str, work: Work) -> Response:
    """Checks the tokens and the page's origin, runs ``work`` for the visitor in one transaction, answers."""
    origin = request.headers.get("origin", "")
    try:
        await _rate_limit(request)
        async with request.app.state.session_factory() as session:
            settings = await _site_settings(session, widget_token, origin)
            visitor = await _known_visitor(session, settings, visitor_token)
            try:
                payload = await work(session, settings, visitor)
            except DomainError as error:
                raise _refusal(error) from None
            await session.commit()
    except Refusal as refusal:
        return _refused(refusal, origin)
    return _cors(JSONResponse(payload), origin)


def _header_tokens(request: Request) -> tuple[str, str]:
    widget_token = request.headers.get(WIDGET_HEADER, "")
    visitor_token = request.headers.get(VISITOR_HEADER, "")
    if not widget_token or len(widget_token) > 64:
        raise Refusal(422, {"error": "invalid", "field": "widget_token", "message": f"send {WIDGET_HEADER}"})
    if not visitor_token or len(visitor_token) > 64:
        raise Refusal(422, {"error": "invalid", "field": "visitor_token", "message": f"send {VISITOR_HEADER}"})
    return widget_token, visitor_token


def _preflight(request: Request) -> Response:
    """The article GET carries the tokens in headers: the browser asks first whether it may send them."""
    response = Response(status_code=204)
    response.headers["Access-Control-Allow-Methods"] = "GET"
    response.headers["Access-Control-Allow-Headers"] = f"{WIDGET_HEADER}, {VISITOR_HEADER}"
    response.headers["Access-Control-Max-Age"] = "600"
    return _cors(response, request.headers.get("origin", ""))


@router.options("/widget/api/help/articles/{translation_id}")
async def article_preflight(request: Request) -> Response:
    return _preflight(request)


@router.post("/widget/api/help/search")
async def suggest_articles(request: Request) -> Response:
    """Articles for the question the visitor is typing: ``q`` (at least 3 characters) and ``locale``, in a POST
    body (JSON as text/plain, no preflight) so the question stays out of URLs and the logs that keep them."""
    try:
        body = _parse(HelpSearchCreate, await request.body())
    except Refusal as refusal:
        return _refused(refusal, request.headers.get("origin", ""))

    async def work(session: AsyncSession, settings: ChatSettings, visitor: Visitor) -> dict[str, Any]:
        return await widget_help.suggest(
            session=session,
            workspace_id=settings.workspace_id,
            visitor_id=visitor.id,
            widget_language=settings.language,
            query=body.q,
            locale=body.locale or None,
        )

    return await _answer(request, body.widget_token, body.visitor_token, work)


@router.get("/widget/api/help/articles/{translation_id}")
async def open_article(request: Request, translation_id: str) -> Response:
    """A published article to read inside the widget (its HTML was sanitised when it was published)."""
    try:
        tokens = _header_tokens(request)
        wanted = parse_id(translation_id) or 0
        if wanted <= 0:
            raise Refusal(404, {"error": "not_found", "field": "article_id", "message": "no such article"})
    except Refusal as refusal:
        return _refused(refusal, request.headers.get("origin", ""))

    async def work(session: AsyncSession, settings: ChatSettings, visitor: Visitor) -> dict[str, Any]:
        return await widget_help.open_article(
            session=session,
            workspace_id=settings.workspace_id,
            visitor_id=visitor.id,
            widget_language=settings.language,
            translation_id=wanted,
            base_url=str(request.base_url),
        )

    return await _answer(request, *tokens, work)


@router.post("/widget/api/help/votes")
async def vote(request: Request) -> Response:
    """ "Did this answer your question?" Yes or no; answering again replaces the first answer."""
    try:
        body = _parse(HelpVoteCreate, await request.body())
    except Refusal as refusal:
        return _refused(refusal, request.headers.get("origin", ""))

    async def work(session: AsyncSession, settings: ChatSettings, visitor: Visitor) -> dict[str, Any]:
        return await widget_help.vote(
            session=session,
            workspace_id=settings.workspace_id,
            visitor_id=visitor.id,
            widget_language=settings.language,
            translation_id=body.article_id,
            helpful=body.helpful,
        )

    return await _answer(request, body.widget_token, body.visitor_token, work)


@router.post("/widget/api/help/continue")
async def continue_to_chat(request: Request) -> Response:
    """The visitor still wants a person: noted on their help session; the widget opens the chat with the question."""
    try:
        body = _parse(ChatContinuation, await request.body())
    except Refusal as refusal:
        return _refused(refusal, request.headers.get("origin", ""))

    async def work(session: AsyncSession, settings: ChatSettings, visitor: Visitor) -> dict[str, Any]:
        return await widget_help.continue_to_chat(
            session=session,
            workspace_id=settings.workspace_id,
            visitor_id=visitor.id,
            widget_language=settings.language,
        )

    return await _answer(request, body.widget_token, body.visitor_token, work)
