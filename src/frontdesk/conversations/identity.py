"""Who a visitor says they are, and how that becomes known before any records join.

An e-mail address (and name) typed into the widget is a claim: it is kept on the visitor, shown to agents
as unverified, and never used to find, join or reveal another contact. It becomes verified in one of three
ways, and only then may the visitor's contact be merged into the contact that owns the address:
- the address's owner opens the link e-mailed to it (signed like the survey links, plus a MAC of this exact
  claim: a later claim by the same visitor makes the old link useless);
- an agent merges by hand from the conversation;
- the address already belongs to the visitor's own contact (which only ever joins on verified identity).
A site's signed ``user_hash`` is the fourth, handled where visitors start (``visitors.do_start_visitor``).

Addresses nobody owns stay on the claim, not on the visitor's contact, until verified: an unverified
address on a contact would later match imports, orders and other claims as if it were true.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.merge import do_merge_contacts
from frontdesk.contacts.models import Contact, ContactEmail
from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact, get_contact
from frontdesk.contacts.validation import email_key, normalize_email
from frontdesk.conversations.models import AuthorType, Conversation, Message, Visitor
from frontdesk.conversations.schemas import IdentityClaimRead
from frontdesk.conversations.visits import attribute_referral
from frontdesk.db import utcnow
from frontdesk.errors import Conflict, InvalidInput
from frontdesk.feedback.links import InvalidLink, read_link, sign_link
from frontdesk.feedback.models import EmailStatus, OutboxEmail
from frontdesk.settings import get_settings
from frontdesk.workspaces.models import Workspace

VERIFY_PURPOSE = "identity"
VERIFY_VALID_FOR = timedelta(days=3)
MAIL_INTERVAL = timedelta(minutes=15)
ANONYMOUS_NAME_PREFIX = "Visitor "


@dataclass(frozen=True)
class Confirmation:
    contact_id: int | None
    # The visitor's former contact, merged into ``contact_id`` now; None when nothing was merged.
    merged_contact_id: int | None
    already_verified: bool


async def owner_of(*, session: AsyncSession, workspace_id: int, email: str) -> int | None:
    """The contact that holds this address in the workspace, if any (addresses are unique per workspace)."""
    return await session.scalar(
        select(ContactEmail.contact_id).where(
            ContactEmail.workspace_id == workspace_id, ContactEmail.email_normalized == email_key(email)
        )
    )


def anonymous_name(visitor: Visitor) -> str:
    return f"{ANONYMOUS_NAME_PREFIX}{visitor.id}"


async def do_claim_identity(*, session: AsyncSession, visitor: Visitor, email: str, name: str | None) -> None:
    """Record what the visitor typed, as unverified; queue the confirmation e-mail when mail is set up.

    Raises ``ValueError`` for an address that is not one.
    """
    address = normalize_email(email)
    if name:
        visitor.claimed_name = name
    if visitor.claimed_email is not None and email_key(visitor.claimed_email) == email_key(address):
        return  # the same claim again (every offline message may carry it): nothing new to verify or send
    now = utcnow()
    visitor.claimed_email, visitor.claimed_at = address, now
    visitor.claim_verified_at = visitor.claim_verified_by = None
    owner_id = await owner_of(session=session, workspace_id=visitor.workspace_id, email=address)
    if owner_id is not None and owner_id == visitor.contact_id:
        visitor.claim_verified_at, visitor.claim_verified_by = now, "contact"
    elif get_settings().smtp_url and not await _recently_mailed(session, visitor.workspace_id, address):
        await _queue_confirmation_email(session, visitor)
    await session.flush()


def verification_token(visitor: Visitor) -> str:
    """The link token for the visitor's current claim: a signed link (workspace, visitor, expiry) followed by
    a MAC of exactly this claim (address and the instant it was made), so it confirms nothing else."""
    assert visitor.claimed_at is not None
    link = sign_link(
        workspace_id=visitor.workspace_id,
        purpose=VERIFY_PURPOSE,
        subject_id=visitor.id,
        valid_for=VERIFY_VALID_FOR,
        now=visitor.claimed_at,
    )
    return f"{link}.{_claim_mac(visitor)}"


def _claim_mac(visitor: Visitor) -> str:
    assert visitor.claimed_email is not None and visitor.claimed_at is not None
    key = hmac.new(
        get_settings().secret_key.encode(), f"identity-claims:{visitor.workspace_id}".encode(), hashlib.sha256
    ).digest()
    claim = f"{visitor.id}:{email_key(visitor.claimed_email)}:{visitor.claimed_at.astimezone(UTC).isoformat()}"
    return base64.urlsafe_b64encode(hmac.new(key, claim.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()


def verification_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/verify/{token}"


async def _recently_mailed(session: AsyncSession, workspace_id: int, address: str) -> bool:
    """Anyone can type any address, as often as new visitors can be made: one confirmation e-mail per address
    and ``MAIL_INTERVAL`` keeps Frontdesk from being used to flood someone's mailbox."""
    recent = await session.scalar(
        select(OutboxEmail.id)
        .where(
            OutboxEmail.workspace_id == workspace_id,
            OutboxEmail.purpose == VERIFY_PURPOSE,
            func.lower(OutboxEmail.to_address) == address.lower(),
            OutboxEmail.created_at > utcnow() - MAIL_INTERVAL,
        )
        .limit(1)
    )
    return recent is not None


async def _queue_confirmation_email(session: AsyncSession, visitor: Visitor) -> None:
    workspace_name = await session.scalar(select(Workspace.name).where(Workspace.id == visitor.workspace_id)) or ""
    url = verification_url(get_settings().public_url, verification_token(visitor))
    days = VERIFY_VALID_FOR.days
    fields = {
        "to_address": visitor.claimed_email,
        "subject": f"{workspace_name}: confirm your e-mail address",
        "body": (
            f"Hello,\n\nSomeone chatting with {workspace_name} gave this address. If it was you, confirm it "
            f"here so they can link the chat to your records:\n{url}\n\n"
            f"The link works for {days} days. If it was not you, ignore this e-mail: nothing is linked.\n"
        ),
        "status": EmailStatus.pending.value,
        "last_error": None,
        "sent_at": None,
        "created_at": utcnow(),
    }
    # One row per visitor (the outbox is unique per purpose and subject): a new claim replaces the last one.
    existing = await session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.workspace_id == visitor.workspace_id,
            OutboxEmail.purpose == VERIFY_PURPOSE,
            OutboxEmail.subject_id == visitor.id,
        )
    )
    if existing is None:
        session.add(
            OutboxEmail(workspace_id=visitor.workspace_id, purpose=VERIFY_PURPOSE, subject_id=visitor.id, **fields)
        )
    else:
        for key, value in fields.items():
            setattr(existing, key, value)


async def visitor_for_link(*, session: AsyncSession, token: str) -> Visitor:
    """The visitor whose current claim this genuine, unexpired link confirms; ``InvalidLink`` otherwise."""
    link, _, mac = token.rpartition(".")
    claims = read_link(link, purpose=VERIFY_PURPOSE)
    visitor = await session.scalar(
        select(Visitor)
        .where(Visitor.id == claims.subject_id, Visitor.workspace_id == claims.workspace_id)
        .with_for_update()
    )
    if visitor is None or visitor.claimed_email is None:
        raise InvalidLink("this link is not valid")
    if not hmac.compare_digest(_claim_mac(visitor), mac):
        raise InvalidLink("this link was for an earlier address; use the newest e-mail you received")
    return visitor


async def do_confirm_claim(*, session: AsyncSession, visitor: Visitor, how: str, actor: str) -> Confirmation:
    """The claim is now verified: the visitor's contact joins the address's owner, or gets the address.

    Idempotent: confirming a verified claim again changes nothing.
    """
    if visitor.claimed_email is None:
        raise InvalidInput("this visitor has not given an e-mail address", field="email")
    if visitor.claim_verified_at is not None:
        # Even when its contact has since been erased: a replayed link must not bring the address back.
        return Confirmation(contact_id=visitor.contact_id, merged_contact_id=None, already_verified=True)
    workspace_id = visitor.workspace_id
    owner_id = await owner_of(session=session, workspace_id=workspace_id, email=visitor.claimed_email)
    merged = None
    if owner_id is None:
        contact = await _own_contact(session, visitor)
        session.add(
            ContactEmail(
                workspace_id=workspace_id,
                contact_id=contact.id,
                email=visitor.claimed_email,
                email_normalized=email_key(visitor.claimed_email),
                position=len(contact.emails),
            )
        )
        if visitor.claimed_name and contact.name == anonymous_name(visitor):
            contact.name = visitor.claimed_name
        owner_id = contact.id
    elif owner_id != visitor.contact_id:
        owner = await get_contact(session=session, workspace_id=workspace_id, contact_id=owner_id)
        if visitor.contact_id is not None:
            merged = visitor.contact_id
            duplicate = await get_contact(session=session, workspace_id=workspace_id, contact_id=merged)
            await move_chats(session, workspace_id=workspace_id, from_contact_id=merged, to_contact_id=owner_id)
            await do_merge_contacts(session=session, target=owner, duplicate=duplicate, actor=actor)
        visitor.contact_id = owner_id
    visitor.claim_verified_at, visitor.claim_verified_by = utcnow(), how
    await attribute_referral(session, visitor)  # the browser came by a referral link: its contact counts now
    await session.flush()
    return Confirmation(contact_id=owner_id, merged_contact_id=merged, already_verified=False)


async def do_agent_confirm(
    *, session: AsyncSession, conversation: Conversation, expected_email: str, actor: str
) -> Confirmation:
    """An agent vouches for the claim shown on the conversation (``expected_email``, what they saw)."""
    visitor = (
        await session.scalar(select(Visitor).where(Visitor.id == conversation.visitor_id).with_for_update())
        if conversation.visitor_id is not None
        else None
    )
    if visitor is None or visitor.claimed_email is None:
        raise InvalidInput("the visitor of this conversation has not given an e-mail address", field="email")
    if email_key(visitor.claimed_email) != email_key(expected_email):
        raise Conflict("the visitor has given another address since this page was loaded; reload it", field="email")
    return await do_confirm_claim(session=session, visitor=visitor, how="agent", actor=actor)


async def move_chats(session: AsyncSession, *, workspace_id: int, from_contact_id: int, to_contact_id: int) -> None:
    """Visitors and conversations of a contact about to be merged away follow it (deleting it would orphan them)."""
    for model in (Visitor, Conversation):
        await session.execute(
            update(model)
            .where(model.workspace_id == workspace_id, model.contact_id == from_contact_id)
            .values(contact_id=to_contact_id)
        )


async def _own_contact(session: AsyncSession, visitor: Visitor) -> Contact:
    if visitor.contact_id is not None:
        return await get_contact(session=session, workspace_id=visitor.workspace_id, contact_id=visitor.contact_id)
    contact = await do_create_contact(
        session=session,
        workspace_id=visitor.workspace_id,
        data=ContactCreate(name=visitor.claimed_name or anonymous_name(visitor), stage="prospect", tags=["chat"]),
        actor="widget",
    )
    visitor.contact_id = contact.id
    return contact


async def do_forget_claims_of(*, session: AsyncSession, workspace_id: int, emails: list[str]) -> int:
    """Erasure: claims of these addresses, by any visitor, and their confirmation e-mails go; how many claims.

    Meant for the contacts registry's erase hook: a stranger who typed an erased person's address holds that
    person's data on their own visitor row, which erasing the person's own visitors does not reach. The name
    typed with the address went onto the stranger's own contact and chat lines too: where it is still there,
    it goes with the claim (the contact takes its anonymous name again).
    """
    keys = sorted({email_key(email) for email in emails})
    if not keys:
        return 0
    claimants = list(
        await session.scalars(
            select(Visitor).where(Visitor.workspace_id == workspace_id, func.lower(Visitor.claimed_email).in_(keys))
        )
    )
    for visitor in claimants:
        if visitor.claimed_name:
            await _forget_claimed_name(session, visitor, visitor.claimed_name)
        visitor.claimed_email = visitor.claimed_name = None
        visitor.claimed_at = visitor.claim_verified_at = visitor.claim_verified_by = None
    await session.execute(
        delete(OutboxEmail).where(
            OutboxEmail.workspace_id == workspace_id,
            OutboxEmail.purpose == VERIFY_PURPOSE,
            func.lower(OutboxEmail.to_address).in_(keys),
        )
    )
    await session.flush()
    return len(claimants)


async def _forget_claimed_name(session: AsyncSession, visitor: Visitor, name: str) -> None:
    if visitor.contact_id is not None:
        await session.execute(
            update(Contact)
            .where(Contact.id == visitor.contact_id, Contact.name == name)
            .values(name=anonymous_name(visitor))
        )
    await session.execute(
        update(Message)
        .where(
            Message.conversation_id.in_(select(Conversation.id).where(Conversation.visitor_id == visitor.id)),
            Message.author_type == AuthorType.visitor.value,
            Message.author_name == name,
        )
        .values(author_name=None)
    )


async def claim_read(*, session: AsyncSession, conversation: Conversation) -> IdentityClaimRead | None:
    """The claim of the conversation's visitor, as agents see it."""
    if conversation.visitor_id is None:
        return None
    visitor = await session.get(Visitor, conversation.visitor_id)
    if visitor is None or visitor.claimed_email is None or visitor.claimed_at is None:
        return None
    verified = visitor.claim_verified_at is not None
    matches, email_status = None, None
    if not verified:
        # One round trip: this runs for every conversation an inbox lists.
        owner_id, email_status = (
            await session.execute(
                select(
                    select(ContactEmail.contact_id)
                    .where(
                        ContactEmail.workspace_id == visitor.workspace_id,
                        ContactEmail.email_normalized == email_key(visitor.claimed_email),
                    )
                    .scalar_subquery(),
                    select(OutboxEmail.status)
                    .where(
                        OutboxEmail.workspace_id == visitor.workspace_id,
                        OutboxEmail.purpose == VERIFY_PURPOSE,
                        OutboxEmail.subject_id == visitor.id,
                    )
                    .scalar_subquery(),
                )
            )
        ).one()
        matches = owner_id if owner_id != conversation.contact_id else None
    return IdentityClaimRead(
        email=visitor.claimed_email,
        name=visitor.claimed_name,
        claimed_at=visitor.claimed_at,
        verified=verified,
        verified_at=visitor.claim_verified_at,
        verified_by=visitor.claim_verified_by,
        matches_contact_id=matches,
        verification_email=email_status,
    )
