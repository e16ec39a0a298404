"""The demo's feedback over thirteen months: monthly NPS pulses, product reviews and referrals.

Surveys and reviews go through their domains' services; where those stamp "now", the times are then moved
to when the demo story says it happened (sent on the month's first days, answered within days, reviewed a
week or two after the order). Answers are stored like ``surveys.service.do_answer`` stores them (score,
comment, its sentiment, both answer times), without checking each link: hundreds of them, all valid.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import OrderStatus
from frontdesk.contacts.models import Contact, ContactKind
from frontdesk.demo_calendar import Calendar, local
from frontdesk.demo_orders import DemoOrders
from frontdesk.feedback.sentiment import sentiment
from frontdesk.referrals.models import Referral, ReferralCode
from frontdesk.referrals.service import do_attribute, get_or_create_code
from frontdesk.reviews.models import ReviewStatus
from frontdesk.reviews.schemas import ReviewCreate, ReviewModeration
from frontdesk.reviews.service import do_create_review, do_moderate
from frontdesk.settings import get_settings
from frontdesk.surveys.models import SurveyRecipient
from frontdesk.surveys.schemas import SurveyCreate
from frontdesk.surveys.service import do_create_survey, do_send_survey

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
    5: [("Perfect every morning", "Rich, smooth and never bitter. I order it every month."),
        ("Wonderful", "Exactly as described, and it arrived in two days.")],
    4: [("Very good", "Lovely taste, the bag could be resealable though."),
        ("Nice", "Good value; I would buy it again.")],
    3: [("OK", "Decent, but I expected a bit more flavour for the price.")],
    2: [("Disappointed", "Arrived with a damaged box and tasted stale.")],
    1: [("Not again", "Broken on arrival and the replacement took weeks.")],
}  # fmt: skip
# How well each product is liked (mean stars before noise): the "reviews by product" chart differs by product.
LIKED = {"TEA-EARL": 4.4, "TEA-SEN": 4.6, "COF-ESP": 4.3, "COF-DEC": 3.4, "ACC-POT": 3.8, "ACC-MUG": 4.2,
         "GIFT-XMAS": 4.7, "GIFT-TASTE": 4.1}  # fmt: skip
MAX_REVIEWS, MAX_ASKED, MAX_REFERRALS = 400, 1000, 150
THANKS = "Thank you so much, enjoy your morning cup!"
SORRY = "We're sorry! We have sent you a replacement and changed our packaging supplier."


@dataclass
class FeedbackResult:
    answers: int = 0
    reviews: int = 0
    referrals: int = 0
    detractors: list[tuple[int, datetime]] = field(default_factory=list)  # (recipient id, answered at)
    low_reviews: list[tuple[int, datetime]] = field(default_factory=list)  # (review id, written at)

    def counts(self) -> dict[str, int]:
        return {"survey_answers": self.answers, "reviews": self.reviews, "referrals": self.referrals}


async def create_demo_feedback(
    *, session: AsyncSession, workspace_id: int, orders: DemoOrders, rng: random.Random, now: datetime
) -> FeedbackResult:
    """Surveys, reviews and referrals over the history; complaints follow them up (demo_complaints)."""
    calendar = Calendar.ending(now)
    result = FeedbackResult()
    await _surveys(session, workspace_id, calendar, rng, result)
    await _reviews(session, workspace_id, calendar, orders, rng, result)
    await _referrals(session, workspace_id, orders, rng, result)
    return result


def _band(rng: random.Random, calendar: Calendar, at: datetime) -> str:
    """Loyalty improves through the year, with a dip after the late deliveries of the Christmas rush."""
    progress = (at - calendar.now).days / len(calendar.days) + 1
    dip = 1.5 if at.month in (12, 1) else 0.0
    return rng.choices(["promoter", "passive", "detractor"], weights=[3 + 4 * progress, 3, 3.2 - 2 * progress + dip])[0]


async def _surveys(
    session: AsyncSession, workspace_id: int, calendar: Calendar, rng: random.Random, result: FeedbackResult
) -> None:
    """An NPS pulse to every external contact on the first Tuesday of each month; a quarter answer."""
    tuesdays = [day for day in calendar.days if day.day <= 7 and day.weekday() == 1]
    for day in tuesdays:
        sent = local(day, 10, rng.uniform(0, 50))
        if sent > calendar.now - timedelta(days=1):
            continue
        survey = await do_create_survey(
            session=session,
            workspace_id=workspace_id,
            data=SurveyCreate(name=f"NPS pulse, {day:%B %Y}", segment="external", valid_days=30),
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
        survey.created_at, survey.sent_at = sent - timedelta(hours=2), sent
        # Sent today to today's segment: the contacts the shop did not know yet on the day are taken out.
        unknown_then = select(Contact.id).where(Contact.workspace_id == workspace_id, Contact.created_at > sent)
        await session.execute(
            delete(SurveyRecipient)
            .where(SurveyRecipient.survey_id == survey.id, SurveyRecipient.contact_id.in_(unknown_then))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(SurveyRecipient)
            .where(SurveyRecipient.survey_id == survey.id)
            .values(invited_at=sent)
            .execution_options(synchronize_session=False)
        )
        recipients = await session.scalars(
            select(SurveyRecipient)
            .where(SurveyRecipient.survey_id == survey.id)
            .order_by(SurveyRecipient.id)
            .limit(MAX_ASKED)  # those who might answer: a big demo (--contacts) stays quick
        )
        for recipient in recipients:
            at = sent + timedelta(hours=min(rng.expovariate(1 / 40), 24 * 29))
            if rng.random() > 0.25 or at >= calendar.now:
                continue
            band = _band(rng, calendar, at)
            score = {"promoter": rng.choice((9, 10)), "passive": rng.choice((7, 8))}.get(band, rng.randrange(0, 7))
            comment = rng.choice(NPS_COMMENTS[band]) or None
            recipient.score, recipient.comment = score, comment
            recipient.sentiment = sentiment(comment) if comment else None
            recipient.answered_at = recipient.first_answered_at = at
            result.answers += 1
            if band == "detractor" and comment:
                result.detractors.append((recipient.id, at))
        await session.flush()


async def _reviews(
    session: AsyncSession,
    workspace_id: int,
    calendar: Calendar,
    orders: DemoOrders,
    rng: random.Random,
    result: FeedbackResult,
) -> None:
    """About one buyer in six reviews a product of their latest order of it, a week or two after it came;
    most are approved (some with the shop's reply), a few rejected, the last few days' still in the queue."""
    latest: dict[tuple[int, str], datetime] = {}
    for order in orders.orders:
        if order.status is OrderStatus.completed and order.buyer_id is not None:
            for line in order.lines:
                key = (order.buyer_id, line.sku)
                latest[key] = max(latest.get(key, order.ordered_at), order.ordered_at)
    chosen = []
    for (buyer, sku), bought in sorted(latest.items()):
        written = bought + timedelta(days=rng.uniform(4, 20), hours=rng.uniform(0, 10))
        if rng.random() < 0.25 and written < calendar.now - timedelta(hours=1):
            chosen.append((written, buyer, sku))
    chosen = rng.sample(chosen, min(len(chosen), MAX_REVIEWS))  # a big demo (--contacts) stays quick
    for written, buyer, sku in sorted(chosen):  # in time order, so the newest reviews have the highest ids
        rating = max(1, min(5, round(rng.gauss(LIKED[sku], 0.9))))
        title, body = rng.choice(REVIEWS[rating])
        review, _ = await do_create_review(
            session=session,
            workspace_id=workspace_id,
            data=ReviewCreate(contact_id=buyer, sku=sku, rating=rating, title=title, body=body),
        )
        if written < calendar.now - timedelta(days=5):  # the last days' wait in the moderation queue
            moderation = ReviewModeration(status=ReviewStatus.approved)
            if rating <= 2:
                moderation = ReviewModeration(status=ReviewStatus.approved, reply=SORRY)
            elif rating == 5 and rng.random() < 0.3:
                moderation = ReviewModeration(status=ReviewStatus.approved, reply=THANKS)
            elif rng.random() < 0.04:
                moderation = ReviewModeration(status=ReviewStatus.rejected, rejection_reason="Contains a phone number")
            await do_moderate(
                session=session, workspace_id=workspace_id, review_id=review.id, data=moderation, actor="Ada Admin"
            )
            review.moderated_at = written + timedelta(hours=rng.uniform(2, 30))
            review.replied_at = review.moderated_at if review.reply else None
        review.created_at = review.updated_at = written
        result.reviews += 1
        if rating <= 2:
            result.low_reviews.append((review.id, written))
    await session.flush()


async def _referrals(
    session: AsyncSession, workspace_id: int, orders: DemoOrders, rng: random.Random, result: FeedbackResult
) -> None:
    """About one new consumer in five came with a loyal customer's code, with their first order."""
    first: dict[int, tuple[datetime, str]] = {}
    count: dict[int, int] = {}
    for order in sorted(orders.orders, key=lambda o: o.ordered_at):
        if order.buyer_id is None or order.status is OrderStatus.cancelled:
            continue
        first.setdefault(order.buyer_id, (order.ordered_at, order.external_id))
        count[order.buyer_id] = count.get(order.buyer_id, 0) + 1
    people = set(
        await session.scalars(
            select(Contact.id).where(Contact.workspace_id == workspace_id, Contact.kind == ContactKind.person.value)
        )
    )
    loyal = sorted((first[buyer][0], buyer) for buyer in first if count[buyer] >= 2)  # by their first order
    code_since: dict[int, datetime] = {}
    for referred, (at, external_id) in sorted(first.items(), key=lambda item: item[1]):
        # Someone who had been buying for a fortnight at least (so never the referred contact themselves).
        known = bisect_left(loyal, (at - timedelta(days=14), 0))
        if referred not in people or not known or result.referrals == MAX_REFERRALS or rng.random() > 0.2:
            continue
        referrer = loyal[rng.randrange(known)][1]
        code = await get_or_create_code(session=session, workspace_id=workspace_id, contact_id=referrer)
        attribution = await do_attribute(
            session=session,
            workspace_id=workspace_id,
            code=code,
            referred_id=referred,
            order_id=orders.ids.get(external_id),
        )
        if not attribution.counted:
            continue
        result.referrals += 1
        await session.execute(
            update(Referral)
            .where(Referral.workspace_id == workspace_id, Referral.referred_id == referred)
            .values(created_at=at)
            .execution_options(synchronize_session=False)
        )
        # The code was asked for some time after the referrer's first order, before anyone used it.
        asked = min(at - timedelta(days=1), first[referrer][0] + timedelta(days=rng.uniform(1, 10)))
        code_since[referrer] = min(code_since.get(referrer, asked), asked)
    for referrer, asked in code_since.items():
        await session.execute(
            update(ReferralCode)
            .where(ReferralCode.contact_id == referrer)
            .values(created_at=asked)
            .execution_options(synchronize_session=False)
        )
