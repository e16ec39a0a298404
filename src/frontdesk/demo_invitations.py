"""The demo's proactive chat: three invitation rules and five weeks of invitations shown, answered (each with
its conversation) and followed by orders, so the invitations report has a story to tell."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import CustomerFigures, Order
from frontdesk.conversations.models import (
    AuthorType,
    Conversation,
    ConversationStatus,
    Invitation,
    InvitationRule,
    Message,
    Team,
    Visitor,
)

SITE = "https://demo-shop.example"


@dataclass(frozen=True)
class RuleSpec:
    name: str
    team: str
    message: str
    url_pattern: str | None = None
    min_seconds_on_page: int | None = None
    returning_only: bool = False
    segment_rule: str | None = None
    pages: tuple[str, ...] = ("/",)
    shown: int = 0
    answer_rate: float = 0.3


RULES = [
    RuleSpec(
        "Help on the pricing page",
        "sales",
        "Comparing our trade prices? Tell us how much you need a month and we'll work out the best offer.",
        url_pattern="/pricing*",
        min_seconds_on_page=20,
        pages=("/pricing", "/pricing?plan=cafe"),
        shown=34,
        answer_rate=0.3,
    ),
    RuleSpec(
        "Returning visitor at checkout",
        "support",
        "Welcome back! Anything we can help with before you order?",
        url_pattern="/checkout*",
        min_seconds_on_page=45,
        returning_only=True,
        pages=("/checkout", "/checkout/shipping"),
        shown=21,
        answer_rate=0.25,
    ),
    RuleSpec(
        "Win back lapsed customers",
        "sales",
        "Good to see you again! Our new spring teas are in; can we help you find something?",
        segment_rule='lifecycle = "lapsed"',
        pages=("/", "/teas", "/teas/sencha"),
        shown=12,
        answer_rate=0.4,
    ),
]


async def create_demo_invitations(
    *,
    session: AsyncSession,
    workspace_id: int,
    rng: random.Random,
    now: datetime,
    context_for: Callable[[random.Random, datetime], dict[str, Any]],
) -> tuple[int, int]:
    """The rules, and five weeks of invitations shown and answered: (shown, answered)."""
    shown = answered = 0
    teams = {team.key: team for team in await session.scalars(select(Team).where(Team.workspace_id == workspace_id))}
    lapsed = list(
        await session.scalars(
            select(CustomerFigures.contact_id).where(
                CustomerFigures.workspace_id == workspace_id, CustomerFigures.lifecycle == "lapsed"
            )
        )
    )
    buyers = list(
        await session.scalars(
            select(Order.buyer_id)
            .where(
                Order.workspace_id == workspace_id,
                Order.buyer_id.is_not(None),
                Order.ordered_at > now - timedelta(days=35),
            )
            .distinct()
        )
    )
    for priority, spec in enumerate(RULES, start=1):
        team = teams.get(spec.team)
        rule = InvitationRule(
            workspace_id=workspace_id,
            name=spec.name,
            url_pattern=spec.url_pattern,
            min_seconds_on_page=spec.min_seconds_on_page,
            returning_only=spec.returning_only,
            segment_rule=spec.segment_rule,
            team_id=team.id if team else None,
            message=spec.message,
            priority=priority * 10,
            created_at=now - timedelta(days=40),
        )
        session.add(rule)
        await session.flush()
        people = lapsed if spec.segment_rule else buyers
        for number in range(spec.shown):
            contact_id = rng.choice(people) if people and (spec.segment_rule or rng.random() < 0.5) else None
            shown_at = await _shown_at(session, contact_id, rng, now)
            visitor = Visitor(
                workspace_id=workspace_id,
                token_hash=f"demo-invited-{rule.id}-{number}-{rng.getrandbits(64):016x}",
                contact_id=contact_id,
                created_at=shown_at - timedelta(days=rng.uniform(0, 30) if spec.returning_only else 0),
                last_seen_at=shown_at,
                sessions=rng.randint(2, 6) if spec.returning_only else 1,
            )
            session.add(visitor)
            await session.flush()
            invitation = Invitation(
                workspace_id=workspace_id,
                rule_id=rule.id,
                visitor_id=visitor.id,
                contact_id=contact_id,
                page_url=SITE + rng.choice(spec.pages),
                shown_at=shown_at,
            )
            session.add(invitation)
            shown += 1
            if rng.random() < spec.answer_rate:
                answered_at = shown_at + timedelta(seconds=rng.uniform(20, 240))
                invitation.answered_at = answered_at
                invitation.conversation_id = await _answered(
                    session, visitor, team, spec, answered_at, rng, context_for
                )
                answered += 1
    return shown, answered


ANSWERS = [
    ("Yes, actually: is the Sencha good for cold brew?", "It is! Use 10 g per litre and leave it overnight."),
    ("How long does delivery to Austria take?", "Usually 3-4 working days, with tracking."),
    ("Do you have decaf espresso beans?", "We do: the Swiss Water decaf, in 250 g and 1 kg bags."),
    ("Can I still change my order from yesterday?", "Yes, it hasn't shipped yet. What would you like to change?"),
]


async def _answered(
    session: AsyncSession,
    visitor: Visitor,
    team: Team | None,
    spec: RuleSpec,
    at: datetime,
    rng: random.Random,
    context_for: Callable[[random.Random, datetime], dict[str, Any]],
) -> int:
    """The conversation an answered invitation started: the team's message first, then the visitor and an agent."""
    question, reply = rng.choice(ANSWERS)
    conversation = Conversation(
        workspace_id=visitor.workspace_id,
        visitor_id=visitor.id,
        contact_id=visitor.contact_id,
        team_id=team.id if team else None,
        status=ConversationStatus.resolved.value,
        last_seq=3,
        created_at=at - timedelta(minutes=1),
        last_activity_at=at + timedelta(minutes=2),
        first_response_at=at + timedelta(minutes=2),
        resolved_at=at + timedelta(minutes=30),
        context=context_for(rng, at),
    )
    session.add(conversation)
    await session.flush()
    lines = [
        (AuthorType.agent, team.name if team else "Demo Shop", spec.message, at - timedelta(minutes=1)),
        (AuthorType.visitor, None, question, at),
        (AuthorType.agent, team.name if team else "Demo Shop", reply, at + timedelta(minutes=2)),
    ]
    for seq, (author_type, name, body, created_at) in enumerate(lines, start=1):
        session.add(
            Message(
                workspace_id=visitor.workspace_id,
                conversation_id=conversation.id,
                seq=seq,
                client_id=f"demo-invitation-{conversation.id}-{seq}",
                author_type=author_type.value,
                author_name=name,
                body=body,
                created_at=created_at,
            )
        )
    return conversation.id


async def _shown_at(session: AsyncSession, contact_id: int | None, rng: random.Random, now: datetime) -> datetime:
    """Within the last five weeks; for a customer, often a few days before one of their orders (so the report's
    "orders within 7 days" has something to count)."""
    if contact_id is not None and rng.random() < 0.7:
        ordered = list(
            await session.scalars(
                select(Order.ordered_at).where(
                    Order.buyer_id == contact_id, Order.ordered_at > now - timedelta(days=35)
                )
            )
        )
        if ordered:
            return rng.choice(ordered) - timedelta(days=rng.uniform(0.2, 6))
    return now - timedelta(days=rng.uniform(0.1, 35))
