"""Canned replies: saved answers an agent picks with ``/`` in the composer, with placeholders filled per use.

Placeholders are ``{{contact.first_name}}``, ``{{contact.name}}``, ``{{contact.email}}`` and ``{{agent.name}}``.
An unknown one is refused when the reply is saved (a typo would otherwise reach a customer verbatim); a value
missing when the reply is used falls back to words that still read well ("Hi there").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.conversations.identity import ANONYMOUS_NAME_PREFIX
from frontdesk.conversations.models import CannedReply, Conversation, Visitor
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.inputs import RequestModel

SHORTCUT = re.compile(r"[a-z0-9_-]{1,40}")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# What each placeholder becomes when its value is unknown at the time of use.
FALLBACKS = {"contact.first_name": "there", "contact.name": "there", "contact.email": "", "agent.name": "our team"}
PLACEHOLDERS = tuple(FALLBACKS)
MAX_BODY = 5000
PICKER_LIMIT = 20
ANONYMOUS_NAME = re.compile(re.escape(ANONYMOUS_NAME_PREFIX) + r"\d+")


def unknown_placeholders(body: str) -> list[str]:
    """The placeholders in ``body`` that are not one of ``PLACEHOLDERS``, in order of appearance."""
    return [name for name in PLACEHOLDER.findall(body) if name not in FALLBACKS]


def check_body(body: str) -> str:
    """A body that may be saved: not blank, and every placeholder known (ValueError otherwise)."""
    if not body.strip():
        raise ValueError("write the reply's text")
    unknown = unknown_placeholders(body)
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{{{unknown[0]}}}}}; use one of "
            + ", ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS)
        )
    return body


def check_shortcut(shortcut: str) -> str:
    if not SHORTCUT.fullmatch(shortcut):
        raise ValueError("1 to 40 lower-case letters, digits, '-' or '_' (e.g. shipping-time)")
    return shortcut


@dataclass(frozen=True)
class PlaceholderValues:
    """What the placeholders stand for in one conversation, for one agent; None where unknown."""

    contact_first_name: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    agent_name: str | None = None

    def value(self, name: str) -> str:
        found = {
            "contact.first_name": self.contact_first_name,
            "contact.name": self.contact_name,
            "contact.email": self.contact_email,
            "agent.name": self.agent_name,
        }.get(name)
        return found.strip() if found and found.strip() else FALLBACKS.get(name, "")


def fill_placeholders(body: str, values: PlaceholderValues) -> str:
    """``body`` with each known placeholder replaced; unknown ones (saved before validation existed) left as typed."""
    return PLACEHOLDER.sub(lambda m: values.value(m.group(1)) if m.group(1) in FALLBACKS else m.group(0), body)


async def placeholder_values(
    *, session: AsyncSession, conversation: Conversation, agent_name: str | None
) -> PlaceholderValues:
    """The conversation's contact (or, before one is known, the name the visitor gave) and the agent."""
    email = None
    if conversation.contact_id is not None:
        contact = await session.get(Contact, conversation.contact_id)
        if contact is not None:
            email = contact.primary_email
            # A chat's contact is named "Visitor 12" until the visitor is known: that is no one's first name.
            if contact.first_name or not ANONYMOUS_NAME.fullmatch(contact.name):
                first = contact.first_name or (contact.name.split()[0] if contact.name.strip() else None)
                return PlaceholderValues(first, contact.name, email, agent_name)
    claimed = None
    if conversation.visitor_id is not None:
        # Only a greeting: the typed name is never used to join records, so an unverified one is fine here.
        claimed = await session.scalar(select(Visitor.claimed_name).where(Visitor.id == conversation.visitor_id))
    first = claimed.split()[0] if claimed and claimed.strip() else None
    return PlaceholderValues(first, claimed, email, agent_name)


class CannedReplyCreate(RequestModel):
    shortcut: str = Field(max_length=40, description="Typed after / in the composer: a-z, 0-9, - and _")
    title: str = Field("", max_length=200)
    body: str = Field(
        min_length=1,
        max_length=MAX_BODY,
        description="May hold {{contact.first_name}}, {{contact.name}}, {{contact.email}}, {{agent.name}}",
    )

    @field_validator("shortcut")
    @classmethod
    def _shortcut(cls, value: str) -> str:
        return check_shortcut(value)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return check_body(value)


class CannedReplyUpdate(RequestModel):
    shortcut: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=MAX_BODY)

    @field_validator("shortcut")
    @classmethod
    def _shortcut(cls, value: str | None) -> str | None:
        return None if value is None else check_shortcut(value)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str | None) -> str | None:
        return None if value is None else check_body(value)


class CannedReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shortcut: str
    title: str
    body: str
    created_at: datetime
    updated_at: datetime


class CannedReplyPage(BaseModel):
    items: list[CannedReplyRead]
    next_cursor: str | None


async def list_canned_replies(
    *, session: AsyncSession, workspace_id: int, limit: int = 50, cursor: str | None = None
) -> tuple[list[CannedReply], str | None]:
    """By id, for paging; the console sorts by shortcut itself."""
    statement = select(CannedReply).where(CannedReply.workspace_id == workspace_id)
    if cursor:
        statement = statement.where(CannedReply.id > decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(CannedReply.id).limit(limit + 1))).all())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def get_canned_reply(*, session: AsyncSession, workspace_id: int, reply_id: int) -> CannedReply:
    reply = await session.scalar(
        select(CannedReply).where(CannedReply.id == reply_id, CannedReply.workspace_id == workspace_id)
    )
    if reply is None:
        raise NotFound(f"canned reply {reply_id} not found")
    return reply


async def _shortcut_free(session: AsyncSession, workspace_id: int, shortcut: str, except_id: int | None) -> None:
    taken = await session.scalar(
        select(CannedReply.id).where(CannedReply.workspace_id == workspace_id, CannedReply.shortcut == shortcut)
    )
    if taken is not None and taken != except_id:
        raise Conflict(f"the shortcut /{shortcut} is taken by another canned reply", field="shortcut")


async def do_create_canned_reply(*, session: AsyncSession, workspace_id: int, data: CannedReplyCreate) -> CannedReply:
    await _shortcut_free(session, workspace_id, data.shortcut, None)
    reply = CannedReply(workspace_id=workspace_id, shortcut=data.shortcut, title=data.title.strip(), body=data.body)
    session.add(reply)
    await session.flush()
    return reply


async def do_update_canned_reply(
    *, session: AsyncSession, workspace_id: int, reply_id: int, data: CannedReplyUpdate
) -> CannedReply:
    reply = await get_canned_reply(session=session, workspace_id=workspace_id, reply_id=reply_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("shortcut", "body"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be empty", field=field)
    if changes.get("shortcut") and changes["shortcut"] != reply.shortcut:
        await _shortcut_free(session, workspace_id, changes["shortcut"], reply.id)
        reply.shortcut = changes["shortcut"]
    if "title" in changes:
        reply.title = (changes["title"] or "").strip()
    if changes.get("body"):
        reply.body = changes["body"]
    await session.flush()
    return reply


async def do_delete_canned_reply(*, session: AsyncSession, workspace_id: int, reply_id: int) -> None:
    reply = await get_canned_reply(session=session, workspace_id=workspace_id, reply_id=reply_id)
    await session.delete(reply)
    await session.flush()


def _rank(reply: CannedReply, query: str) -> int | None:
    """How well ``reply`` answers what the agent typed after ``/``: lower is better; None is no match."""
    shortcut, title, body = reply.shortcut, reply.title.lower(), reply.body.lower()
    if not query:
        return 0
    checks = (
        shortcut == query,
        shortcut.startswith(query),
        title.startswith(query),
        query in shortcut,
        query in title,
        body.startswith(query),
        query in body,
    )
    return next((rank for rank, hit in enumerate(checks) if hit), None)


async def search_canned_replies(*, session: AsyncSession, workspace_id: int, query: str) -> list[CannedReply]:
    """The picker's answer: best match first, then by shortcut; at most ``PICKER_LIMIT``."""
    wanted = query.strip().lstrip("/").lower()
    replies = (
        await session.scalars(select(CannedReply).where(CannedReply.workspace_id == workspace_id).limit(2000))
    ).all()
    ranked = [(rank, reply.shortcut, reply) for reply in replies if (rank := _rank(reply, wanted)) is not None]
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [reply for _, _, reply in ranked[:PICKER_LIMIT]]
