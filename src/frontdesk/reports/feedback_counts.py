"""The counting behind the feedback figures, defined once (docs/reports.md, "Feedback").

The feedback report (``reports.feedback``) and the older endpoints that show the same figures
(``/api/v1/reports/nps``, ``/api/v1/surveys/{id}/results``, ``/api/v1/reports/complaint-rate``,
``/api/v1/referrals/report``) all count through these functions, so a promoter, a complaint per 100 orders
or a referred new customer means the same everywhere. They differ only in how they cut time: the report in
local buckets of its controls, the older endpoints in UTC months or weeks. Each function takes that cut as
``bucket`` (a function giving the SQL label of a timestamp column, or ``None`` for one group over everything)
and the rows' time limits as ``within`` (a function giving the conditions on a timestamp column).

This module imports only models, so every domain service may use it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from frontdesk.commerce.models import CustomerFigures, Order, OrderStatus
from frontdesk.complaints.models import Complaint
from frontdesk.referrals.models import Referral
from frontdesk.reports.figures import rate, ratio
from frontdesk.reviews.models import Review, ReviewStatus
from frontdesk.surveys.models import SurveyRecipient

Bucket = Callable[[Any], Any] | None  # column -> SQL label of its bucket; None: one group, labelled ""
Within = Callable[[Any], list[Any]]  # column -> the conditions keeping the rows in the period
WHOLE = ""  # the label of the single group when there is no ``bucket``


def between(since: datetime | None, until: datetime | None) -> Within:
    """The ``within`` of a period open at either end: ``since <= at < until``, a missing limit not applied."""

    def within(column: Any) -> list[Any]:
        conditions = []
        if since is not None:
            conditions.append(column >= since)
        if until is not None:
            conditions.append(column < until)
        return conditions

    return within


PROMOTER_MIN = 9  # 9 and 10 are promoters
PASSIVE_MIN = 7  # 7 and 8 are passives; 0 to 6 detractors


def nps_class(score: int) -> str:
    """``promoter`` (9-10), ``passive`` (7-8) or ``detractor`` (0-6)."""
    return "promoter" if score >= PROMOTER_MIN else "passive" if score >= PASSIVE_MIN else "detractor"


def nps_score(promoters: int, detractors: int, answers: int) -> float | None:
    """% promoters - % detractors, to one decimal (-100.0 to 100.0); ``None`` without answers."""
    if not answers:
        return None
    return round(100 * (promoters - detractors) / answers, 1)


@dataclass(frozen=True)
class NpsCounts:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        return nps_score(self.promoters, self.detractors, self.answers)

    def __add__(self, other: NpsCounts) -> NpsCounts:
        return NpsCounts(
            self.promoters + other.promoters, self.passives + other.passives, self.detractors + other.detractors
        )


def _label(bucket: Bucket, column: Any) -> Any:
    return (bucket(column) if bucket is not None else literal(WHOLE)).label("bucket")


def _grouped(statement: Select[Any]) -> Select[Any]:
    # By the label's name, not the expression: PostgreSQL would see the expression's bound parameters
    # (the zone name, the offsets) rendered twice as two different expressions.
    return statement.group_by("bucket")


async def nps_counts(
    session: AsyncSession, *, workspace_id: int, conditions: list[Any], bucket: Bucket
) -> dict[str, NpsCounts]:
    """Promoters, passives and detractors among the answered survey recipients meeting ``conditions``."""
    score = SurveyRecipient.score

    def count_of(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    statement = select(
        _label(bucket, SurveyRecipient.answered_at),
        count_of(score >= PROMOTER_MIN),
        count_of((score >= PASSIVE_MIN) & (score < PROMOTER_MIN)),
        count_of(score < PASSIVE_MIN),
    ).where(SurveyRecipient.workspace_id == workspace_id, score.is_not(None), *conditions)
    rows = await session.execute(_grouped(statement))
    return {str(label): NpsCounts(int(p), int(n), int(d)) for label, p, n, d in rows.all()}


async def _count_by_bucket(session: AsyncSession, column: Any, bucket: Bucket, conditions: list[Any]) -> dict[str, int]:
    rows = await session.execute(_grouped(select(_label(bucket, column), func.count()).where(*conditions)))
    return {str(label): int(n) for label, n in rows.all()}


@dataclass(frozen=True)
class ComplaintCounts:
    complaints: int = 0
    orders: int = 0  # placed and not cancelled (a refunded order was placed)

    @property
    def rate(self) -> float | None:
        """Complaints per 100 orders, 2 decimals; ``None`` without orders."""
        return rate(self.complaints, self.orders)


async def complaint_counts(
    session: AsyncSession, *, workspace_id: int, within: Within, bucket: Bucket, members: Any | None = None
) -> dict[str, ComplaintCounts]:
    """Complaints raised (by ``created_at``) and orders placed, not cancelled (by ``ordered_at``), per bucket.

    ``members``: only the complaints and orders of these contacts (complaint contact, order buyer)."""
    raised = [Complaint.workspace_id == workspace_id, *within(Complaint.created_at)]
    placed = [
        Order.workspace_id == workspace_id,
        Order.status != OrderStatus.cancelled.value,
        *within(Order.ordered_at),
    ]
    if members is not None:
        raised.append(Complaint.contact_id.in_(members))
        placed.append(Order.buyer_id.in_(members))
    complaints = await _count_by_bucket(session, Complaint.created_at, bucket, raised)
    orders = await _count_by_bucket(session, Order.ordered_at, bucket, placed)
    return {
        label: ComplaintCounts(complaints.get(label, 0), orders.get(label, 0))
        for label in complaints.keys() | orders.keys()
    }


@dataclass(frozen=True)
class ReferralCounts:
    new_customers: int = 0  # contacts whose first completed order falls in the bucket
    referred: int = 0  # of those, the ones who came by a referral

    @property
    def rate(self) -> float | None:
        """Referred new customers per 100 new customers; ``None`` without new customers."""
        return rate(self.referred, self.new_customers)


async def referral_counts(
    session: AsyncSession, *, workspace_id: int, within: Within, bucket: Bucket, members: Any | None = None
) -> dict[str, ReferralCounts]:
    """New customers by the bucket of their first completed order, and how many of them were referred.

    Reads ``customer_figures`` (kept current as orders arrive, refunds included), not every order: a
    customer's first completed order is there already. A contact is referred at most once per workspace
    (a unique key), so the outer join adds no rows."""
    conditions = [
        CustomerFigures.workspace_id == workspace_id,
        CustomerFigures.orders > 0,
        *within(CustomerFigures.first_order_at),
    ]
    if members is not None:
        conditions.append(CustomerFigures.contact_id.in_(members))
    statement = (
        select(_label(bucket, CustomerFigures.first_order_at), func.count(), func.count(Referral.id))
        .select_from(CustomerFigures)
        .outerjoin(
            Referral,
            (Referral.referred_id == CustomerFigures.contact_id) & (Referral.workspace_id == workspace_id),
        )
        .where(*conditions)
    )
    rows = await session.execute(_grouped(statement))
    return {str(label): ReferralCounts(int(new), int(referred)) for label, new, referred in rows.all()}


@dataclass(frozen=True)
class ReviewCounts:
    reviews: int = 0
    stars: int = 0  # the sum of their ratings (1-5)

    @property
    def average(self) -> float | None:
        """The mean rating to 2 decimals; ``None`` without reviews."""
        return ratio(self.stars, self.reviews)

    def __add__(self, other: ReviewCounts) -> ReviewCounts:
        return ReviewCounts(self.reviews + other.reviews, self.stars + other.stars)


async def review_counts(
    session: AsyncSession, *, workspace_id: int, within: Within, bucket: Bucket, members: Any | None = None
) -> dict[tuple[str, int], ReviewCounts]:
    """Approved reviews written in the period (by ``created_at``), per (bucket, product).

    Only approved reviews count: pending ones wait for moderation and rejected ones were refused, so neither
    is a customer's published verdict (the same rule as the public product summary)."""
    conditions = [
        Review.workspace_id == workspace_id,
        Review.status == ReviewStatus.approved.value,
        *within(Review.created_at),
    ]
    if members is not None:
        conditions.append(Review.contact_id.in_(members))
    statement = (
        select(_label(bucket, Review.created_at), Review.product_id, func.count(), func.sum(Review.rating))
        .where(*conditions)
        .group_by("bucket", Review.product_id)
    )
    rows = await session.execute(statement)
    return {
        (str(label), int(product_id)): ReviewCounts(int(n), int(stars or 0))
        for label, product_id, n, stars in rows.all()
    }
