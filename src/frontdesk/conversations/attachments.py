"""Files sent in conversations: checked by their bytes, kept in the storage backend, served only to participants.

An upload is one new message carrying the file (its body: the caption, else the file name), stored and
announced like any other message, so the widget and the inbox show it live. Agents open files with their
console session; a visitor's copy of the URL carries a signed, expiring capability instead (see ``sign``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.conversations.actions import write_agent_line
from frontdesk.conversations.models import Attachment, Conversation, Message, Visitor
from frontdesk.conversations.outbox import Outbox, conversation_channel
from frontdesk.conversations.schemas import AgentMessageCreate, AgentMessageRead, AttachmentRead, VisitorMessage
from frontdesk.conversations.visitors import do_visitor_message
from frontdesk.errors import Forbidden, InvalidInput, NotFound
from frontdesk.settings import get_settings
from frontdesk.storage import FileMissing, Storage, new_key
from frontdesk.storage.checks import INLINE_IMAGES, CheckedFile

Audience = Literal["agent", "visitor"]
# Writes the message in the caller's transaction: (its conversation, the message, whether it is new).
_Poster = Callable[[Outbox], Awaitable[tuple[Conversation, Message, bool]]]
# A visitor's link works this long after the message reached them; reloading the chat gives fresh links.
VISITOR_LINK_SECONDS = 7 * 24 * 3600
_signing_key: str | None = None


def configure_signing(secret_key: str) -> None:
    """The app's secret signs visitors' links; ``create_app`` sets it, so signing and checking agree."""
    global _signing_key
    _signing_key = secret_key


def _key() -> bytes:
    return (_signing_key or get_settings().secret_key).encode()


def sign(attachment_id: int, conversation_id: int, expires: int) -> str:
    """The capability for one file of one conversation until ``expires`` (Unix seconds)."""
    message = f"attachment:{attachment_id}:{conversation_id}:{expires}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def check_signature(attachment: Attachment, expires: str, signature: str, now: float | None = None) -> None:
    """``Forbidden`` unless the link was signed for this file and has not expired."""
    try:
        expiry = int(expires)
    except ValueError:
        raise Forbidden("this link is not valid", field="exp") from None
    expected = sign(attachment.id, attachment.conversation_id, expiry)
    if not hmac.compare_digest(expected, signature):
        raise Forbidden("this link is not valid", field="sig")
    if expiry < (time.time() if now is None else now):
        raise Forbidden("this link has expired; reload the chat for a new one", field="exp")


def file_url(attachment: Attachment, audience: Audience, now: float | None = None) -> str:
    url = f"/files/{attachment.id}/{quote(attachment.filename, safe='')}"
    if audience == "agent":
        return url
    expires = int(time.time() if now is None else now) + VISITOR_LINK_SECONDS
    return f"{url}?exp={expires}&sig={sign(attachment.id, attachment.conversation_id, expires)}"


def attachment_read(attachment: Attachment, audience: Audience) -> AttachmentRead:
    return AttachmentRead(
        id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        is_image=attachment.content_type in INLINE_IMAGES,
        url=file_url(attachment, audience),
    )


async def agent_message_views(*, session: AsyncSession, messages: Sequence[Message]) -> list[AgentMessageRead]:
    """Messages as agents read them (console and API), each with its attachments (one query for all)."""
    files = await attachments_for(session=session, messages=messages, audience="agent")
    return [
        AgentMessageRead.model_validate(message).model_copy(update={"attachments": files.get(message.id, [])})
        for message in messages
    ]


async def attachments_for(
    *, session: AsyncSession, messages: Sequence[Message], audience: Audience
) -> dict[int, list[AttachmentRead]]:
    """The attachments of ``messages`` by message id, with URLs the audience can open (one query)."""
    ids = [m.id for m in messages if m.id is not None]
    if not ids:
        return {}
    found: dict[int, list[AttachmentRead]] = {}
    rows = await session.scalars(select(Attachment).where(Attachment.message_id.in_(ids)).order_by(Attachment.id))
    for row in rows:
        assert row.message_id is not None
        found.setdefault(row.message_id, []).append(attachment_read(row, audience))
    return found


def agent_message_read(message: Message, attachments: list[AttachmentRead]) -> AgentMessageRead:
    return AgentMessageRead.model_validate(message).model_copy(update={"attachments": attachments})


async def get_attachment(*, session: AsyncSession, workspace_id: int, attachment_id: int) -> Attachment:
    attachment = await session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.workspace_id == workspace_id)
    )
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} not found")
    return attachment


async def list_attachments(
    *, session: AsyncSession, conversation: Conversation, limit: int = 50, cursor: str | None = None
) -> tuple[list[Attachment], str | None]:
    """A conversation's files, newest first (a stable key for cursors: the id)."""
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200", field="limit")
    statement = select(Attachment).where(
        Attachment.conversation_id == conversation.id, Attachment.workspace_id == conversation.workspace_id
    )
    if cursor:
        statement = statement.where(Attachment.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Attachment.id.desc()).limit(limit + 1))).all())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def read_content(storage: Storage, attachment: Attachment) -> bytes:
    try:
        return await storage.get(attachment.storage_key)
    except FileMissing:
        # The row outlived its bytes (an erasure whose commit failed after the files were removed).
        raise NotFound(f"attachment {attachment.id} is no longer stored") from None


@dataclass
class Sent:
    """A stored upload: its message (now or, for a retried client id, earlier), and the events to publish."""

    conversation: Conversation
    message: Message
    created: bool
    outbox: Outbox
    attachments: list[Attachment]


def message_body(caption: str | None, checked: CheckedFile) -> str:
    return (caption or "").strip() or checked.filename


async def send_agent_file(
    *,
    session: AsyncSession,
    storage: Storage,
    workspace_id: int,
    conversation_id: int,
    agent_id: int | None,
    checked: CheckedFile,
    data: AgentMessageCreate,
    author_name: str | None = None,
) -> Sent:
    """An agent's message carrying ``checked``, committed; the bytes are stored first (see ``_send``)."""

    async def post(outbox: Outbox) -> tuple[Conversation, Message, bool]:
        return await write_agent_line(
            session=session,
            workspace_id=workspace_id,
            conversation_id=conversation_id,
            agent_id=agent_id,
            data=data,
            author_name=author_name,
            outbox=outbox,
        )

    return await _send(session, storage, checked, post, uploaded_by="agent", agent_id=agent_id)


async def send_visitor_file(
    *, session: AsyncSession, storage: Storage, visitor_id: int, checked: CheckedFile, data: VisitorMessage
) -> Sent:
    """A visitor's message carrying ``checked``, in their current conversation (a new one if they have none)."""

    async def post(outbox: Outbox) -> tuple[Conversation, Message, bool]:
        visitor = await session.get(Visitor, visitor_id)
        if visitor is None:
            raise NotFound("unknown visitor", field="visitor_token")
        return await do_visitor_message(session=session, visitor=visitor, data=data, outbox=outbox)

    return await _send(session, storage, checked, post, uploaded_by="visitor", agent_id=None)


async def _send(
    session: AsyncSession,
    storage: Storage,
    checked: CheckedFile,
    post: _Poster,
    *,
    uploaded_by: str,
    agent_id: int | None,
) -> Sent:
    """The bytes go to storage before the rows are committed, so no message ever points at a missing file;
    if the rows are not committed (an error, or a retry that finds the first upload's message), the bytes
    are removed again."""
    key = new_key()
    await storage.put(key, checked.data, content_type=checked.content_type)
    keep = False
    try:
        for attempt in range(2):  # a lost race for the client id: the retry finds the winner's message
            outbox = Outbox()
            try:
                conversation, message, created = await post(outbox)
                if created:
                    attachment = Attachment(
                        workspace_id=conversation.workspace_id,
                        conversation_id=conversation.id,
                        message_id=message.id,
                        storage_key=key,
                        filename=checked.filename,
                        content_type=checked.content_type,
                        size=len(checked.data),
                        sha256=hashlib.sha256(checked.data).hexdigest(),
                        uploaded_by=uploaded_by,
                        agent_id=agent_id,
                    )
                    session.add(attachment)
                    await session.flush()
                    attachments = [attachment]
                else:
                    attachments = list(
                        await session.scalars(
                            select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id)
                        )
                    )
                add_attachments_to_events(outbox, message.id, conversation.id, attachments)
                await session.commit()
                keep = created
                return Sent(conversation, message, created, outbox, attachments)
            except IntegrityError:
                await session.rollback()
                if attempt:
                    raise
        raise AssertionError("unreachable")
    finally:
        if not keep:
            await storage.delete(key)


def add_attachments_to_events(
    outbox: Outbox, message_id: int, conversation_id: int, attachments: Sequence[Attachment]
) -> None:
    """Puts the files into the message events already collected: signed links on the visitor's channel,
    plain ones on the agents'."""
    visitor_channel = conversation_channel(conversation_id)
    for channel, event in outbox.events:
        payload = event.get("message")
        if event.get("type") != "message" or not isinstance(payload, dict) or payload.get("id") != message_id:
            continue
        audience: Audience = "visitor" if channel == visitor_channel else "agent"
        payload["attachments"] = [attachment_read(a, audience).model_dump(mode="json") for a in attachments]
