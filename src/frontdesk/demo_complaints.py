"""The demo's complaints over thirteen months: raised from bad chats, bad reviews, detractors' answers and
phone calls, through the complaints service; older ones resolved, the last weeks' still being worked on.

The service stamps "now"; each complaint's times (raised, due, changed, resolved) and the events it wrote
(its own and the contact's timeline) are then moved to when the demo story says it happened.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import OrderStatus
from frontdesk.complaints.models import Category, ComplaintEvent, ComplaintSource, ComplaintStatus, Severity
from frontdesk.complaints.schemas import ComplaintCreate, ComplaintUpdate
from frontdesk.complaints.service import do_raise_complaint, do_update_complaint
from frontdesk.contacts.models import ContactEvent
from frontdesk.demo_chats import ChatResult
from frontdesk.demo_feedback import FeedbackResult
from frontdesk.demo_history import HistoryResult
from frontdesk.demo_orders import DemoOrders
from frontdesk.workspaces.models import Agent

# What customers complain about, by category: (summary, how it was resolved).
TOPICS = {
    Category.delivery: [("Parcel arrived a week late", "Refunded the shipping; the carrier was changed."),
                        ("Wrong address on the parcel", "Re-sent to the right address."),
                        ("Parcel lost by the carrier", "Sent a new parcel; claim filed with the carrier.")],
    Category.product: [("Teapot lid cracked", "Replacement sent."),
                       ("Stale coffee beans", "Sent a fresh bag from a new batch.")],
    Category.billing: [("Charged the wrong price", "Refunded the difference."),
                       ("Invoice missing the VAT number", "Sent a corrected invoice.")],
    Category.service: [("Waited hours for an answer in the chat", "Apologised; added a second agent at peak hours.")],
    Category.website: [("Checkout fails on the phone", "Fixed the payment page on small screens.")],
}  # fmt: skip
# (origin, summary, category, severity, status, resolution, days ago, owner): the complaints the demo's
# story points at from the chat, the review and the survey answer (shown in the README and the tests).
STORIES = [
    ("chat", "Charged twice for one order", Category.billing, Severity.high, ComplaintStatus.resolved,
     "Explained the card authorisation; refunded the shipping as a goodwill gesture.", 20, 0),
    ("review", "Damaged box, stale coffee", Category.product, Severity.medium, ComplaintStatus.in_progress, None, 9, 1),
    ("survey", "Late deliveries, no notice", Category.delivery, Severity.medium, ComplaintStatus.open, None, 3, None),
    ("contact", "Wrong mug colour sent twice", Category.delivery, Severity.low, ComplaintStatus.resolved,
     "Sent the right colour with a free pack of Earl Grey.", 40, 1),
]  # fmt: skip


async def create_demo_complaints(
    *,
    session: AsyncSession,
    workspace_id: int,
    agents: Sequence[Agent],
    chats: ChatResult,
    history: HistoryResult,
    feedback: FeedbackResult,
    orders: DemoOrders,
    rng: random.Random,
    now: datetime,
) -> int:
    """How many complaints were raised."""
    owners = [agent.id for agent in agents]
    raised = 0
    # The history's complaints: a share of each source, at the time the source happened.
    sources: list[tuple[datetime, str, int]] = []
    sources += [(at, "conversation_id", i) for i, at in history.low_rated if rng.random() < 0.35]
    sources += [(at, "review_id", i) for i, at in feedback.low_reviews[:-1] if rng.random() < 0.6]
    sources += [(at, "survey_answer_id", i) for i, at in feedback.detractors[:-1] if rng.random() < 0.08]
    buyers = [(o.ordered_at, o.buyer_id) for o in orders.orders if o.buyer_id and o.status != OrderStatus.cancelled]
    by_month: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for at, buyer in buyers:
        by_month.setdefault((at.year, at.month), []).append((at, buyer))
    for placed in by_month.values():  # every month, a customer or two phone in about an order
        for at, buyer in rng.sample(placed, min(len(placed), rng.choice((1, 2)))):
            sources.append((at + timedelta(days=rng.uniform(1, 6)), "contact_id", buyer))
    for at, field, origin in sorted(sources):
        if at >= now - timedelta(hours=2):
            continue
        category = {"conversation_id": Category.service, "review_id": Category.product}.get(
            field, rng.choice(list(TOPICS))
        )
        summary, resolution = rng.choice(TOPICS[category])
        age = (now - at).days
        if age > 25:
            status = ComplaintStatus.resolved
        else:
            status = rng.choice([ComplaintStatus.open, ComplaintStatus.in_progress, ComplaintStatus.resolved])
        severity = rng.choices([Severity.low, Severity.medium, Severity.high], weights=[3, 5, 1])[0]
        details = dict(summary=summary, category=category, severity=severity, owner_id=rng.choice(owners))
        done = at + timedelta(days=rng.uniform(0.5, min(12, age)))
        await _raise(session, workspace_id, {field: origin, **details}, status, resolution, at, done)
        raised += 1
    # The stories, where their source came up (a demo with very few contacts may have none).
    low_review = feedback.low_reviews[-1][0] if feedback.low_reviews else None
    detractor = feedback.detractors[-1][0] if feedback.detractors else None
    phoned_in = rng.choice(buyers)[1] if buyers else None
    origins = {"chat": ("conversation_id", chats.low_rated_id), "review": ("review_id", low_review),
               "survey": ("survey_answer_id", detractor), "contact": ("contact_id", phoned_in)}  # fmt: skip
    for story, summary, category, severity, status, how, days_ago, owner in STORIES:
        named, source = origins[story]
        if source is None:
            continue
        at = now - timedelta(days=days_ago, hours=rng.randrange(1, 8))
        details = dict(summary=summary, category=category, severity=severity)
        if owner is not None and owner < len(owners):
            details["owner_id"] = owners[owner]
        after = at + timedelta(days=2)
        await _raise(session, workspace_id, {named: source, **details}, status, how, at, after)
        raised += 1
    await session.flush()
    return raised


async def _raise(
    session: AsyncSession,
    workspace_id: int,
    fields: dict[str, Any],
    status: ComplaintStatus,
    resolution: str | None,
    raised_at: datetime,
    changed_at: datetime,
) -> None:
    complaint = await do_raise_complaint(
        session=session,
        workspace_id=workspace_id,
        data=ComplaintCreate.model_validate(fields),
        actor="Sam Support",
        direct_source=ComplaintSource.agent,
    )
    if status is not ComplaintStatus.open:
        await do_update_complaint(
            session=session,
            workspace_id=workspace_id,
            complaint_id=complaint.id,
            data=ComplaintUpdate(status=status, resolution=resolution if status is ComplaintStatus.resolved else None),
            actor="Ada Admin",
        )
    complaint.created_at, complaint.due_at = raised_at, raised_at + timedelta(days=14)
    complaint.updated_at = changed_at if status is not ComplaintStatus.open else raised_at
    complaint.resolved_at = changed_at if status is ComplaintStatus.resolved else None
    await session.flush()
    for kind, at in (("raised", raised_at), ("changed", changed_at)):
        await session.execute(
            update(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == kind)
            .values(created_at=at)
            .execution_options(synchronize_session=False)
        )
    if complaint.contact_id is None:
        return
    # The contact's timeline: only this complaint's events (a contact may have complained before).
    events = await session.scalars(
        select(ContactEvent).where(
            ContactEvent.contact_id == complaint.contact_id,
            ContactEvent.kind.in_(("complaint_raised", "complaint_resolved")),
        )
    )
    for event in events:
        if event.data.get("complaint_id") == complaint.id:
            event.created_at = raised_at if event.kind == "complaint_raised" else changed_at
