"""What a visitor types is a claim: it never joins records, until the address's owner or an agent confirms it."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactEmail, ContactEvent
from frontdesk.conversations.identity import VERIFY_PURPOSE, claim_read, do_forget_claims_of, verification_token
from frontdesk.conversations.models import Conversation, Visitor
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.queries import list_messages
from frontdesk.conversations.schemas import VisitorMessage
from frontdesk.conversations.visitors import (
    current_conversation,
    do_start_visitor,
    do_visitor_message,
    get_chat_settings,
    user_hash,
)
from frontdesk.feedback.links import sign_link
from frontdesk.feedback.models import OutboxEmail
from frontdesk.settings import get_settings
from tests.factories import WorkspaceHandle

OWNER_EMAIL = "owner@shop.example"


async def _visitor(session: AsyncSession, workspace: WorkspaceHandle, token: str | None = None) -> Visitor:
    settings = await get_chat_settings(session=session, workspace_id=workspace.id)
    return (await do_start_visitor(session=session, settings=settings, visitor_token=token)).visitor


async def _owner_with_history(session: AsyncSession, workspace: WorkspaceHandle) -> tuple[int, Conversation]:
    """A known customer who chatted before, from their own browser (their contact holds the address)."""
    owner = await workspace.contact(name="Olga Owner", emails=[OWNER_EMAIL])
    browser = await _visitor(session, workspace)
    browser.contact_id = owner
    conversation, _, _ = await do_visitor_message(
        session=session, visitor=browser, data=VisitorMessage(body="my card ends in 4242"), outbox=Outbox()
    )
    await session.commit()
    return owner, conversation


@pytest.fixture
def mail_configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FRONTDESK_SMTP_URL", "smtp://127.0.0.1:9")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("when", ["first message", "later message"])
async def test_typing_someone_elses_address_neither_merges_nor_reveals_their_history(
    session: AsyncSession, workspace: WorkspaceHandle, when: str
) -> None:
    owner, owners_conversation = await _owner_with_history(session, workspace)
    settings = await get_chat_settings(session=session, workspace_id=workspace.id)
    started = await do_start_visitor(session=session, settings=settings, visitor_token=None)
    assert started.new_token is not None
    intruder = started.visitor
    if when == "later message":
        await do_visitor_message(session=session, visitor=intruder, data=VisitorMessage(body="hi"), outbox=Outbox())
    conversation, _, _ = await do_visitor_message(
        session=session,
        visitor=intruder,
        data=VisitorMessage(body="it's me, Olga", email="OWNER@shop.example", name="Olga"),
        outbox=Outbox(),
    )
    await session.commit()

    assert intruder.contact_id not in (None, owner) and conversation.contact_id == intruder.contact_id
    assert await session.scalar(select(func.count(Contact.id))) == 2  # nobody merged
    owner_emails = await session.scalars(select(ContactEmail.email).where(ContactEmail.contact_id == owner))
    assert list(owner_emails) == [OWNER_EMAIL]
    intruder_emails = await session.scalar(
        select(func.count(ContactEmail.id)).where(ContactEmail.contact_id == intruder.contact_id)
    )
    assert intruder_emails == 0  # an unverified address is not put on a contact either
    assert (intruder.claimed_email or "").lower() == OWNER_EMAIL and intruder.claimed_at is not None
    assert intruder.claim_verified_at is None
    assert owners_conversation.contact_id == owner

    claim = await claim_read(session=session, conversation=conversation)
    assert claim is not None and not claim.verified and claim.matches_contact_id == owner
    assert claim.name == "Olga" and claim.verification_email is None  # no mail server in this test

    # The next page load (same browser token) sees only the intruder's own conversation.
    again = await do_start_visitor(session=session, settings=settings, visitor_token=started.new_token)
    shown = await current_conversation(session=session, visitor=again.visitor)
    assert shown is not None and shown.id == conversation.id
    bodies = [m.body for m in await list_messages(session=session, conversation=shown, include_notes=False)]
    assert "my card ends in 4242" not in bodies


async def test_an_address_nobody_owns_stays_a_claim(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    visitor = await _visitor(session, workspace)
    conversation, _, _ = await do_visitor_message(
        session=session,
        visitor=visitor,
        data=VisitorMessage(body="call me back", email="new@shop.example"),
        outbox=Outbox(),
    )
    await session.commit()
    assert await session.scalar(select(func.count(ContactEmail.id))) == 0
    claim = await claim_read(session=session, conversation=conversation)
    assert claim is not None and claim.email == "new@shop.example"
    assert not claim.verified and claim.matches_contact_id is None


async def test_the_same_claim_again_changes_nothing_and_a_new_one_starts_over(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    visitor = await _visitor(session, workspace)
    await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="a", email="one@shop.example"), outbox=Outbox()
    )
    first_at = visitor.claimed_at
    await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="b", email="ONE@shop.example"), outbox=Outbox()
    )
    assert visitor.claimed_at == first_at
    await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="c", email="two@shop.example"), outbox=Outbox()
    )
    assert visitor.claimed_email == "two@shop.example" and visitor.claimed_at != first_at


async def test_the_address_of_the_visitors_own_contact_counts_as_verified(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    _, conversation = await _owner_with_history(session, workspace)
    browser = await session.get(Visitor, conversation.visitor_id)
    assert browser is not None
    await do_visitor_message(
        session=session, visitor=browser, data=VisitorMessage(body="again", email=OWNER_EMAIL), outbox=Outbox()
    )
    claim = await claim_read(session=session, conversation=conversation)
    assert claim is not None and claim.verified and claim.verified_by == "contact"


async def test_user_hash_lets_the_users_contact_take_over_the_anonymous_one(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    settings = await get_chat_settings(session=session, workspace_id=workspace.id)
    proof = user_hash(settings.identity_secret, "u-7")
    laptop = await do_start_visitor(
        session=session, settings=settings, visitor_token=None, user_id="u-7", given_hash=proof
    )
    await do_visitor_message(
        session=session, visitor=laptop.visitor, data=VisitorMessage(body="laptop"), outbox=Outbox()
    )
    phone = await do_start_visitor(session=session, settings=settings, visitor_token=None)
    anonymous_chat, _, _ = await do_visitor_message(
        session=session, visitor=phone.visitor, data=VisitorMessage(body="phone, not signed in"), outbox=Outbox()
    )
    anonymous_contact = phone.visitor.contact_id
    await session.commit()
    assert anonymous_contact != laptop.visitor.contact_id

    signed_in = await do_start_visitor(
        session=session, settings=settings, visitor_token=phone.new_token, user_id="u-7", given_hash=proof
    )
    await session.commit()
    assert signed_in.identity_verified and signed_in.visitor.id == phone.visitor.id
    assert signed_in.visitor.contact_id == laptop.visitor.contact_id
    await session.refresh(anonymous_chat)
    assert anonymous_chat.contact_id == laptop.visitor.contact_id
    assert await session.get(Contact, anonymous_contact) is None  # merged: verified identity


async def test_a_browser_proven_to_be_one_user_starts_afresh_for_another(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    settings = await get_chat_settings(session=session, workspace_id=workspace.id)
    first = await do_start_visitor(
        session=session,
        settings=settings,
        visitor_token=None,
        user_id="ann",
        given_hash=user_hash(settings.identity_secret, "ann"),
    )
    await do_visitor_message(session=session, visitor=first.visitor, data=VisitorMessage(body="ann's"), outbox=Outbox())
    second = await do_start_visitor(
        session=session,
        settings=settings,
        visitor_token=first.new_token,
        user_id="bob",
        given_hash=user_hash(settings.identity_secret, "bob"),
    )
    await session.commit()
    assert second.new_token is not None and second.visitor.id != first.visitor.id
    assert await current_conversation(session=session, visitor=second.visitor) is None


async def _claim_with_link(
    session: AsyncSession, workspace: WorkspaceHandle, email: str
) -> tuple[Visitor, Conversation, str]:
    visitor = await _visitor(session, workspace)
    conversation, _, _ = await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="offline question", email=email), outbox=Outbox()
    )
    await session.commit()
    sent = await session.scalar(
        select(OutboxEmail).where(OutboxEmail.purpose == VERIFY_PURPOSE, OutboxEmail.subject_id == visitor.id)
    )
    assert sent is not None and sent.to_address == email
    match = re.search(r"/verify/(\S+)", sent.body)
    assert match
    return visitor, conversation, match.group(1)


async def test_the_emailed_link_merges_exactly_once(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle, mail_configured: None
) -> None:
    owner, _ = await _owner_with_history(session, workspace)
    visitor, conversation, token = await _claim_with_link(session, workspace, OWNER_EMAIL)
    anonymous_contact = visitor.contact_id

    page = await client.get(f"/verify/{token}")
    assert page.status_code == 200 and OWNER_EMAIL in page.text and "Yes, this is my address" in page.text
    await session.refresh(visitor)
    assert visitor.claim_verified_at is None  # opening the page is not confirming

    confirmed = await client.post(f"/verify/{token}")
    assert confirmed.status_code == 200 and "Thank you" in confirmed.text
    replay = await client.post(f"/verify/{token}")
    assert replay.status_code == 200 and "Already confirmed" in replay.text

    await session.refresh(visitor)
    await session.refresh(conversation)
    assert visitor.contact_id == owner and visitor.claim_verified_by == "link"
    assert conversation.contact_id == owner
    assert await session.get(Contact, anonymous_contact) is None
    merges = await session.scalar(
        select(func.count(ContactEvent.id)).where(ContactEvent.contact_id == owner, ContactEvent.kind == "merged")
    )
    assert merges == 1


async def test_the_link_for_an_address_nobody_owns_adds_it_verified(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle, mail_configured: None
) -> None:
    visitor, _, token = await _claim_with_link(session, workspace, "fresh@shop.example")
    assert (await client.post(f"/verify/{token}")).status_code == 200
    emails = await session.scalars(select(ContactEmail.email).where(ContactEmail.contact_id == visitor.contact_id))
    assert list(emails) == ["fresh@shop.example"]


async def test_forged_expired_replaced_and_other_workspace_links_are_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    mail_configured: None,
) -> None:
    owner, _ = await _owner_with_history(session, workspace)
    visitor, _, token = await _claim_with_link(session, workspace, OWNER_EMAIL)
    assert visitor.claimed_at is not None
    payload, signature, mac = token.split(".")

    def flipped(part: str) -> str:
        return part[:-2] + ("AA" if part[-2:] != "AA" else "BB")

    def signed(workspace_id: int, purpose: str) -> str:
        assert visitor.claimed_at is not None
        link = sign_link(
            workspace_id=workspace_id,
            purpose=purpose,
            subject_id=visitor.id,
            valid_for=timedelta(days=3),
            now=visitor.claimed_at,
        )
        return f"{link}.{mac}"

    forged_link = f"{payload}.{flipped(signature)}.{mac}"
    forged_claim = f"{payload}.{signature}.{flipped(mac)}"
    other = signed(other_workspace.id, VERIFY_PURPOSE)
    wrong_purpose = signed(workspace.id, "survey")
    for bad in (forged_link, forged_claim, other, wrong_purpose, f"{payload}.{signature}", "nonsense"):
        for method in ("GET", "POST"):
            response = await client.request(method, f"/verify/{bad}")
            assert response.status_code == 404, (bad, method)
            assert "This link does not work" in response.text

    # A newer claim by the same visitor makes the first link useless.
    await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="typo", email="else@shop.example"), outbox=Outbox()
    )
    await session.commit()
    replaced = await client.post(f"/verify/{token}")
    assert replaced.status_code == 404 and "earlier address" in replaced.text

    # Expired: the claim is older than the link's lifetime.
    visitor.claimed_at = visitor.claimed_at - timedelta(days=4)
    await session.commit()
    expired = await client.post(f"/verify/{verification_token(visitor)}")
    assert expired.status_code == 404 and "expired" in expired.text

    await session.refresh(visitor)
    assert visitor.claim_verified_at is None
    assert await session.scalar(select(func.count(Contact.id))) == 2  # nothing merged
    assert owner


async def test_no_sequence_of_unverified_claims_changes_anyone_elses_record(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    """Generated sequences of visitors typing known, unknown and differently-cased addresses and names."""
    rng = random.Random(2026)
    owners = {
        f"owner{i}@shop.example": await workspace.contact(name=f"Owner {i}", emails=[f"owner{i}@shop.example"])
        for i in range(3)
    }
    addresses = [*owners, "OWNER1@Shop.example", "free@shop.example", "Free@shop.example", None]
    visitors = [await _visitor(session, workspace) for _ in range(4)]
    for step in range(60):
        data = VisitorMessage(
            body=f"line {step}", email=rng.choice(addresses), name=rng.choice([None, "Owner 1", "Mallory"])
        )
        await do_visitor_message(session=session, visitor=rng.choice(visitors), data=data, outbox=Outbox())
        await session.commit()

    owner_ids = set(owners.values())
    emails = {
        (row[0], row[1])
        for row in await session.execute(select(ContactEmail.contact_id, ContactEmail.email_normalized))
    }
    assert emails == {(contact_id, address) for address, contact_id in owners.items()}
    conversation_contacts = set(await session.scalars(select(Conversation.contact_id)))
    assert not conversation_contacts & owner_ids and None not in conversation_contacts
    assert not {visitor.contact_id for visitor in visitors} & owner_ids
    assert await session.scalar(select(func.count(Contact.id))) == len(owners) + len(visitors)
    assert all(visitor.claim_verified_at is None for visitor in visitors if visitor.claimed_email)


async def test_a_claim_on_a_later_message_reaches_the_inbox_live(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    visitor = await _visitor(session, workspace)
    await do_visitor_message(session=session, visitor=visitor, data=VisitorMessage(body="hi"), outbox=Outbox())
    outbox = Outbox()
    await do_visitor_message(
        session=session, visitor=visitor, data=VisitorMessage(body="mail me", email="me@shop.example"), outbox=outbox
    )
    updates = [event for _, event in outbox.events if event.get("type") == "conversation"]
    assert updates and updates[0]["conversation"]["identity_claim"]["email"] == "me@shop.example"
    assert updates[0]["conversation"]["identity_claim"]["verified"] is False


async def test_confirmation_mail_goes_once_per_address_and_interval(
    session: AsyncSession, workspace: WorkspaceHandle, mail_configured: None
) -> None:
    for _ in range(5):  # five fresh visitors typing the same stranger's address
        visitor = await _visitor(session, workspace)
        await do_visitor_message(
            session=session,
            visitor=visitor,
            data=VisitorMessage(body="x", email="victim@mail.example"),
            outbox=Outbox(),
        )
        await session.commit()
    sent = await session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.to_address == "victim@mail.example")
    )
    assert sent == 1


async def test_forgetting_an_address_clears_every_claim_of_it_and_its_mail(
    session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, mail_configured: None
) -> None:
    strangers = [await _visitor(session, workspace) for _ in range(2)]
    for visitor, address in zip(strangers, ["gone@shop.example", "Gone@Shop.example"], strict=True):
        await do_visitor_message(
            session=session, visitor=visitor, data=VisitorMessage(body="x", email=address, name="G"), outbox=Outbox()
        )
    elsewhere = await _visitor(session, other_workspace)
    await do_visitor_message(
        session=session, visitor=elsewhere, data=VisitorMessage(body="x", email="gone@shop.example"), outbox=Outbox()
    )
    await session.commit()

    forgotten = await do_forget_claims_of(session=session, workspace_id=workspace.id, emails=["GONE@shop.example"])
    await session.commit()
    assert forgotten == 2
    assert all(v.claimed_email is None and v.claimed_name is None and v.claimed_at is None for v in strangers)
    assert elsewhere.claimed_email == "gone@shop.example"  # another workspace's data is not touched
    remaining = await session.scalars(select(OutboxEmail.workspace_id))
    assert list(remaining) == [other_workspace.id]
