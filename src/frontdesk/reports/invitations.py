"""Proactive chat report: invitations shown, answered, and the orders that followed within 7 days.

Definitions (docs: one function computes them everywhere they are shown):
- *shown*: invitations whose ``shown_at`` lies in the period.
- *answered*: those of them the visitor wrote back to (``answered_at`` set, whenever that was).
- *orders that followed*: distinct orders that are not cancelled, bought by the invitation's contact (the
  contact the visitor had when shown, else the one they have now) with ``ordered_at`` in
  [shown_at, shown_at + 7 days]. Per rule, an order counts once however many of the rule's invitations it
  followed; in the total, once however many rules it followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import Order, OrderStatus
from frontdesk.conversations.models import Invitation, InvitationRule, Visitor

FOLLOW_WINDOW = timedelta(days=7)


class InvitationRuleFigures(BaseModel):
    rule_id: int
    name: str
    shown: int
    answered: int
    orders_following: int
    answer_rate: float | None


class InvitationReport(BaseModel):
    since: datetime
    until: datetime
    rules: list[InvitationRuleFigures]
    shown: int
    answered: int
    orders_following: int
    answer_rate: float | None


@dataclass
class _Tally:
    name: str
    shown: int = 0
    answered: int = 0
    orders: set[int] = field(default_factory=set)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def invitation_report(
    *, session: AsyncSession, workspace_id: int, since: datetime, until: datetime
) -> InvitationReport:
    """The figures of invitations shown in [since, until), per rule (busiest first) and in total."""
    contact = func.coalesce(Invitation.contact_id, Visitor.contact_id)
    in_period = and_(Invitation.workspace_id == workspace_id, Invitation.shown_at >= since, Invitation.shown_at < until)
    rows = await session.execute(
        select(Invitation.rule_id, InvitationRule.name, func.count(), func.count(Invitation.answered_at))
        .join(InvitationRule, InvitationRule.id == Invitation.rule_id)
        .where(in_period)
        .group_by(Invitation.rule_id, InvitationRule.name)
    )
    tallies = {rule_id: _Tally(name, shown, answered) for rule_id, name, shown, answered in rows.all()}
    followed = await session.execute(
        select(Invitation.rule_id, Order.id, Invitation.shown_at, Order.ordered_at)
        .outerjoin(Visitor, Visitor.id == Invitation.visitor_id)
        .join(
            Order,
            and_(
                Order.workspace_id == workspace_id,
                Order.buyer_id == contact,
                Order.status != OrderStatus.cancelled.value,
                Order.ordered_at >= Invitation.shown_at,
            ),
        )
        .where(in_period)
    )
    every_order: set[int] = set()
    for rule_id, order_id, shown_at, ordered_at in followed.all():
        # The window's end is checked here: adding an interval to a column differs on each database.
        if ordered_at <= shown_at + FOLLOW_WINDOW:
            tallies[rule_id].orders.add(order_id)
            every_order.add(order_id)
    rules = sorted(
        (
            InvitationRuleFigures(
                rule_id=rule_id,
                name=tally.name,
                shown=tally.shown,
                answered=tally.answered,
                orders_following=len(tally.orders),
                answer_rate=_rate(tally.answered, tally.shown),
            )
            for rule_id, tally in tallies.items()
        ),
        key=lambda figures: (-figures.shown, figures.rule_id),
    )
    shown = sum(figures.shown for figures in rules)
    answered = sum(figures.answered for figures in rules)
    return InvitationReport(
        since=since,
        until=until,
        rules=rules,
        shown=shown,
        answered=answered,
        orders_following=len(every_order),
        answer_rate=_rate(answered, shown),
    )
