"""The demo's past year of live chat: hundreds of resolved conversations, written in bulk.

Playing each through the widget's services would take minutes; these are generated as rows instead (the
conversations, their messages with consecutive sequence numbers, and one browser per contact) and written
with ``bulk_insert``. Every time is consistent: the visitor's first line opens the conversation, the first
agent line is ``first_response_at``, the "resolved" system line is ``resolved_at``, the rating belongs to the
agent who had the conversation then. Chats come in mostly on weekday office hours (Berlin); agents answer
within a minute or two then, a few take much longer, and what came in at night or at the weekend waits for
the next morning (``started_offline``).
"""

from __future__ import annotations

import random
import secrets
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import AuthorType, Conversation, ConversationStatus, Message, MessageKind, Visitor
from frontdesk.db import Base, bulk_insert, bulk_insert_with_ids
from frontdesk.demo_calendar import CHATS_BY_WEEKDAY, Calendar, local_day, next_opening, staffed
from frontdesk.feedback.sentiment import sentiment
from frontdesk.workspaces.models import Agent

CONVERSATIONS = Base.metadata.tables[Conversation.__tablename__]
MESSAGES = Base.metadata.tables[Message.__tablename__]
VISITORS = Base.metadata.tables[Visitor.__tablename__]
# (the visitor's question, the agent's answer, the visitor's follow-up or "", the agent's last word or "")
TOPICS = {
    "support": [
        ("Where is my order? The tracking hasn't moved since Monday.",
         "Let me check with the carrier... it is in the local depot and goes out tomorrow.",
         "OK, thanks for checking.", "You're welcome, enjoy your tea!"),
        ("The lid of my teapot arrived cracked.",
         "Sorry about that! A replacement ships today, no need to send the broken one back.",
         "Great, thank you.", ""),
        ("Can I change the delivery address of my order?",
         "Yes, I have changed it; the parcel has not left the warehouse yet.", "Perfect.", ""),
        ("I was sent Earl Grey instead of Sencha.",
         "My apologies, the Sencha is on its way and you can keep the Earl Grey.",
         "That's kind, thanks!", "Have a lovely day."),
        ("How do I return a mug I don't need?",
         "Returns are free within 30 days: demo-shop.example/returns prints the label.", "", ""),
        ("My discount code says it has expired.",
         "It ran until Sunday, but I've applied the discount to your order by hand.", "Thank you!", ""),
        ("The coffee beans taste a bit stale this time.",
         "Thanks for telling us. Could you give me the best-before date? I'll send a fresh bag.",
         "It says 03/2027.", "A fresh bag is on its way."),
        ("I still haven't received my refund.",
         "I can see it was sent yesterday; banks take 3-5 working days to show it.",
         "That is slow, but OK.", ""),
    ],
    "sales": [
        ("Do you have a decaf that works in a moka pot?",
         "Our Decaf 500 g is roasted for espresso and moka pots alike.", "Great, I'll order it.", ""),
        ("Is there a discount for 10 kg of espresso beans a month?",
         "From 10 kg there is a 15% trade discount; I'll e-mail you the trade sheet.",
         "Please do.", "Sent! Let me know if you'd like a sample."),
        ("Can you gift-wrap an order and add a card?",
         "Yes, tick 'gift wrap' at checkout and type your message; it's 2.50.", "Lovely.", ""),
        ("Which tea would you recommend for a beginner?",
         "Earl Grey is a safe start; the Sencha if they like green tea.", "Thanks, Sencha it is.", ""),
        ("Do you ship to Norway?", "We do: 4-6 days, duties are shown at checkout.", "", ""),
        ("Is the Christmas tea chest back in stock?",
         "It is! We restocked this morning, and it ships within two days.", "Ordering now.", ""),
    ],
}  # fmt: skip
CSAT_COMMENTS = {
    5: ["Super fast, thank you!", "Friendly and helpful.", "Problem solved in minutes."],
    4: ["Good help.", "Quick answer, thanks."],
    3: ["OK, but it took a while.", "Answer was fine."],
    2: ["Had to wait far too long.", "Not really solved."],
    1: ["Nobody answered for hours.", "Very disappointing."],
}
# Agents by team key, by e-mail: who answers that team's chats, and how often.
ANSWERS = {
    "sales": {"lena@demo-shop.example": 5, "marco@demo-shop.example": 4, "admin@demo-shop.example": 1},
    "support": {
        "sam@demo-shop.example": 5,
        "priya@demo-shop.example": 5,
        "jonas@demo-shop.example": 3,
        "admin@demo-shop.example": 1,
    },
}
# Some agents simply get better ratings (the "by agent" chart should show it): added to the rating roll.
TOUCH = {"priya@demo-shop.example": 0.25, "jonas@demo-shop.example": -0.35, "marco@demo-shop.example": -0.15}


@dataclass
class HistoryResult:
    conversations: int = 0
    messages: int = 0
    ratings: int = 0
    ids: list[int] = field(default_factory=list)  # oldest first
    low_rated: list[tuple[int, datetime]] = field(default_factory=list)  # (conversation id, resolved at)


@dataclass
class _Chat:
    contact_id: int
    team: str
    agent: Agent
    offline: bool
    opened: datetime
    first_response: datetime
    resolved: datetime
    lines: list[tuple[datetime, str, Agent | None, str, str]]  # at, author type, agent, kind, body
    rating: int | None = None
    comment: str | None = None


def _response_delay(rng: random.Random, opened: datetime) -> tuple[bool, datetime]:
    """(taken while nobody was online, when the first agent line came)."""
    if not staffed(opened):
        # Picked up from the overnight queue in the first hour or two of the next shift.
        return True, next_opening(opened) + timedelta(minutes=rng.lognormvariate(3.2, 0.7))
    if rng.random() < 0.04:  # the odd one that slipped through: a long wait
        return False, opened + timedelta(minutes=rng.uniform(15, 90))
    busy = 1.6 if local_day(opened).month in (11, 12) else 1.0  # the Christmas rush
    return False, opened + timedelta(seconds=min(900, busy * rng.lognormvariate(4.2, 0.75)))


def _rating(rng: random.Random, chat: _Chat) -> int:
    wait = (chat.first_response - chat.opened).total_seconds() / 60
    score = rng.gauss(4.4, 0.8) + TOUCH.get(chat.agent.email, 0.0)
    score -= 1.4 if wait > 60 else 0.8 if wait > 10 else 0.0
    return max(1, min(5, round(score)))


def _chat(
    rng: random.Random, now: datetime, opened: datetime, contact_id: int, team: str, agents: list[Agent]
) -> _Chat | None:
    offline, answered = _response_delay(rng, opened)
    weights = ANSWERS[team]
    agent = rng.choices(agents, weights=[weights.get(a.email, 0) for a in agents])[0]
    question, answer, follow_up, last_word = rng.choice(TOPICS[team])
    lines: list[tuple[datetime, str, Agent | None, str, str]] = [(opened, "visitor", None, "message", question)]
    if offline and rng.random() < 0.3:  # they added a detail while waiting
        lines.append(
            (opened + timedelta(minutes=rng.uniform(1, 4)), "visitor", None, "message", "Please reply by e-mail.")
        )
    at = answered
    if rng.random() < 0.1:
        lines.append((at, "agent", agent, "note", "Checked the order in the shop backend first."))
        at += timedelta(seconds=30)
    lines.append((at, "agent", agent, "message", answer))
    first_response = at
    gap = 60 * (60 if offline else 4)  # an answer sent hours later is read hours later
    for who, body in (("visitor", follow_up), ("agent", last_word)):
        if body:
            at += timedelta(seconds=rng.uniform(30, gap))
            lines.append((at, who, agent if who == "agent" else None, "message", body))
    if rng.random() < 0.05:  # handed over to a colleague of the team for the follow-up
        other = rng.choices(agents, weights=[weights.get(a.email, 0) if a is not agent else 0 for a in agents])[0]
        at += timedelta(minutes=rng.uniform(1, 10))
        lines.append(
            (at, "system", None, "note", f"{agent.display_name} assigned the conversation to {other.display_name}")
        )
        agent = other
    # Most are closed soon after; some wait a day or two for the customer first.
    at += timedelta(days=rng.uniform(1, 3)) if rng.random() < 0.08 else timedelta(minutes=rng.uniform(2, 40))
    if at >= now:
        return None  # still going on: the live chats of demo_chats are the conversations of today
    lines.append((at, "system", None, "note", f"{agent.display_name} marked the conversation resolved"))
    chat = _Chat(contact_id, team, agent, offline, opened, first_response, at, lines)
    if rng.random() < 0.45:  # not everybody rates
        chat.rating = _rating(rng, chat)
        chat.comment = rng.choice(CSAT_COMMENTS[chat.rating]) if rng.random() < 0.4 else None
    return chat


async def create_demo_history(
    *,
    session: AsyncSession,
    workspace_id: int,
    agents: list[Agent],
    teams: dict[str, int],
    contacts: list[Contact],
    buyers: set[int],
    arrivals: dict[int, datetime],
    rng: random.Random,
    now: datetime,
    count: int = 900,
) -> HistoryResult:
    """About ``count`` resolved conversations over the past thirteen months, by the demo's contacts (each
    from the day the shop first heard of them, ``arrivals``)."""
    result = HistoryResult()
    if not contacts:
        return result
    calendar = Calendar.ending(now)
    # Chats come in as busy as the shop is, each from a contact the shop knew by then (customers chat more
    # than prospects); each contact chats from one browser of their own.
    known = sorted(contacts, key=lambda c: arrivals.get(c.id, now))
    since = [arrivals.get(c.id, now) for c in known]
    weights = list(accumulate(4 if c.id in buyers else 1 for c in known))
    chats = []
    for day in calendar.pick_days(rng, count, CHATS_BY_WEEKDAY):
        opened = calendar.chat_moment(rng, day)
        arrived = bisect_right(since, opened) if opened else 0
        if opened is None or not arrived:
            continue
        contact = rng.choices(known[:arrived], cum_weights=weights[:arrived])[0]
        team = "sales" if rng.random() < (0.2 if contact.id in buyers else 0.65) else "support"
        if (chat := _chat(rng, now, opened, contact.id, team, agents)) is not None:
            chats.append(chat)
    chats.sort(key=lambda c: c.opened)
    visitors: dict[int, list[_Chat]] = {}
    for chat in chats:
        visitors.setdefault(chat.contact_id, []).append(chat)
    visitor_rows = [
        (workspace_id, secrets.token_hex(32), contact_id, own[0].opened - timedelta(minutes=2), own[-1].resolved)
        for contact_id, own in visitors.items()
    ]
    columns: tuple[str, ...] = ("workspace_id", "token_hash", "contact_id", "created_at", "last_seen_at")
    new_ids = await bulk_insert_with_ids(session, VISITORS, columns, visitor_rows)
    visitor_ids = dict(zip(visitors, new_ids, strict=True))
    rows: list[tuple[Any, ...]] = []
    for chat in chats:
        rows.append((
            workspace_id, visitor_ids[chat.contact_id], chat.contact_id, teams[chat.team], chat.agent.id,
            ConversationStatus.resolved.value, chat.offline, len(chat.lines), chat.opened, chat.lines[-1][0],
            chat.first_response, chat.resolved, None, chat.rating, chat.comment,
            chat.agent.id if chat.rating is not None else None,
        ))  # fmt: skip
    columns = ("workspace_id", "visitor_id", "contact_id", "team_id", "assignee_id", "status", "started_offline",
               "last_seq", "created_at", "last_activity_at", "first_response_at", "resolved_at", "snoozed_until",
               "csat_rating", "csat_comment", "csat_agent_id")  # fmt: skip
    ids = await bulk_insert_with_ids(session, CONVERSATIONS, columns, rows)
    messages = []
    for conversation_id, chat in zip(ids, chats, strict=True):
        for seq, (at, author, agent, kind, body) in enumerate(chat.lines, start=1):
            client_id = f"system-{seq}" if author == AuthorType.system.value else f"demo-history-{seq}"
            messages.append((
                workspace_id, conversation_id, seq, client_id, author, agent.id if agent else None,
                agent.display_name if agent else None, MessageKind(kind).value, body,
                sentiment(body) if author == AuthorType.visitor.value else None, at,
            ))  # fmt: skip
        if chat.rating is not None:
            result.ratings += 1
            if chat.rating <= 2:
                result.low_rated.append((conversation_id, chat.resolved))
    columns = ("workspace_id", "conversation_id", "seq", "client_id", "author_type", "author_agent_id",
               "author_name", "kind", "body", "sentiment", "created_at")  # fmt: skip
    await bulk_insert(session, MESSAGES, columns, messages)
    result.conversations, result.messages, result.ids = len(chats), len(messages), ids
    return result
