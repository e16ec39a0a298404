"""Website visitors: the widget's settings, who a visitor is, and what they write."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import security
from frontdesk.contacts.merge import do_merge_contacts
from frontdesk.contacts.models import ContactEmail
from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact, get_contact
from frontdesk.conversations import identity, invitations, routing, service
from frontdesk.conversations.models import (
    AuthorType,
    ChatSettings,
    Conversation,
    Invitation,
    InvitationRule,
    Message,
    Team,
    Visitor,
)
from frontdesk.conversations.outbox import Outbox, inbox_channel
from frontdesk.conversations.queries import conversation_event
from frontdesk.conversations.schemas import VisitorMessage
from frontdesk.conversations.service import do_post_message
from frontdesk.conversations.visits import attribute_referral, current_conversation, owned_conversation, owner_ids
from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput, NotFound

VISITOR_TOKEN_PREFIX = "fdv_"
MAX_USER_ID = 200  # visitors.external_user_id
# A page load after this long without one starts another visit: the visitor is then a returning one.
VISIT_GAP = timedelta(minutes=30)


@dataclass(frozen=True)
class VisitorSession:
    visitor: Visitor
    # Set only when a new visitor token was issued: the widget stores it in localStorage.
    new_token: str | None
    identity_verified: bool
    identity_error: str | None


async def get_chat_settings(*, session: AsyncSession, workspace_id: int) -> ChatSettings:
    settings = await session.get(ChatSettings, workspace_id)
    if settings is None:
        settings = ChatSettings(
            workspace_id=workspace_id,
            widget_token="fdw_" + secrets.token_urlsafe(18),
            identity_secret=secrets.token_urlsafe(32),
            allowed_origins=[],
        )
        session.add(settings)
        await session.flush()
    return settings


async def settings_for_widget_token(*, session: AsyncSession, token: str) -> ChatSettings:
    settings = await session.scalar(select(ChatSettings).where(ChatSettings.widget_token == token))
    if settings is None:
        raise NotFound("unknown widget token", field="widget_token")
    return settings


def normalize_origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"{value!r} is not an origin like https://shop.example", field="allowed_origins")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def origin_allowed(settings: ChatSettings, origin: str | None) -> bool:
    if not origin:
        return False
    try:
        return normalize_origin(origin) in settings.allowed_origins
    except InvalidInput:
        return False


def user_hash(identity_secret: str, user_id: str) -> str:
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def do_start_visitor(
    *,
    session: AsyncSession,
    settings: ChatSettings,
    visitor_token: str | None,
    user_id: str | None = None,
    given_hash: str | None = None,
    page_load: bool = False,
) -> VisitorSession:
    """The visitor behind ``visitor_token``, or a new one; identified when ``user_hash`` proves ``user_id``.

    ``page_load``: called for a page the visitor opened (not a socket reconnecting), which counts their visits.
    """
    visitor = None
    if visitor_token:
        visitor = await session.scalar(
            select(Visitor).where(
                Visitor.token_hash == security.token_digest(visitor_token),
                Visitor.workspace_id == settings.workspace_id,
            )
        )
    proven = bool(user_id and _hash_proves(settings, user_id, given_hash))
    if visitor is not None and proven and visitor.external_user_id not in (None, user_id):
        # Another signed-in user on a browser proven to be someone else's: a fresh visitor, so the first
        # user's conversations are not shown to the second.
        visitor = None
    new_token = None
    if visitor is None:
        new_token = VISITOR_TOKEN_PREFIX + secrets.token_urlsafe(24)
        visitor = Visitor(workspace_id=settings.workspace_id, token_hash=security.token_digest(new_token), sessions=1)
        session.add(visitor)
    elif page_load and visitor.last_seen_at < utcnow() - VISIT_GAP:
        visitor.sessions = (visitor.sessions or 1) + 1
    visitor.last_seen_at = utcnow()
    verified, error = False, None
    if user_id:
        if proven:
            verified = True
            if visitor.external_user_id != user_id:
                visitor.external_user_id = user_id
                await _adopt_identified_contact(session, visitor)
        else:
            error = (
                f"user_id is longer than {MAX_USER_ID} characters; continuing as an anonymous visitor"
                if len(user_id) > MAX_USER_ID
                else "user_hash does not match user_id; continuing as an anonymous visitor"
            )
    await session.flush()
    return VisitorSession(visitor=visitor, new_token=new_token, identity_verified=verified, identity_error=error)


def _hash_proves(settings: ChatSettings, user_id: str, given_hash: object) -> bool:
    """Whatever the page sent (any JSON value, any length) either proves the id or does not; never an error."""
    if not isinstance(given_hash, str) or len(user_id) > MAX_USER_ID:
        return False
    expected = user_hash(settings.identity_secret, user_id).encode()
    return hmac.compare_digest(expected, given_hash.strip().lower().encode())


async def _adopt_identified_contact(session: AsyncSession, visitor: Visitor) -> None:
    """A proven user id: the contact of the same user's other browsers takes this browser over.

    Verified identity, so records may join: the anonymous contact this browser chatted under before signing
    in (no address of its own, no other browser) is merged into the user's contact, its chats with it.
    """
    known = await session.scalar(
        select(Visitor.contact_id)
        .where(
            Visitor.workspace_id == visitor.workspace_id,
            Visitor.external_user_id == visitor.external_user_id,
            Visitor.contact_id.is_not(None),
            Visitor.id != visitor.id,
        )
        .limit(1)
    )
    if known is None or known == visitor.contact_id:
        return
    previous, visitor.contact_id = visitor.contact_id, known
    await attribute_referral(session, visitor)
    if previous is not None and await _only_anonymous(session, visitor, previous):
        await session.flush()
        await identity.move_chats(
            session, workspace_id=visitor.workspace_id, from_contact_id=previous, to_contact_id=known
        )
        target = await get_contact(session=session, workspace_id=visitor.workspace_id, contact_id=known)
        duplicate = await get_contact(session=session, workspace_id=visitor.workspace_id, contact_id=previous)
        await do_merge_contacts(session=session, target=target, duplicate=duplicate, actor="widget (user_hash)")


async def _only_anonymous(session: AsyncSession, visitor: Visitor, contact_id: int) -> bool:
    """The contact exists only for this browser: no e-mail address, no other visitor."""
    has_email = await session.scalar(select(ContactEmail.id).where(ContactEmail.contact_id == contact_id).limit(1))
    others = await session.scalar(
        select(Visitor.id).where(Visitor.contact_id == contact_id, Visitor.id != visitor.id).limit(1)
    )
    return has_email is None and others is None


async def _ensure_contact(session: AsyncSession, visitor: Visitor, name: str | None) -> int:
    if visitor.contact_id is not None:
        return visitor.contact_id
    contact = await do_create_contact(
        session=session,
        workspace_id=visitor.workspace_id,
        data=ContactCreate(name=name or identity.anonymous_name(visitor), stage="prospect", tags=["chat"]),
        actor="widget",
    )
    visitor.contact_id = contact.id
    await attribute_referral(session, visitor)
    return contact.id


async def do_link_email(*, session: AsyncSession, visitor: Visitor, email: str, name: str | None) -> int:
    """Keep the address the visitor typed as their unverified claim (see ``identity``); their contact's id.

    Nothing is merged and no other contact is looked at for access: records join only once the claim is
    verified (the e-mailed link, an agent, or the site's ``user_hash``).
    """
    contact_id = await _ensure_contact(session, visitor, name)
    await identity.do_claim_identity(session=session, visitor=visitor, email=email, name=name)
    return contact_id


async def _open_conversation(
    session: AsyncSession, visitor: Visitor, data: VisitorMessage, context: dict[str, Any], team_key: str | None
) -> Conversation:
    """A new conversation for the visitor's contact, routed to the chosen team and, if possible, an agent."""
    contact_id = await _ensure_contact(session, visitor, data.name)
    team = await routing.get_team(session=session, workspace_id=visitor.workspace_id, key=team_key)
    online = await routing.online_agent_ids(session=session, workspace_id=visitor.workspace_id, team_id=team.id)
    conversation = Conversation(
        workspace_id=visitor.workspace_id,
        visitor_id=visitor.id,
        contact_id=contact_id,
        team_id=team.id,
        assignee_id=await routing.pick_assignee(session=session, team=team, online=online),
        started_offline=not online,
        context=context,
    )
    session.add(conversation)
    await session.flush()
    await service.emit_conversation(session=session, conversation=conversation, event_type="conversation.created")
    return conversation


async def _invitation(session: AsyncSession, visitor: Visitor, invitation_id: int) -> tuple[Invitation, InvitationRule]:
    row = (
        await session.execute(
            select(Invitation, InvitationRule)
            .join(InvitationRule, InvitationRule.id == Invitation.rule_id)
            .where(
                Invitation.id == invitation_id,
                Invitation.workspace_id == visitor.workspace_id,
                Invitation.visitor_id == visitor.id,
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"no invitation {invitation_id} for this visitor", field="invitation_id")
    return row[0], row[1]


async def _answer_invitation(
    session: AsyncSession, visitor: Visitor, data: VisitorMessage, context: dict[str, Any], outbox: Outbox
) -> Conversation:
    """The conversation of an answered invitation: it starts with the invitation's line, from its team."""
    assert data.invitation_id is not None
    invitation, rule = await _invitation(session, visitor, data.invitation_id)
    if invitation.conversation_id is not None:  # answered already (a retried send): the same conversation
        conversation = await session.get(Conversation, invitation.conversation_id)
        if conversation is not None:
            return conversation
    team = await session.get(Team, rule.team_id) if rule.team_id is not None else None
    conversation = await _open_conversation(session, visitor, data, context, team.key if team else data.team)
    first_response_at = conversation.first_response_at
    await do_post_message(
        session=session,
        conversation=conversation,
        author_type=AuthorType.agent,
        client_id=f"invitation-{invitation.id}",
        body=rule.message,
        outbox=outbox,
        author_name=team.name if team else None,
    )
    # The business spoke first, unasked: that is no response to the visitor, whose wait starts with their line.
    conversation.first_response_at = first_response_at
    await invitations.mark_answered(
        session=session, visitor=visitor, invitation_id=invitation.id, conversation_id=conversation.id
    )
    invitation.conversation_id = conversation.id
    invitation.answered_at = invitation.answered_at or utcnow()
    await session.flush()
    return conversation


async def _target_conversation(
    session: AsyncSession, visitor: Visitor, data: VisitorMessage, context: dict[str, Any], outbox: Outbox
) -> tuple[Conversation, bool]:
    """Where the visitor's line goes, and whether the conversation was opened for it."""
    if data.conversation_id is not None:
        return await owned_conversation(session=session, visitor=visitor, conversation_id=data.conversation_id), False
    if data.new_conversation or data.invitation_id is not None:
        # A resent line that opened a conversation before (its answer was lost): it goes where it went then.
        earlier = await session.scalar(
            select(Conversation)
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Conversation.visitor_id.in_(owner_ids(visitor)), Message.client_id == data.client_id)
            .limit(1)
        )
        if earlier is not None:
            return earlier, False
    if data.invitation_id is not None:
        return await _answer_invitation(session, visitor, data, context, outbox), True
    conversation = None if data.new_conversation else await current_conversation(session=session, visitor=visitor)
    if conversation is not None:
        return conversation, False
    return await _open_conversation(session, visitor, data, context, data.team), True


async def _link_email(session: AsyncSession, visitor: Visitor, data: VisitorMessage) -> bool:
    """Whether the visitor's claim changed (agents then get the conversation again, with the claim)."""
    if not data.email:
        return False
    before = (visitor.claimed_email, visitor.claimed_name)
    try:
        await do_link_email(session=session, visitor=visitor, email=data.email, name=data.name)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="email") from None
    return (visitor.claimed_email, visitor.claimed_name) != before


async def do_visitor_message(
    *,
    session: AsyncSession,
    visitor: Visitor,
    data: VisitorMessage,
    outbox: Outbox,
    context: dict[str, Any] | None = None,
) -> tuple[Conversation, Message, bool]:
    """Store what the visitor wrote: starts, or reopens, their conversation and routes it to a team.

    ``context``: the visit's checked context (visit_context), kept with a conversation this line starts.
    """
    conversation, opened = await _target_conversation(session, visitor, data, context or {}, outbox)
    if opened:
        await _link_email(session, visitor, data)
    message, created = await do_post_message(
        session=session,
        conversation=conversation,
        author_type=AuthorType.visitor,
        client_id=data.client_id,
        body=data.body,
        outbox=outbox,
        author_name=data.name,
    )
    if not created:
        return conversation, message, False
    claim_changed = not opened and await _link_email(session, visitor, data)
    if opened or claim_changed or (visitor.contact_id and conversation.contact_id != visitor.contact_id):
        conversation.contact_id = visitor.contact_id
        await session.flush()
        outbox.add(
            inbox_channel(conversation.workspace_id),
            await conversation_event(session=session, conversation=conversation),
        )
    return conversation, message, True
