"""Everything a website visitor touches: the widget script, its HTTP endpoints and its WebSocket."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations import invitations, routing
from frontdesk.conversations.models import ChatSettings, Conversation, Visitor
from frontdesk.conversations.queries import list_messages
from frontdesk.conversations.schemas import WidgetSessionStart
from frontdesk.conversations.visit_context import visit_context
from frontdesk.conversations.visitors import VisitorSession, do_start_visitor, origin_allowed, settings_for_widget_token
from frontdesk.conversations.visits import current_conversation, do_note_page, do_note_referral, visitor_conversations
from frontdesk.conversations.widget_config import widget_config
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.realtime.sockets import serve_socket
from frontdesk.widget.history import conversation_summary, message_payloads, through_seq
from frontdesk.widget.schemas import InvitationCheck
from frontdesk.widget.visitor_socket import ChatLimits, VisitorSocket, client_ip

__all__ = ["ChatLimits", "VisitorSocket", "router"]  # VisitorSocket: tests drive it directly

router = APIRouter(include_in_schema=False)
ModelT = TypeVar("ModelT", bound=BaseModel)
WIDGET_JS = Path(__file__).parent / "static" / "widget.js"
# Headers of the conversation list (a GET: the tokens travel in headers, never in a URL that servers log).
WIDGET_HEADER = "X-Frontdesk-Widget"
VISITOR_HEADER = "X-Frontdesk-Visitor"


class Refusal(Exception):
    """An answer the widget gets instead of what it asked for (a 4xx the refused page can read)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers


@router.get("/widget.js")
async def widget_script() -> FileResponse:
    return FileResponse(
        WIDGET_JS, media_type="application/javascript", headers={"Cache-Control": "public, max-age=300"}
    )


def _cors(response: Response, origin: str) -> Response:
    """Lets the page at ``origin`` read the answer (no credentials are involved: the visitor token is in the body)."""
    if not origin:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response


def _refused(refusal: Refusal, origin: str) -> Response:
    return _cors(JSONResponse(refusal.body, status_code=refusal.status, headers=refusal.headers), origin)


async def _rate_limit(request: Request) -> None:
    limits: ChatLimits = request.app.state.chat_limits
    if not await limits.ip.hit(client_ip(request)):
        wait = str(await limits.ip.retry_after(client_ip(request)))
        raise Refusal(429, {"error": "rate_limited", "message": "too many requests; slow down"}, {"Retry-After": wait})


def _parse(model: type[ModelT], raw: bytes) -> ModelT:
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        error = errors_from_pydantic(list(exc.errors()))[0]
        raise Refusal(422, {"error": "invalid", "field": error["field"], "message": error["message"]}) from None


async def _site_settings(session: AsyncSession, widget_token: str, origin: str) -> ChatSettings:
    try:
        settings = await settings_for_widget_token(session=session, token=widget_token)
    except DomainError:
        raise Refusal(
            404, {"error": "unknown_widget", "field": "widget_token", "message": "unknown widget token"}
        ) from None
    if not origin_allowed(settings, origin):
        # Readable by the refused page (CORS), so the widget can say why it stays hidden instead of retrying.
        refusal = {
            "error": "origin_not_allowed",
            "field": "origin",
            "origin": origin or None,
            "message": f"{origin or 'this page'} is not an allowed origin",
        }
        raise Refusal(403, refusal)
    return settings


async def _known_visitor(session: AsyncSession, settings: ChatSettings, visitor_token: str | None) -> Visitor:
    started = await do_start_visitor(session=session, settings=settings, visitor_token=visitor_token or None)
    if started.new_token is not None:  # only a visitor whose session started may ask; the new row is not kept
        raise Refusal(401, {"error": "unknown_visitor", "field": "visitor_token", "message": "unknown visitor token"})
    return started.visitor


async def _conversation_state(
    session: AsyncSession, visitor: Visitor, settings: ChatSettings, conversation: Conversation | None
) -> dict[str, Any]:
    messages = (
        await list_messages(session=session, conversation=conversation, include_notes=False) if conversation else []
    )
    teams = await routing.list_teams(session=session, workspace_id=settings.workspace_id)
    online = {
        key: bool(await routing.online_agent_ids(session=session, workspace_id=settings.workspace_id, team_id=team.id))
        for key, team in teams.items()
    }
    return {
        "conversation": None if conversation is None else conversation_summary(conversation),
        "messages": await message_payloads(session, messages),
        "through_seq": through_seq(conversation, messages) if conversation else 0,
        "conversations": await visitor_conversations(session=session, visitor=visitor),
        "online": online,
        # The visitor left an address before: a new conversation needs none, even while nobody is online.
        "email_known": bool(visitor.claimed_email),
        "welcome_message": settings.welcome_message,
        "offline_message": settings.offline_message,
        "config": await widget_config(session=session, settings=settings),
    }


def _wanted_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


@router.post("/widget/api/session")
async def start_session(request: Request) -> Response:
    """Called by widget.js on every page load. The body is JSON sent as text/plain, so no CORS preflight."""
    origin = request.headers.get("origin", "")
    try:
        await _rate_limit(request)
        body = _parse(WidgetSessionStart, await request.body())
        async with request.app.state.session_factory() as session:
            settings = await _site_settings(session, body.widget_token, origin)
            started: VisitorSession = await do_start_visitor(
                session=session,
                settings=settings,
                visitor_token=body.visitor_token or None,
                user_id=str(body.user_id) if body.user_id else None,
                given_hash=body.user_hash or None,
                page_load=True,
            )
            await do_note_referral(session=session, visitor=started.visitor, code=body.referral_code)
            shown = await current_conversation(
                session=session, visitor=started.visitor, conversation_id=_wanted_id(body.conversation_id)
            )
            context = visit_context(body.context, request.headers.get("user-agent"))
            await do_note_page(session=session, conversation=shown, context=context)
            state = await _conversation_state(session, started.visitor, settings, shown)
            await session.commit()
    except Refusal as refusal:
        return _refused(refusal, origin)
    payload = {
        **state,
        "visitor_token": started.new_token or body.visitor_token,
        "identity_verified": started.identity_verified,
        "identity_error": started.identity_error,
    }
    return _cors(JSONResponse(payload), origin)


@router.options("/widget/api/conversations")
async def conversations_preflight(request: Request) -> Response:
    """The list is a GET with the tokens in headers: the browser asks first whether it may send them."""
    response = Response(status_code=204)
    response.headers["Access-Control-Allow-Methods"] = "GET"
    response.headers["Access-Control-Allow-Headers"] = f"{WIDGET_HEADER}, {VISITOR_HEADER}"
    response.headers["Access-Control-Max-Age"] = "600"
    return _cors(response, request.headers.get("origin", ""))


@router.get("/widget/api/conversations")
async def list_conversations(request: Request) -> Response:
    """The visitor's conversations, latest first: the widget's list of past conversations."""
    origin = request.headers.get("origin", "")
    try:
        await _rate_limit(request)
        widget_token = request.headers.get(WIDGET_HEADER, "")
        visitor_token = request.headers.get(VISITOR_HEADER, "")
        if not widget_token or len(widget_token) > 64:
            raise Refusal(422, {"error": "invalid", "field": "widget_token", "message": f"send {WIDGET_HEADER}"})
        if not visitor_token or len(visitor_token) > 64:
            raise Refusal(422, {"error": "invalid", "field": "visitor_token", "message": f"send {VISITOR_HEADER}"})
        async with request.app.state.session_factory() as session:
            settings = await _site_settings(session, widget_token, origin)
            visitor = await _known_visitor(session, settings, visitor_token)
            listed = await visitor_conversations(session=session, visitor=visitor)
    except Refusal as refusal:
        return _refused(refusal, origin)
    return _cors(JSONResponse({"conversations": listed}), origin)


@router.post("/widget/api/invitation")
async def check_invitation(request: Request) -> Response:
    """The widget reports time on the page; the answer is the proactive invitation to show now, if any."""
    origin = request.headers.get("origin", "")
    try:
        await _rate_limit(request)
        body = _parse(InvitationCheck, await request.body())
        async with request.app.state.session_factory() as session:
            settings = await _site_settings(session, body.widget_token, origin)
            visitor = await _known_visitor(session, settings, body.visitor_token)
            offer = await invitations.match_invitation(
                session=session,
                settings=settings,
                visitor=visitor,
                page_url=body.page_url,
                seconds_on_page=body.seconds_on_page,
            )
            await session.commit()
    except Refusal as refusal:
        return _refused(refusal, origin)
    shown = None
    if offer is not None:
        shown = {
            "id": offer.invitation_id,
            "team": offer.team,
            "message": offer.message,
            "author_name": offer.author_name,
        }
    return _cors(JSONResponse({"invitation": shown}), origin)


@router.websocket("/widget/ws")
async def visitor_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await serve_socket(websocket, VisitorSocket(websocket, websocket.app.state.broker).run)
