"""The demo's live-chat history: a few weeks of conversations with the Sales and Support teams.

Everything goes through the services the widget and the inbox use (visitors, messages, notes, status
changes, identity claims, ratings). Those stamp "now"; once a conversation is written, its times are moved
into the past together (messages, first response, resolution, the visitor and their claim), so every
figure computed from them stays consistent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, literal, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactEvent
from frontdesk.conversations.csat import do_rate
from frontdesk.conversations.identity import do_claim_identity, do_confirm_claim
from frontdesk.conversations.models import (
    AuthorType,
    ChatSettings,
    Conversation,
    ConversationStatus,
    Message,
    MessageKind,
    Presence,
    Visitor,
)
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.routing import do_set_presence
from frontdesk.conversations.schemas import RatingCreate, VisitorMessage
from frontdesk.conversations.service import do_change_conversation, do_post_message
from frontdesk.conversations.visitors import do_start_visitor, do_visitor_message, get_chat_settings, user_hash
from frontdesk.db import UTCDateTime, utcnow
from frontdesk.workspaces.models import Agent

# Who speaks: "v" the visitor, "a" the assigned agent, "n" a private note of the assigned agent.
Line = tuple[str, str]


@dataclass(frozen=True)
class ChatScript:
    team: str
    lines: tuple[Line, ...]
    status: ConversationStatus = ConversationStatus.resolved
    rating: int | None = None
    comment: str = ""


SCRIPTS = [
    ChatScript(
        "support",
        (
            ("v", "Hi, my order hasn't arrived yet and the tracking page hasn't changed in three days."),
            ("a", "Sorry about that! Could you give me the order number? I'll check with the carrier."),
            ("v", "It's the one from last Tuesday, two packs of Earl Grey."),
            ("n", "Carrier confirms the parcel is stuck in the Hamburg hub; they will deliver tomorrow."),
            ("a", "The parcel was held at the carrier's hub; it goes out tomorrow morning. I've refunded shipping."),
            ("v", "Great, thank you for sorting it out so quickly!"),
        ),
        rating=5,
        comment="Fast and friendly, problem solved.",
    ),
    ChatScript(
        "sales",
        (
            ("v", "Do you offer wholesale prices for cafés? We'd need about 20 kg of espresso beans a month."),
            ("a", "We do! From 10 kg a month there is a 15% trade discount. Shall I send you our trade sheet?"),
            ("v", "Yes please, and can we get a sample first?"),
            ("a", "Of course, a 250 g sample is on its way to you this week, free of charge."),
        ),
        rating=5,
        comment="Very helpful, looking forward to the sample.",
    ),
    ChatScript(
        "support",
        (
            ("v", "The glass teapot I received has a crack in the lid."),
            ("a", "Oh no, sorry! Could you send a photo to support@demo-shop.example? We'll ship a new one."),
            ("v", "Sent. Do I need to return the broken one?"),
            ("a", "No need, please recycle it. The replacement ships today."),
        ),
        rating=4,
        comment="Replacement was easy, but the packaging should be better.",
    ),
    ChatScript(
        "support",
        (
            ("v", "I was charged twice for my last order!"),
            ("a", "I'm sorry, let me look into it right away."),
            ("n", "Payment provider shows one capture and one authorisation that will drop off. No double charge."),
            ("a", "One of the two is only a card authorisation; it disappears within 5 working days."),
            ("v", "That's annoying, I needed that money this week. Terrible experience."),
        ),
        rating=2,
        comment="Took too long and nobody could release the payment.",
    ),
    ChatScript(
        "sales",
        (
            ("v", "Is the Sencha organic?"),
            ("a", "Yes, it is certified organic and comes from a family farm in Shizuoka."),
            ("v", "Lovely, I'll order two."),
        ),
        rating=5,
        comment="",
    ),
    ChatScript(
        "support",
        (
            ("v", "How do I return a mug? It's the wrong colour."),
            ("a", "You can return anything within 30 days: demo-shop.example/returns. The label is free."),
        ),
        rating=4,
        comment="Clear answer.",
    ),
    ChatScript(
        "sales",
        (
            ("v", "Can I get a gift wrap for a Christmas order?"),
            ("a", "Yes! Tick 'gift wrap' at checkout, it's 2.50 and you can add a card message."),
            ("v", "Perfect."),
        ),
        rating=5,
        comment="Quick reply.",
    ),
    ChatScript(
        "support",
        (
            ("v", "My decaf tastes burnt, is this batch OK?"),
            ("a", "Thanks for telling us. Could you give me the best-before date on the bag?"),
            ("v", "03/2027"),
            ("n", "Second report about batch 03/2027 this month; asked the roaster to check."),
        ),
        status=ConversationStatus.pending,
    ),
    ChatScript(
        "sales",
        (
            ("v", "Do you ship to Switzerland?"),
            ("a", "We do, delivery takes 4-6 days; duties are shown at checkout."),
            ("v", "And is there a minimum order?"),
        ),
        status=ConversationStatus.open,
    ),
    ChatScript(
        "support",
        (
            ("v", "I can't log in to my account, the reset e-mail never arrives."),
            ("a", "Let me check. Is it the address you used for your orders?"),
        ),
        status=ConversationStatus.open,
    ),
    ChatScript(
        "sales",
        (
            ("v", "Hello, do you have a loyalty programme?"),
            ("a", "We do: every 10th order ships free, and you get a referral code to share with friends."),
            ("v", "Nice, thanks."),
        ),
        rating=3,
        comment="OK, though I hoped for a discount.",
    ),
]
VISITOR_NAMES = ["Mia", "Luca", "Sophie", "Tom", "Eva", "Jan", "Lea", "Marco", "Nora", "Finn"]
OFFLINE_MESSAGE = "Hi, I'd like to change the address on my order before it ships. Please e-mail me."
UNKNOWN_VISITOR = ("Lena Fischer", "lena.fischer@webmail.example", "Do you sell matcha? Please let me know by e-mail.")


@dataclass
class _Clock:
    """When each line of one conversation happened, by sequence number, to move them into the past."""

    at: datetime
    stamps: dict[int, datetime] = field(default_factory=dict)
    first_response: datetime | None = None
    resolved: datetime | None = None

    def record(self, conversation: Conversation, since: int) -> None:
        for seq in range(since + 1, conversation.last_seq + 1):
            self.stamps[seq] = self.at

    def advance(self, rng: random.Random, low: float = 0.5, high: float = 6.0) -> None:
        self.at += timedelta(minutes=rng.uniform(low, high))


@dataclass
class ChatResult:
    conversations: int = 0
    messages: int = 0
    ratings: int = 0
    low_rated_id: int | None = None


async def create_demo_chats(
    *, session: AsyncSession, workspace_id: int, agents: list[Agent], customers: list[Contact], rng: random.Random
) -> ChatResult:
    """About 25 conversations over the last five weeks, plus two left while nobody was online."""
    settings = await get_chat_settings(session=session, workspace_id=workspace_id)
    result = ChatResult()
    now = utcnow()
    known = [c for c in customers if c.primary_email]
    identified = rng.sample(known, min(7, len(known)))
    await _set_presence(session, agents, Presence.online)
    starts = sorted(now - timedelta(days=rng.uniform(0.2, 35)) for _ in range(25))
    settled = [script for script in SCRIPTS if script.status is ConversationStatus.resolved]
    waiting = [script for script in SCRIPTS if script.status is not ConversationStatus.resolved]
    for number, start in enumerate(starts):
        # The most recent few are still open or waiting on the customer; earlier ones were all dealt with.
        recent = len(starts) - number
        script = waiting[recent - 1] if recent <= len(waiting) else settled[number % len(settled)]
        # Every fourth visitor is a signed-in shop customer (each once: a user's chats continue one conversation).
        contact = identified[number // 4] if number % 4 == 0 and number // 4 < len(identified) else None
        visitor = await do_start_visitor(
            session=session,
            settings=settings,
            visitor_token=None,
            user_id=f"shop-user-{contact.id}" if contact else None,
            given_hash=user_hash(settings.identity_secret, f"shop-user-{contact.id}") if contact else None,
        )
        clock = _Clock(at=start)
        if contact is not None:
            # A signed-in shop customer who confirmed their address earlier: the chat is theirs from the start.
            await do_claim_identity(
                session=session, visitor=visitor.visitor, email=contact.primary_email or "", name=None
            )
            await do_confirm_claim(session=session, visitor=visitor.visitor, how="link", actor="demo")
            visitor.visitor.claimed_at = visitor.visitor.claim_verified_at = start - timedelta(
                days=rng.randrange(3, 60)
            )
        name = None if contact is not None or rng.random() < 0.4 else rng.choice(VISITOR_NAMES)
        conversation = await _play(session, visitor.visitor, script, agents, clock, rng, f"demo-{number}", name)
        if number % 5 == 2 and conversation.assignee_id is not None:
            # Handed over to the other agent for the follow-up: the conversation shows who assigned it to whom.
            other = next(a for a in agents if a.id != conversation.assignee_id)
            clock.advance(rng)
            await _change(session, conversation, clock, {"assignee_id": other.id}, agents)
        if script.status is not ConversationStatus.open:
            clock.advance(rng, 2, 30)
            clock.resolved = clock.at if script.status is ConversationStatus.resolved else None
            await _change(session, conversation, clock, {"status": script.status.value}, agents)
        if script.rating is not None and (script.rating <= 2 or rng.random() < 0.7):  # not every visitor rates
            await do_rate(
                session=session,
                conversation=conversation,
                data=RatingCreate(rating=script.rating, comment=script.comment or None),
                outbox=Outbox(),
            )
            result.ratings += 1
            if script.rating <= 2:
                result.low_rated_id = conversation.id
        await _backdate(session, conversation, visitor.visitor, clock, new_contact=contact is None)
        result.conversations += 1
        result.messages += len(clock.stamps)
    await _offline_visitors(session, settings, agents, known, rng, result, now)
    await _set_presence(session, agents, Presence.offline)
    return result


def _agent(agents: list[Agent], agent_id: int | None) -> Agent | None:
    return next((agent for agent in agents if agent.id == agent_id), None)


async def _set_presence(session: AsyncSession, agents: list[Agent], status: Presence) -> None:
    for agent in agents:
        await do_set_presence(session=session, agent=agent, status=status)


async def _play(
    session: AsyncSession,
    visitor: Visitor,
    script: ChatScript,
    agents: list[Agent],
    clock: _Clock,
    rng: random.Random,
    prefix: str,
    name: str | None,
) -> Conversation:
    """The script's lines, each through the service the widget or the inbox calls for it."""
    conversation: Conversation | None = None
    for index, (who, body) in enumerate(script.lines):
        if index:
            clock.advance(rng)
        since = conversation.last_seq if conversation is not None else 0
        if who == "v":
            data = VisitorMessage(client_id=f"{prefix}-{index}", body=body, team=script.team, name=name)
            conversation, _, _ = await do_visitor_message(session=session, visitor=visitor, data=data, outbox=Outbox())
            clock.record(conversation, since)
            continue
        assert conversation is not None, "a script starts with the visitor"
        if conversation.assignee_id is None:  # nobody had room when it came in: an admin hands it out
            await _change(session, conversation, clock, {"assignee_id": agents[index % len(agents)].id}, agents)
            since = conversation.last_seq
        await do_post_message(
            session=session,
            conversation=conversation,
            author_type=AuthorType.agent,
            client_id=f"{prefix}-{index}",
            body=body,
            outbox=Outbox(),
            kind=MessageKind.note if who == "n" else MessageKind.message,
            agent=_agent(agents, conversation.assignee_id),
        )
        if who == "a" and clock.first_response is None:
            clock.first_response = clock.at
        clock.record(conversation, since)
    assert conversation is not None
    return conversation


async def _change(
    session: AsyncSession, conversation: Conversation, clock: _Clock, changes: dict[str, object], agents: list[Agent]
) -> None:
    actor = _agent(agents, conversation.assignee_id) or agents[0]
    since = conversation.last_seq
    await do_change_conversation(
        session=session, conversation=conversation, outbox=Outbox(), changes=changes, actor_name=actor.display_name
    )
    clock.record(conversation, since)


async def _backdate(
    session: AsyncSession, conversation: Conversation, visitor: Visitor, clock: _Clock, *, new_contact: bool = True
) -> None:
    """Move the conversation's times from "now" to when the script says they happened; also the contact's,
    when the visitor became one with their first message (the "new contacts" figures count them then)."""
    when = {seq: literal(at, UTCDateTime) for seq, at in clock.stamps.items()}
    await session.execute(
        update(Message)
        .where(Message.conversation_id == conversation.id)
        .values(created_at=case(when, value=Message.seq))
        .execution_options(synchronize_session=False)
    )
    started = min(clock.stamps.values())
    conversation.created_at = started
    conversation.last_activity_at = max(clock.stamps.values())
    conversation.first_response_at = clock.first_response
    conversation.resolved_at = clock.resolved
    visitor.created_at = started - timedelta(minutes=3)
    visitor.last_seen_at = conversation.last_activity_at
    if visitor.claimed_at is not None and visitor.claim_verified_at is None:
        visitor.claimed_at = started
    contact = await session.get(Contact, conversation.contact_id) if new_contact and conversation.contact_id else None
    if contact is not None:
        contact.created_at = started
        await session.execute(
            update(ContactEvent)
            .where(ContactEvent.contact_id == contact.id, ContactEvent.kind == "created")
            .values(created_at=started)
            .execution_options(synchronize_session=False)
        )
    await session.flush()


async def _offline_visitors(
    session: AsyncSession,
    settings: ChatSettings,
    agents: list[Agent],
    known: list[Contact],
    rng: random.Random,
    result: ChatResult,
    now: datetime,
) -> None:
    """Two messages left overnight with an e-mail address: one an existing customer's (so an unverified
    claim that matches a contact, for an agent to merge or not), one nobody has."""
    await _set_presence(session, agents, Presence.offline)
    left = [(*UNKNOWN_VISITOR[:2], "sales", UNKNOWN_VISITOR[2], now - timedelta(hours=7, minutes=20))]
    if known:
        customer = rng.choice(known)
        left.insert(
            0, (customer.name, customer.primary_email or "", "support", OFFLINE_MESSAGE, now - timedelta(hours=9))
        )
    for number, (name, email, team, body, at) in enumerate(left):
        visitor = (await do_start_visitor(session=session, settings=settings, visitor_token=None)).visitor
        data = VisitorMessage(client_id=f"demo-offline-{number}", body=body, team=team, name=name, email=email)
        conversation, _, _ = await do_visitor_message(session=session, visitor=visitor, data=data, outbox=Outbox())
        clock = _Clock(at=at)
        clock.record(conversation, 0)
        await _backdate(session, conversation, visitor, clock)
        result.conversations += 1
        result.messages += len(clock.stamps)
