"""The demo's live-chat setup and what it left behind: the widget in the shop's colours, office hours, canned
replies and macros, proactive invitations with five weeks of history, and what agents see beside each chat
(the visitor's pages, browser and local time; who is waiting, and since when).

Runs after the chats and the analytics refresh, so invitations aimed at lapsed customers find some.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import (
    Attachment,
    AuthorType,
    CannedReply,
    Conversation,
    ConversationStatus,
    Macro,
    Message,
    MessageKind,
    Team,
)
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import utcnow
from frontdesk.demo_invitations import SITE, create_demo_invitations
from frontdesk.storage import configured, new_key

CANNED_REPLIES = [
    ("hello", "Greeting", "Hi {{contact.first_name}}! Thanks for reaching out to Demo Shop. How can I help?"),
    ("shipping", "Shipping times", "We ship within 2 working days; you get a tracking link by e-mail."),
    ("returns", "Returns", "You can return anything within 30 days: demo-shop.example/returns. The label is free."),
    ("trade", "Trade prices", "From 10 kg a month there is a 15% trade discount. I'll e-mail you our trade sheet."),
    ("bye", "Sign-off", "Glad I could help, {{contact.first_name}}. Have a lovely day! {{agent.name}}"),
]
MACROS: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "Refund shipping and resolve",
        [
            {"type": "reply", "body": "I've refunded the shipping cost; it shows on your card within 5 days."},
            {"type": "tag", "tag": "shipping-refund"},
            {"type": "status", "status": "resolved"},
        ],
    ),
    (
        "Hand over to sales",
        [
            {"type": "note", "body": "Trade enquiry: handing over to the sales team."},
            {"type": "team", "team": "sales"},
        ],
    ),
    (
        "Waiting for the customer",
        [
            {"type": "reply", "body": "Could you send me your order number? I'll pick this up as soon as I have it."},
            {"type": "status", "status": "pending"},
        ],
    ),
]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_HOURS = {
    "support": {**{day: [["08:00", "18:00"]] for day in WEEKDAYS}, "sat": [["10:00", "14:00"]]},
    "sales": {day: [["09:00", "17:00"]] for day in WEEKDAYS},
}


BROWSERS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36",
     "Chrome 142", "Windows 10"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Safari/605.1.15",
     "Safari 18.1", "macOS 14.6"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Mobile/15E148 Safari/604.1", "Mobile Safari 18.1", "iOS 18.1"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133", "Linux"),
    ("Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 "
     "Mobile Safari/537.36",
     "Chrome Mobile 142", "Android 15"),
]  # fmt: skip
LOCALES = [("de-DE", "Europe/Berlin", 60), ("en-GB", "Europe/London", 0), ("de-AT", "Europe/Vienna", 60),
           ("en-US", "America/New_York", -300), ("fr-CH", "Europe/Zurich", 60)]  # fmt: skip
JOURNEYS = [
    [("/", "Demo Shop: fine teas and coffee"), ("/teas", "Teas"), ("/teas/earl-grey", "Earl Grey, 250 g")],
    [("/coffee", "Coffee"), ("/coffee/espresso-beans", "Espresso beans, 1 kg"), ("/pricing", "Trade prices")],
    [("/account/orders", "Your orders"), ("/help/shipping", "Shipping and delivery")],
    [("/teas/sencha", "Sencha, organic"), ("/cart", "Your basket"), ("/checkout", "Checkout")],
    [("/gifts", "Gifts"), ("/gifts/teapots", "Teapots and cups"), ("/help/returns", "Returns")],
]
REFERRERS = ["https://www.google.com/", "https://www.instagram.com/", "", "https://www.ecosia.org/",
             "https://newsletter.demo-shop.example/spring"]  # fmt: skip


@dataclass
class LiveChatResult:
    invitations_shown: int = 0
    invitations_answered: int = 0
    contexts: int = 0
    attachments: int = 0


def demo_photo(width: int = 160, height: int = 120) -> bytes:
    """A small PNG (a teal lid with a crack across it), made here so the demo needs no image files."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            inside = (x - width / 2) ** 2 / (width / 2.4) ** 2 + (y - height / 2) ** 2 / (height / 2.6) ** 2 < 1
            crack = inside and abs(y - height / 2 - (x - width / 2) * 0.35) < 1.2 and x > width / 3
            row += bytes((40, 40, 40) if crack else (15, 118, 110) if inside else (244, 240, 232))
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


async def create_demo_livechat(
    *, session: AsyncSession, workspace_id: int, rng: random.Random, now: datetime | None = None
) -> LiveChatResult:
    now = now or utcnow()
    await _setup(session, workspace_id)
    result = LiveChatResult()
    await _contexts(session, workspace_id, rng, result)
    await _waiting(session, workspace_id)
    shown, answered = await create_demo_invitations(
        session=session, workspace_id=workspace_id, rng=rng, now=now, context_for=context_for
    )
    result.invitations_shown, result.invitations_answered = shown, answered
    result.attachments = await _photos(session, workspace_id)
    await session.flush()
    return result


async def _photos(session: AsyncSession, workspace_id: int) -> int:
    """The customer with the cracked teapot lid sends a photo of it (kept in the configured storage)."""
    lines = await session.scalars(
        select(Message).where(Message.workspace_id == workspace_id, Message.body.like("Sent. Do I need to return%"))
    )
    storage = configured()
    sent = 0
    for message in lines:
        photo = demo_photo()
        key = new_key()
        await storage.put(key, photo, content_type="image/png")
        session.add(
            Attachment(
                workspace_id=workspace_id,
                conversation_id=message.conversation_id,
                message_id=message.id,
                storage_key=key,
                filename="teapot-lid.png",
                content_type="image/png",
                size=len(photo),
                sha256=hashlib.sha256(photo).hexdigest(),
                uploaded_by="visitor",
                created_at=message.created_at,
            )
        )
        sent += 1
    return sent


async def _setup(session: AsyncSession, workspace_id: int) -> None:
    chat = await get_chat_settings(session=session, workspace_id=workspace_id)
    chat.color = "#0f766e"
    chat.launcher_text = "Questions? Chat with us"
    chat.welcome_message = "Hi! We're tea people. Ask us anything about teas, coffee or your order."
    for team in await session.scalars(select(Team).where(Team.workspace_id == workspace_id)):
        team.office_hours = OFFICE_HOURS.get(team.key, {})
    for shortcut, title, body in CANNED_REPLIES:
        session.add(CannedReply(workspace_id=workspace_id, shortcut=shortcut, title=title, body=body))
    for name, actions in MACROS:
        session.add(Macro(workspace_id=workspace_id, name=name, actions=actions))


def context_for(rng: random.Random, at: datetime) -> dict[str, Any]:
    """What the widget would have seen of one visit: the pages, where they came from, browser and locale."""
    user_agent, browser, os = rng.choice(BROWSERS)
    language, time_zone, offset = rng.choice(LOCALES)
    journey = rng.choice(JOURNEYS)
    pages = []
    for index, (path, title) in enumerate(journey):
        seen = at - timedelta(minutes=2 * (len(journey) - index) + rng.uniform(0, 1.5))
        pages.append({"url": SITE + path, "title": title, "at": seen.isoformat()})
    return {
        "page_url": pages[-1]["url"],
        "page_title": pages[-1]["title"],
        "pages": pages,
        "referrer": rng.choice(REFERRERS),
        "user_agent": user_agent,
        "browser": browser,
        "os": os,
        "language": language,
        "time_zone": time_zone,
        "utc_offset_minutes": offset,
    }


async def _contexts(session: AsyncSession, workspace_id: int, rng: random.Random, result: LiveChatResult) -> None:
    """The widget's view of each visit; the older, imported history came before the widget and has none."""
    conversations = await session.scalars(
        select(Conversation).where(Conversation.workspace_id == workspace_id, Conversation.visitor_id.is_not(None))
    )
    for conversation in conversations:
        if not conversation.context:
            conversation.context = context_for(rng, conversation.created_at)
            result.contexts += 1


async def _waiting(session: AsyncSession, workspace_id: int) -> None:
    """Since when each unresolved conversation has waited for an agent: its first visitor line after the last
    agent reply (the demo writes every line "now" and moves it back afterwards)."""
    conversations = await session.scalars(
        select(Conversation).where(
            Conversation.workspace_id == workspace_id, Conversation.status != ConversationStatus.resolved.value
        )
    )
    for conversation in conversations:
        lines = await session.execute(
            select(Message.author_type, Message.created_at)
            .where(Message.conversation_id == conversation.id, Message.kind == MessageKind.message.value)
            .order_by(Message.seq)
        )
        waiting = None
        for author_type, created_at in lines:
            if author_type == AuthorType.agent.value:
                waiting = None
            elif author_type == AuthorType.visitor.value and waiting is None:
                waiting = created_at
        conversation.waiting_since = waiting
