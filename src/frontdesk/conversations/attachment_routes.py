"""Attachments: upload from the console, the widget and the API; files served to participants only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.exceptions import HTTPException

from frontdesk import security
from frontdesk.conversations import attachments as service
from frontdesk.conversations.models import Attachment, Visitor
from frontdesk.conversations.queries import get_conversation
from frontdesk.conversations.schemas import (
    MAX_BODY,
    AgentMessageCreate,
    AgentMessageRead,
    AttachmentRead,
    MessageRead,
    VisitorMessage,
)
from frontdesk.conversations.visitors import origin_allowed, settings_for_widget_token
from frontdesk.deps import Agent, DbSession, PathId, Viewer
from frontdesk.errors import DomainError, InvalidInput, NotFound, errors_from_pydantic
from frontdesk.guard import allow_uploads
from frontdesk.inputs import text_problem, whole_number
from frontdesk.settings import Settings
from frontdesk.storage import Storage
from frontdesk.storage.checks import INLINE_IMAGES, CheckedFile, check_file
from frontdesk.web.console import FormAgent, current_console_user, render
from frontdesk.workspaces.models import Role

router = APIRouter()
# Multipart bodies are refused by the input guard except where a file is uploaded; the console's and the
# widget's uploads are not in the public API document, so they are named to the guard here.
CONSOLE_UPLOAD = allow_uploads("/inbox/{conversation_id}/attachments")
WIDGET_UPLOAD = allow_uploads("/widget/api/attachments")

# Room for the other form fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
ClientIdForm = Annotated[
    str | None,
    Form(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="Makes a retried upload idempotent"),
]
CaptionForm = Annotated[
    str | None, Form(max_length=MAX_BODY, description="A caption; the message's text is the file name without one")
]


class AttachmentPage(BaseModel):
    items: list[AttachmentRead]
    next_cursor: str | None


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def _refuse_oversized_body(request: Request, settings: Settings) -> None:
    """A body announced as much larger than any allowed file is refused before it is read."""
    declared = whole_number(request.headers.get("content-length", ""))
    if declared is not None and declared > settings.max_attachment_bytes + FORM_OVERHEAD_BYTES:
        raise InvalidInput(f"the file is larger than {settings.max_attachment_bytes} bytes", field="file")


async def _checked_upload(file: Any, settings: Settings) -> CheckedFile:
    if not isinstance(file, StarletteUploadFile):
        raise InvalidInput("choose a file to send", field="file")
    # At most one byte past the cap is read: enough to tell that the file is too large.
    data = await file.read(settings.max_attachment_bytes + 1)
    return check_file(data, file.filename, max_bytes=settings.max_attachment_bytes)


def _form_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- Console ---------------------------------------------------------------------------------------------------


@router.post(CONSOLE_UPLOAD, include_in_schema=False)
async def console_upload(request: Request, conversation_id: PathId, session: DbSession, user: FormAgent) -> Response:
    """The paper clip, a drop or a paste in the inbox: the new line, rendered like a sent message."""
    user.principal.require(Role.agent)
    settings: Settings = request.app.state.settings
    try:
        _refuse_oversized_body(request, settings)
        form = await request.form()
        checked = await _checked_upload(form.get("file"), settings)
        caption = _form_text(form.get("body"))
        data = AgentMessageCreate(
            body=service.message_body(caption, checked),
            client_id=_form_text(form.get("client_id")) or uuid.uuid4().hex,
        )
    except InvalidInput as exc:
        return Response(exc.detail, status_code=422, media_type="text/plain")
    except ValidationError as exc:
        return Response(errors_from_pydantic(exc.errors())[0]["message"], status_code=422, media_type="text/plain")
    sent = await service.send_agent_file(
        session=session,
        storage=_storage(request),
        workspace_id=user.principal.workspace_id,
        conversation_id=conversation_id,
        agent_id=user.agent_id,
        checked=checked,
        data=data,
    )
    await sent.outbox.publish(request.app.state.broker)
    reads = [service.attachment_read(a, "agent") for a in sent.attachments]
    return render(
        request, "partials/messages.html", user=user, messages=[service.agent_message_read(sent.message, reads)]
    )


# --- API -------------------------------------------------------------------------------------------------------


@router.post(
    "/api/v1/conversations/{conversation_id}/attachments",
    tags=["attachments"],
    response_model=AgentMessageRead,
    status_code=201,
    summary="Send a file in a conversation",
    description="A new message carrying the file (its text: `body`, else the file name), delivered live to the "
    "visitor. The type is read from the bytes: images (PNG, JPEG, GIF, WebP), PDF, plain text, CSV, ZIP and "
    "office documents; at most `max_attachment_bytes` (10 MB by default). Idempotent: the same `client_id` "
    "again returns the stored message with status 200.",
    responses={200: {"model": AgentMessageRead, "description": "Sent before with this client_id"}},
)
async def api_upload(
    conversation_id: PathId,
    request: Request,
    session: DbSession,
    principal: Agent,
    file: Annotated[UploadFile, File(description="The file")],
    body: CaptionForm = None,
    client_id: ClientIdForm = None,
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    _refuse_oversized_body(request, settings)
    checked = await _checked_upload(file, settings)
    data = AgentMessageCreate(body=service.message_body(body, checked), client_id=client_id or uuid.uuid4().hex)
    sent = await service.send_agent_file(
        session=session,
        storage=_storage(request),
        workspace_id=principal.workspace_id,
        conversation_id=conversation_id,
        agent_id=principal.agent_id,
        checked=checked,
        data=data,
        author_name=principal.label.split(" ", 1)[-1],
    )
    await sent.outbox.publish(request.app.state.broker)
    reads = [service.attachment_read(a, "agent") for a in sent.attachments]
    message = service.agent_message_read(sent.message, reads)
    return JSONResponse(message.model_dump(mode="json"), status_code=201 if sent.created else 200)


@router.get(
    "/api/v1/conversations/{conversation_id}/attachments",
    tags=["attachments"],
    response_model=AttachmentPage,
    summary="List a conversation's files, newest first",
)
async def api_list(
    conversation_id: PathId,
    session: DbSession,
    principal: Viewer,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> AttachmentPage:
    conversation = await get_conversation(
        session=session, workspace_id=principal.workspace_id, conversation_id=conversation_id
    )
    rows, next_cursor = await service.list_attachments(
        session=session, conversation=conversation, limit=limit, cursor=cursor
    )
    return AttachmentPage(items=[service.attachment_read(a, "agent") for a in rows], next_cursor=next_cursor)


@router.get(
    "/api/v1/attachments/{attachment_id}",
    tags=["attachments"],
    response_model=AttachmentRead,
    summary="A file's name, type and size",
)
async def api_read(attachment_id: PathId, session: DbSession, principal: Viewer) -> AttachmentRead:
    attachment = await service.get_attachment(
        session=session, workspace_id=principal.workspace_id, attachment_id=attachment_id
    )
    return service.attachment_read(attachment, "agent")


@router.get(
    "/api/v1/attachments/{attachment_id}/content",
    tags=["attachments"],
    summary="A file's bytes",
    response_class=Response,
    responses={200: {"description": "The file, with the type found in its bytes", "content": {"*/*": {}}}},
)
async def api_content(attachment_id: PathId, request: Request, session: DbSession, principal: Viewer) -> Response:
    attachment = await service.get_attachment(
        session=session, workspace_id=principal.workspace_id, attachment_id=attachment_id
    )
    return file_response(attachment, await service.read_content(_storage(request), attachment))


# --- Serving to people -----------------------------------------------------------------------------------------


def file_response(attachment: Attachment, data: bytes, *, cross_origin: bool = False) -> Response:
    """The bytes with headers that keep a browser from running them: safe raster images show inline, anything
    else downloads; never sniffed; a sandbox even if opened directly."""
    disposition = "inline" if attachment.content_type in INLINE_IMAGES else "attachment"
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in attachment.filename)
    headers = {
        "Content-Disposition": f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        "Cache-Control": "private, max-age=300",
    }
    if cross_origin:  # the widget shows visitors' images inside the business's own site
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return Response(data, media_type=attachment.content_type, headers=headers)


@router.get("/files/{attachment_id}/{filename}", include_in_schema=False)
async def serve_file(
    attachment_id: PathId,
    filename: str,
    request: Request,
    session: DbSession,
    exp: str | None = None,
    sig: str | None = None,
) -> Response:
    """For the workspace's agents (console session), or for whoever holds the link the visitor was sent."""
    if exp is not None or sig is not None:
        attachment = await session.get(Attachment, attachment_id)
        if attachment is None:
            raise NotFound(f"attachment {attachment_id} not found")
        service.check_signature(attachment, exp or "", sig or "")
        return file_response(attachment, await service.read_content(_storage(request), attachment), cross_origin=True)
    user = await current_console_user(request, session)
    attachment = await service.get_attachment(
        session=session, workspace_id=user.principal.workspace_id, attachment_id=attachment_id
    )
    return file_response(attachment, await service.read_content(_storage(request), attachment))


# --- Widget ----------------------------------------------------------------------------------------------------


def _widget_error(status: int, error: str, field: str, message: str, origin: str) -> Response:
    return _cors(JSONResponse({"error": error, "field": field, "message": message}, status_code=status), origin)


def _cors(response: Response, origin: str) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


@router.post(WIDGET_UPLOAD, include_in_schema=False)
async def widget_upload(request: Request) -> Response:
    """The visitor's paper clip, drop or paste: a message with the file in their current conversation."""
    origin = request.headers.get("origin", "")
    limits = request.app.state.chat_limits
    ip = request.client.host if request.client else "unknown"
    if not await limits.ip.hit(ip):
        response = _widget_error(429, "rate_limited", "file", "too many requests; slow down", origin)
        response.headers["Retry-After"] = str(await limits.ip.retry_after(ip))
        return response
    settings: Settings = request.app.state.settings
    try:
        _refuse_oversized_body(request, settings)
        # One file and the few fields the widget sends: more parts would only be spooled to disk for nothing.
        form = await request.form(max_files=1, max_fields=8)
    except InvalidInput as exc:
        return _widget_error(413, "too_large", "file", exc.detail, origin)
    except HTTPException as exc:  # Starlette's refusal of a malformed or overfull multipart body
        return _widget_error(400, "invalid", "file", str(exc.detail), origin)
    # The input guard does not read multipart bodies: their text fields are checked here before any query.
    for name, value in form.multi_items():
        if isinstance(value, str) and (reason := text_problem(value)) is not None:
            return _widget_error(422, "invalid", name, reason, origin)
    factory = request.app.state.session_factory
    async with factory() as session:
        try:
            chat = await settings_for_widget_token(session=session, token=str(form.get("widget_token") or "")[:64])
        except DomainError:
            return _widget_error(404, "unknown_widget", "widget_token", "unknown widget token", origin)
        if not origin_allowed(chat, origin):
            message = f"{origin or 'this page'} is not an allowed origin"
            return _widget_error(403, "origin_not_allowed", "origin", message, origin)
        token = str(form.get("visitor_token") or "")
        visitor = (
            await session.scalar(
                select(Visitor).where(
                    Visitor.token_hash == security.token_digest(token), Visitor.workspace_id == chat.workspace_id
                )
            )
            if token
            else None
        )
        if visitor is None:
            return _widget_error(404, "unknown_visitor", "visitor_token", "unknown visitor token", origin)
        if not await limits.visitor.hit(visitor.token_hash):
            message = "You are sending messages too fast. Wait a moment and try again."
            return _widget_error(429, "rate_limited", "file", message, origin)
        client_id = _form_text(form.get("client_id")) or uuid.uuid4().hex
        try:
            checked = await _checked_upload(form.get("file"), settings)
            data = VisitorMessage(body=service.message_body(_form_text(form.get("body")), checked), client_id=client_id)
        except InvalidInput as exc:
            return _widget_error(422, "invalid", "file", exc.detail, origin)
        except ValidationError as exc:
            error = errors_from_pydantic(exc.errors())[0]
            return _widget_error(422, "invalid", error["field"], error["message"], origin)
        try:
            sent = await service.send_visitor_file(
                session=session, storage=_storage(request), visitor_id=visitor.id, checked=checked, data=data
            )
        except DomainError as exc:
            field = exc.errors[0]["field"] if exc.errors else "file"
            return _widget_error(exc.status_code, "invalid", field, exc.detail, origin)
    try:
        reads = [service.attachment_read(a, "visitor") for a in sent.attachments]
        line = MessageRead.model_validate(sent.message).model_copy(update={"attachments": reads})
        ack = {
            "type": "ack",
            "client_id": data.client_id,
            "conversation_id": sent.conversation.id,
            "message": line.model_dump(mode="json"),
        }
        return _cors(JSONResponse(ack), origin)
    finally:
        await sent.outbox.publish(request.app.state.broker)
