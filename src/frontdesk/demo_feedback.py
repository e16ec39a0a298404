"""The demo's feedback: NPS surveys with answers, product reviews, complaints and referrals.

Written through the domains' services; where those stamp "now", the times are then moved to when the demo
story says it happened (sent months ago, answered days after, reviewed after the order, ...).
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import OrderStatus
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, OrderLineCreate
from frontdesk.complaints.models import Category, ComplaintEvent, ComplaintSource, ComplaintStatus, Severity
from frontdesk.complaints.schemas import ComplaintCreate, ComplaintUpdate
from frontdesk.complaints.service import do_raise_complaint, do_update_complaint
from frontdesk.contacts.models import ContactEvent, ContactKind
from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact
from frontdesk.db import utcnow
from frontdesk.demo_chats import ChatResult
from frontdesk.referrals.models import Referral, ReferralCode
from frontdesk.referrals.service import do_attribute, get_or_create_code
from frontdesk.reviews.models import ReviewStatus
from frontdesk.reviews.schemas import ReviewCreate, ReviewModeration
from frontdesk.reviews.service import do_create_review, do_moderate
from frontdesk.settings import get_settings
from frontdesk.surveys.models import SurveyRecipient
from frontdesk.surveys.schemas import AnswerCreate, SurveyCreate
from frontdesk.surveys.service import do_answer, do_create_survey, do_send_survey, link_token
from frontdesk.workspaces.models import Agent

ACTOR = "demo"
# (score, comment) per NPS band; an empty comment is an answer without one.
NPS_COMMENTS = {
    "promoter": [
        "Best tea shop I know, always fast delivery.",
        "Love the Sencha and the friendly support.",
        "Great quality, I recommend you to all my friends!",
        "",
    ],
    "passive": ["Good products, shipping could be faster.", "Fine, a bit pricey.", ""],
    "detractor": [
        "My last two orders arrived late and nobody told me.",
        "The website checkout keeps failing on my phone.",
        "Coffee quality went down this year.",
        "",
    ],
}
REVIEWS = {
    5: [("Perfect every morning", "Rich, smooth and never bitter. I order it every month.")],
    4: [("Very good", "Lovely taste, the bag could be resealable though.")],
    3: [("OK", "Decent, but I expected a bit more flavour for the price.")],
    2: [("Disappointed", "Arrived with a damaged box and tasted stale.")],
}
SURVEYS = [
    ("NPS: consumers, spring", "b2c", 160),
    ("NPS: business customers, autumn", "b2b", 45),
]


async def create_demo_feedback(
    *,
    session: AsyncSession,
    workspace_id: int,
    agents: list[Agent],
    orders: list[OrderCreate],
    chats: ChatResult,
    rng: random.Random,
) -> dict[str, int]:
    """Surveys, reviews, complaints and referrals; how many of each were made."""
    answers, detractor_answer = await _surveys(session, workspace_id, rng)
    reviews, low_review = await _reviews(session, workspace_id, orders, rng)
    customers = sorted({order.buyer_id for order in orders if order.buyer_id is not None})
    complaints = await _complaints(session, workspace_id, agents, chats, low_review, detractor_answer, customers, rng)
    referrals = await _referrals(session, workspace_id, orders, rng)
    return {"survey_answers": answers, "reviews": reviews, "complaints": complaints, "referrals": referrals}


async def _surveys(session: AsyncSession, workspace_id: int, rng: random.Random) -> tuple[int, int | None]:
    """Two NPS surveys sent months apart; about 40% answer, most within a few days."""
    now = utcnow()
    answered, detractor = 0, None
    for name, segment, days_ago in SURVEYS:
        survey = await do_create_survey(
            session=session,
            workspace_id=workspace_id,
            data=SurveyCreate(name=name, segment=segment, valid_days=60),
            actor="Ada Admin",
        )
        # The demo never mails anyone: the links are what the export offers.
        await do_send_survey(
            session=session,
            workspace_id=workspace_id,
            survey_id=survey.id,
            public_url=get_settings().public_url,
            mail_configured=False,
        )
        sent = now - timedelta(days=days_ago, hours=rng.randrange(24))
        survey.created_at, survey.sent_at = sent - timedelta(hours=2), sent
        recipients = list(
            await session.scalars(
                select(SurveyRecipient).where(SurveyRecipient.survey_id == survey.id).order_by(SurveyRecipient.id)
            )
        )
        for recipient in recipients:
            recipient.invited_at = sent
        await session.flush()
        for recipient in recipients:
            if rng.random() > 0.4:
                continue
            band = rng.choices(["promoter", "passive", "detractor"], weights=[5, 3, 2])[0]
            score = {"promoter": rng.choice((9, 10)), "passive": rng.choice((7, 8))}.get(band, rng.randrange(2, 7))
            at = sent + timedelta(hours=min(rng.expovariate(1 / 60), 24 * 50))
            await do_answer(
                session=session,
                token=link_token(recipient, survey),
                data=AnswerCreate(score=score, comment=rng.choice(NPS_COMMENTS[band])),
                now=at,
            )
            answered += 1
            if band == "detractor" and recipient.comment:
                detractor = recipient.id
    return answered, detractor


async def _reviews(
    session: AsyncSession, workspace_id: int, orders: list[OrderCreate], rng: random.Random
) -> tuple[int, int | None]:
    """Reviews of completed orders of the last half year: most approved, one with the shop's reply, some
    still waiting for moderation."""
    now = utcnow()
    recent = [o for o in orders if o.status is OrderStatus.completed and o.ordered_at > now - timedelta(days=180)]
    seen: set[tuple[int, str]] = set()
    written, low = 0, None
    for order in rng.sample(recent, min(len(recent), 24)):
        assert order.buyer_id is not None
        sku = order.lines[0].sku
        if (order.buyer_id, sku) in seen or written == 16:
            continue
        seen.add((order.buyer_id, sku))
        # One unhappy buyer for sure: the complaints page follows that review up.
        rating = 2 if written == 2 else rng.choices([5, 4, 3, 2], weights=[6, 4, 2, 1])[0]
        title, body = rng.choice(REVIEWS[rating])
        review, _ = await do_create_review(
            session=session,
            workspace_id=workspace_id,
            data=ReviewCreate(contact_id=order.buyer_id, sku=sku, rating=rating, title=title, body=body),
        )
        written_at = min(order.ordered_at + timedelta(days=rng.uniform(4, 20)), now - timedelta(days=1))
        if written % 5 != 4:  # every fifth still waits in the moderation queue
            reply = None
            if rating <= 2:
                reply = "We're sorry! We have sent you a replacement and changed our packaging supplier."
            elif written == 0:
                reply = "Thank you so much, enjoy your morning cup!"
            await do_moderate(
                session=session,
                workspace_id=workspace_id,
                review_id=review.id,
                data=ReviewModeration(status=ReviewStatus.approved, reply=reply),
                actor="Ada Admin",
            )
            review.moderated_at = written_at + timedelta(hours=rng.uniform(2, 30))
            review.replied_at = review.moderated_at if reply else None
        if rating <= 2:
            low = review.id
        review.created_at = review.updated_at = written_at
        written += 1
    await session.flush()
    return written, low


async def _complaints(
    session: AsyncSession,
    workspace_id: int,
    agents: list[Agent],
    chats: ChatResult,
    low_review: int | None,
    detractor_answer: int | None,
    customers: list[int],
    rng: random.Random,
) -> int:
    """Complaints raised from a chat, a review, a survey answer and by an agent, in different states."""
    admin, sam = agents
    phoned_in = rng.choice(customers) if customers else None  # a customer who phoned: the agent raised it by hand
    raised: list[tuple[dict[str, int | None], dict[str, object], ComplaintStatus, str | None, int]] = [
        (
            {"conversation_id": chats.low_rated_id},
            dict(
                summary="Charged twice for one order",
                category=Category.billing,
                severity=Severity.high,
                owner_id=admin.id,
            ),
            ComplaintStatus.resolved,
            "Explained the card authorisation; refunded the shipping as a goodwill gesture.",
            20,
        ),
        (
            {"review_id": low_review},
            dict(
                summary="Damaged box, stale coffee",
                category=Category.product,
                severity=Severity.medium,
                owner_id=sam.id,
            ),
            ComplaintStatus.in_progress,
            None,
            9,
        ),
        (
            {"survey_answer_id": detractor_answer},
            dict(
                summary="Late deliveries, no notice",
                category=Category.delivery,
                severity=Severity.medium,
            ),
            ComplaintStatus.open,
            None,
            3,
        ),
        (
            {"contact_id": phoned_in},
            dict(
                summary="Wrong mug colour sent twice",
                category=Category.delivery,
                severity=Severity.low,
                owner_id=sam.id,
            ),
            ComplaintStatus.resolved,
            "Sent the right colour with a free pack of Earl Grey.",
            40,
        ),
    ]
    written = 0
    for origin, details, status, resolution, days_ago in raised:
        if None in origin.values():
            continue  # the story's source did not come up (a demo with very few contacts)
        data = ComplaintCreate.model_validate({**origin, **details})
        complaint = await do_raise_complaint(
            session=session,
            workspace_id=workspace_id,
            data=data,
            actor="Sam Support",
            direct_source=ComplaintSource.agent,
        )
        if status is not ComplaintStatus.open:
            await do_update_complaint(
                session=session,
                workspace_id=workspace_id,
                complaint_id=complaint.id,
                data=ComplaintUpdate(status=status, resolution=resolution),
                actor="Ada Admin",
            )
        raised_at = utcnow() - timedelta(days=days_ago, hours=rng.randrange(8))
        changed_at = raised_at + timedelta(days=2)
        complaint.created_at, complaint.due_at = raised_at, raised_at + timedelta(days=14)
        complaint.updated_at = changed_at if status is not ComplaintStatus.open else raised_at
        complaint.resolved_at = changed_at if status is ComplaintStatus.resolved else None
        for kind, at in (("raised", raised_at), ("changed", changed_at)):
            await session.execute(
                update(ComplaintEvent)
                .where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == kind)
                .values(created_at=at)
                .execution_options(synchronize_session=False)
            )
        for kind, at in (("complaint_raised", raised_at), ("complaint_resolved", changed_at)):
            await session.execute(
                update(ContactEvent)
                .where(ContactEvent.contact_id == complaint.contact_id, ContactEvent.kind == kind)
                .values(created_at=at)
                .execution_options(synchronize_session=False)
            )
        written += 1
    await session.flush()
    return written


async def _referrals(session: AsyncSession, workspace_id: int, orders: list[OrderCreate], rng: random.Random) -> int:
    """Loyal customers' codes brought a handful of new customers, each with a first order."""
    counts: dict[int, int] = {}
    for order in orders:
        if order.buyer_id is not None:
            counts[order.buyer_id] = counts.get(order.buyer_id, 0) + 1
    loyal = sorted(counts, key=lambda buyer: (-counts[buyer], buyer))[:4]
    if not loyal:
        return 0
    now = utcnow()
    codes = {
        referrer: await get_or_create_code(session=session, workspace_id=workspace_id, contact_id=referrer)
        for referrer in loyal
    }
    friends = [("Pia", "Lehmann"), ("Oskar", "Berg"), ("Emma", "Laurent"), ("Milan", "Horvat"), ("Ada", "Costa")]
    friends += [("Theo", "Visser"), ("Lucía", "Ortega")]
    referred = []
    for index, (first, last) in enumerate(friends):
        contact = await do_create_contact(
            session=session,
            workspace_id=workspace_id,
            data=ContactCreate(
                kind=ContactKind.person,
                first_name=first,
                last_name=last,
                emails=[f"{first.lower().replace('í', 'i')}.{last.lower()}@friends.example"],
                country=rng.choice(["DE", "NL", "FR", "AT"]),
                market="b2c",
                stage="customer",
                tags=["referred"],
            ),
            actor=ACTOR,
        )
        at = now - timedelta(days=rng.uniform(3, 80))
        referred.append((contact.id, loyal[index % len(loyal)], at))
    first_orders = [
        OrderCreate(
            external_id=f"DS-REF-{index}",
            buyer_id=contact_id,
            channel="web",
            currency="EUR",
            ordered_at=at,
            lines=[OrderLineCreate(sku="TEA-EARL", quantity=2, unit_price=Decimal("6.90"))],
        )
        for index, (contact_id, _, at) in enumerate(referred)
    ]
    outcome = await write_orders(session=session, workspace_id=workspace_id, orders=first_orders, actor=ACTOR)
    written = 0
    for index, (contact_id, referrer, at) in enumerate(referred):
        order_id = outcome.order_ids.get(f"DS-REF-{index}")
        attribution = await do_attribute(
            session=session, workspace_id=workspace_id, code=codes[referrer], referred_id=contact_id, order_id=order_id
        )
        written += attribution.counted
        await session.execute(
            update(Referral)
            .where(Referral.workspace_id == workspace_id, Referral.referred_id == contact_id)
            .values(created_at=at)
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(ReferralCode)
        .where(ReferralCode.workspace_id == workspace_id)
        .values(created_at=now - timedelta(days=90))
        .execution_options(synchronize_session=False)
    )
    return written
