"""Chats and visitors in a contact's export, erasure and merge.

A person's chats are the conversations linked to their contact and those of their visitors (their browsers).

Erasure keeps the conversation rows, because response and resolution times, volumes and CSAT count them: what
stays is status, times, team, assignee, the 1-5 rating and the number, order, kind and author (visitor, or
which agent) of the lines. Everything else goes: every line's text (agents' replies and private notes quote
the customer too), the visitor's name on their lines, sentiment scores, the idempotency keys their browser chose, the
rating comment, the link to the contact, and any column added later that is not declared kept. Visitor rows
are deleted whole (token hash, the site's user id and anything added to them later), which also unlinks the
conversations from them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case, cast, delete, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactEmail
from frontdesk.contacts.personal_data import ERASED_TEXT, PersonalDataOwner, erased_values, register, rowcount
from frontdesk.conversations.identity import do_forget_claims_of
from frontdesk.conversations.models import Attachment, AuthorType, Conversation, Invitation, Message, Visitor
from frontdesk.storage import configured


def _visitor_ids(contact_id: int) -> Any:
    return select(Visitor.id).where(
        or_(
            Visitor.contact_id == contact_id,
            Visitor.id.in_(
                select(Conversation.visitor_id).where(
                    Conversation.contact_id == contact_id, Conversation.visitor_id.is_not(None)
                )
            ),
        )
    )


def _conversation_ids(contact_id: int) -> Any:
    return select(Conversation.id).where(
        or_(Conversation.contact_id == contact_id, Conversation.visitor_id.in_(_visitor_ids(contact_id)))
    )


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    conversations = list(
        await session.scalars(
            select(Conversation).where(Conversation.id.in_(_conversation_ids(contact.id))).order_by(Conversation.id)
        )
    )
    messages: dict[int, list[dict[str, Any]]] = {c.id: [] for c in conversations}
    # The files' descriptions go with their lines; the bytes themselves are at /api/v1/attachments/{id}/content.
    files: dict[int, list[dict[str, Any]]] = {}
    for a in await session.scalars(
        select(Attachment).where(Attachment.conversation_id.in_(messages.keys())).order_by(Attachment.id)
    ):
        files.setdefault(a.message_id or 0, []).append(
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_by": a.uploaded_by,
                "created_at": a.created_at.isoformat(),
            }
        )
    for m in await session.scalars(
        select(Message)
        .where(Message.conversation_id.in_(messages.keys()))
        .order_by(Message.conversation_id, Message.seq)
    ):
        messages[m.conversation_id].append(
            {
                "seq": m.seq,
                "author_type": m.author_type,
                "author_name": m.author_name,
                "kind": m.kind,
                "body": m.body,
                "sentiment": m.sentiment,
                "created_at": m.created_at.isoformat(),
                "attachments": files.get(m.id, []),
            }
        )
    visitors = await session.scalars(
        select(Visitor).where(Visitor.id.in_(_visitor_ids(contact.id))).order_by(Visitor.id)
    )
    invitations = await session.scalars(
        select(Invitation)
        .where(or_(Invitation.contact_id == contact.id, Invitation.visitor_id.in_(_visitor_ids(contact.id))))
        .order_by(Invitation.id)
    )
    return {
        "invitations": [
            {
                "rule_id": i.rule_id,
                "page_url": i.page_url,
                "shown_at": i.shown_at.isoformat(),
                "answered_at": i.answered_at.isoformat() if i.answered_at else None,
            }
            for i in invitations
        ],
        "conversations": [
            {
                "id": c.id,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
                "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
                "csat_rating": c.csat_rating,
                "csat_comment": c.csat_comment,
                "visit": c.context,
                "messages": messages[c.id],
            }
            for c in conversations
        ],
        "visitors": [
            {
                "id": v.id,
                "external_user_id": v.external_user_id,
                "claimed_email": v.claimed_email,
                "claimed_name": v.claimed_name,
                "claimed_at": v.claimed_at.isoformat() if v.claimed_at else None,
                "claim_verified_by": v.claim_verified_by,
                "created_at": v.created_at.isoformat(),
                "last_seen_at": v.last_seen_at.isoformat(),
            }
            for v in visitors
        ],
    }


# What an erased person's chat keeps, column by column: what response and resolution times, volumes and CSAT
# count. Every other column is emptied, so a column added later (a claimed e-mail, a page URL, ...) is erased
# by default; one that cannot be emptied (NOT NULL) stops erasure until it is classified here.
CONVERSATION_KEPT = frozenset(
    {
        "id", "workspace_id", "team_id", "assignee_id", "status", "started_offline", "last_seq", "created_at",
        "last_activity_at", "first_response_at", "resolved_at", "snoozed_until", "csat_rating", "csat_agent_id",
    }
)  # fmt: skip
MESSAGE_KEPT = frozenset(
    {"id", "workspace_id", "conversation_id", "seq", "author_type", "author_agent_id", "kind", "created_at"}
)


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    conversation_ids = list(await session.scalars(_conversation_ids(contact.id)))
    visitor_ids = list(await session.scalars(_visitor_ids(contact.id)))
    # Agents' replies and private notes go too: they quote the customer and answer what they asked.
    message_values = erased_values(
        Message,
        MESSAGE_KEPT,
        {
            "body": ERASED_TEXT,
            # The browser chose these ids; they are unique per conversation, and so is the message id.
            "client_id": literal("erased-", String) + cast(Message.id, String),
            # An agent's name is the agent's, not the customer's: the inbox still says who replied.
            "author_name": case((Message.author_type == AuthorType.agent.value, Message.author_name), else_=None),
        },
    )
    lines = await session.execute(
        update(Message).where(Message.conversation_id.in_(conversation_ids)).values(message_values)
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.id.in_(conversation_ids))
        .values(erased_values(Conversation, CONVERSATION_KEPT, {"context": {}}))
    )
    # The files go with the lines they were sent in: the rows here, the bytes from the storage backend.
    keys = list(
        await session.scalars(select(Attachment.storage_key).where(Attachment.conversation_id.in_(conversation_ids)))
    )
    files = await session.execute(delete(Attachment).where(Attachment.conversation_id.in_(conversation_ids)))
    await _delete_stored_files(keys)
    # An invitation still counts in the proactive-chat report; whom it was shown to, and where, goes.
    await session.execute(
        update(Invitation)
        .where(or_(Invitation.contact_id == contact.id, Invitation.visitor_id.in_(visitor_ids)))
        .values(contact_id=None, visitor_id=None, page_url=None)
    )
    visitors = await session.execute(delete(Visitor).where(Visitor.id.in_(visitor_ids)))
    # Someone else may have typed this person's address into the widget: the claim sits on the stranger's
    # visitor row, which deleting the person's own visitors does not reach.
    emails = list(await session.scalars(select(ContactEmail.email).where(ContactEmail.contact_id == contact.id)))
    claims = await do_forget_claims_of(session=session, workspace_id=contact.workspace_id, emails=emails)
    return {
        "conversations_anonymised": len(conversation_ids),
        "messages_anonymised": rowcount(lines),
        "attachments": rowcount(files),
        "visitors": rowcount(visitors),
        "claims_by_other_visitors": claims,
    }


async def _delete_stored_files(keys: list[str]) -> None:
    """Removes the bytes now, inside the erasure, rather than after its commit.

    Erasure hooks get only a session, so the backend comes from ``frontdesk.storage.configured()``, which
    ``create_app`` points at the app's own backend (a process without an app builds the one its settings name).
    Deleting before the commit means that if the commit then fails, the rows survive without their bytes (the
    file is served as gone, and the erasure is run again); deleting after it would mean a crash in between
    leaves a person's files on disk with nothing left pointing at them, which no later erasure could find.
    """
    storage = configured()
    for key in keys:
        await storage.delete(key)


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    for model in (Visitor, Conversation, Invitation):
        await session.execute(update(model).where(model.contact_id == duplicate.id).values(contact_id=target.id))
    return {}


OWNER = register(
    PersonalDataOwner(
        domain="conversations",
        tables=frozenset({"conversations", "messages", "visitors", "attachments", "invitations"}),
        export=export,
        erase=erase,
        merge=merge,
    )
)
