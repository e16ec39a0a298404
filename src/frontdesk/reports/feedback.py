"""The feedback report: NPS, complaint rate, referral rate and reviews, over the controls' period and buckets.

Every figure here is counted by ``reports.feedback_counts`` (shared with the older survey, complaint and
referral endpoints) and cut into the controls' local buckets; ``nps`` and ``complaint_rate`` are the figure
functions the dashboard calls. Definitions: docs/reports.md, "Feedback".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import Product
from frontdesk.reports.charts import Chart, Series
from frontdesk.reports.controls import Bucketing, ReportControls, segment_members
from frontdesk.reports.feedback_counts import (
    ComplaintCounts,
    NpsCounts,
    ReferralCounts,
    ReviewCounts,
    complaint_counts,
    nps_counts,
    referral_counts,
    review_counts,
)
from frontdesk.reports.figures import Figure
from frontdesk.reports.registry import ReportDefinition
from frontdesk.surveys.models import SurveyRecipient
from frontdesk.workspaces.models import Role

T = TypeVar("T")
TOP_PRODUCTS = 50  # products listed by name; the rest are summed in ``other_products``


class NpsRow(BaseModel):
    answers: int
    promoters: int = Field(description="Scores 9-10")
    passives: int = Field(description="Scores 7-8")
    detractors: int = Field(description="Scores 0-6")
    nps: float | None = Field(description="% promoters - % detractors, 1 decimal; empty without answers")


class ComplaintRow(BaseModel):
    complaints: int = Field(description="Complaints raised")
    orders: int = Field(description="Orders placed, cancelled ones not counted")
    rate: float | None = Field(description="Complaints per 100 orders, 2 decimals; empty without orders")


class ReferralRow(BaseModel):
    new_customers: int = Field(description="Contacts whose first completed order falls here")
    referred: int = Field(description="Of those, how many came by a referral")
    rate: float | None = Field(description="Referred per 100 new customers, 2 decimals; empty without any")


class ReviewRow(BaseModel):
    reviews: int = Field(description="Approved reviews written")
    average: float | None = Field(description="Their mean rating (1-5), 2 decimals; empty without reviews")


class ProductReviews(ReviewRow):
    product_id: int
    sku: str
    name: str


class FeedbackReport(BaseModel):
    labels: list[str] = Field(description="The buckets, in order; every list ending in _by_bucket follows them")
    first_day: date
    last_day: date
    granularity: str
    time_zone: str
    segment: str | None
    nps: NpsRow = Field(description="Over the whole period")
    nps_by_bucket: list[NpsRow]
    complaints: ComplaintRow
    complaints_by_bucket: list[ComplaintRow]
    referrals: ReferralRow
    referrals_by_bucket: list[ReferralRow]
    reviews: ReviewRow
    reviews_by_bucket: list[ReviewRow]
    reviews_by_product: list[ProductReviews] = Field(
        description=f"The {TOP_PRODUCTS} products with the most reviews in the period, most first"
    )
    other_products: ReviewRow = Field(description="The reviews of every product not listed, together")


@dataclass(frozen=True)
class _Cut:
    """The controls as the counting functions take them: bucket key, period conditions, segment members.

    The database keys each row's bucket as the customers report does (``Bucketing``: on PostgreSQL the
    bucket's position found by ``width_bucket``, about twice as fast over millions of orders as formatting
    each row's local time); ``label`` turns a key back into the bucket's label."""

    bucketing: Bucketing
    within: Callable[[Any], list[Any]]
    members: Any | None

    def bucket(self, column: Any) -> Any:
        return self.bucketing.key(column)

    def label(self, key: str) -> str:
        return self.bucketing.label(key)


async def _cut(session: AsyncSession, controls: ReportControls) -> _Cut:
    members = await segment_members(session=session, controls=controls)
    return _Cut(Bucketing(controls, session.get_bind().dialect.name), controls.within, members)


def _per_bucket(controls: ReportControls, cut: _Cut, found: dict[str, T], empty: T) -> list[T]:
    labelled = {cut.label(key): value for key, value in found.items()}
    return [labelled.get(label, empty) for label in controls.labels()]


async def _nps_counts(session: AsyncSession, controls: ReportControls, cut: _Cut) -> list[NpsCounts]:
    conditions = cut.within(SurveyRecipient.answered_at)
    if cut.members is not None:
        conditions.append(SurveyRecipient.contact_id.in_(cut.members))
    found = await nps_counts(session, workspace_id=controls.workspace_id, conditions=conditions, bucket=cut.bucket)
    return _per_bucket(controls, cut, found, NpsCounts())


async def _complaint_counts(session: AsyncSession, controls: ReportControls, cut: _Cut) -> list[ComplaintCounts]:
    found = await complaint_counts(
        session, workspace_id=controls.workspace_id, within=cut.within, bucket=cut.bucket, members=cut.members
    )
    return _per_bucket(controls, cut, found, ComplaintCounts())


def _total_complaints(rows: list[ComplaintCounts]) -> ComplaintCounts:
    return ComplaintCounts(sum(row.complaints for row in rows), sum(row.orders for row in rows))


def _total_referrals(rows: list[ReferralCounts]) -> ReferralCounts:
    return ReferralCounts(sum(row.new_customers for row in rows), sum(row.referred for row in rows))


async def nps(session: AsyncSession, controls: ReportControls) -> Figure:
    """NPS of the survey answers given in the period (by ``answered_at``), overall and per bucket."""
    rows = await _nps_counts(session, controls, await _cut(session, controls))
    total = sum(rows, NpsCounts())
    return Figure(value=total.nps, by_bucket=[row.nps for row in rows])


async def complaint_rate(session: AsyncSession, controls: ReportControls) -> Figure:
    """Complaints raised per 100 orders placed (not cancelled), overall and per bucket."""
    rows = await _complaint_counts(session, controls, await _cut(session, controls))
    return Figure(value=_total_complaints(rows).rate, by_bucket=[row.rate for row in rows])


async def referral_rate(session: AsyncSession, controls: ReportControls) -> Figure:
    """The share (%) of the new customers of each bucket who came by a referral, and over the period."""
    rows = await _referral_counts(session, controls, await _cut(session, controls))
    return Figure(value=_total_referrals(rows).rate, by_bucket=[row.rate for row in rows])


async def _referral_counts(session: AsyncSession, controls: ReportControls, cut: _Cut) -> list[ReferralCounts]:
    found = await referral_counts(
        session, workspace_id=controls.workspace_id, within=cut.within, bucket=cut.bucket, members=cut.members
    )
    return _per_bucket(controls, cut, found, ReferralCounts())


def _nps_row(counts: NpsCounts) -> NpsRow:
    return NpsRow(
        answers=counts.answers,
        promoters=counts.promoters,
        passives=counts.passives,
        detractors=counts.detractors,
        nps=counts.nps,
    )


def _complaint_row(counts: ComplaintCounts) -> ComplaintRow:
    return ComplaintRow(complaints=counts.complaints, orders=counts.orders, rate=counts.rate)


def _referral_row(counts: ReferralCounts) -> ReferralRow:
    return ReferralRow(new_customers=counts.new_customers, referred=counts.referred, rate=counts.rate)


def _review_row(counts: ReviewCounts) -> ReviewRow:
    return ReviewRow(reviews=counts.reviews, average=counts.average)


async def _reviews(
    session: AsyncSession, controls: ReportControls, cut: _Cut
) -> tuple[list[ReviewCounts], list[ProductReviews], ReviewCounts]:
    found = await review_counts(
        session, workspace_id=controls.workspace_id, within=cut.within, bucket=cut.bucket, members=cut.members
    )
    by_bucket: dict[str, ReviewCounts] = {}
    by_product: dict[int, ReviewCounts] = {}
    for (key, product_id), counts in found.items():
        by_bucket[key] = by_bucket.get(key, ReviewCounts()) + counts
        by_product[product_id] = by_product.get(product_id, ReviewCounts()) + counts
    names = {
        product_id: (sku, name)
        for product_id, sku, name in (
            await session.execute(
                select(Product.id, Product.sku, Product.name).where(
                    Product.workspace_id == controls.workspace_id, Product.id.in_(list(by_product))
                )
            )
        ).all()
    }
    # Most reviewed first; ties by SKU (unique in the workspace), so the order never depends on the database.
    ordered = sorted(by_product, key=lambda product_id: (-by_product[product_id].reviews, names[product_id][0]))
    listed = [
        ProductReviews(
            product_id=product_id,
            sku=names[product_id][0],
            name=names[product_id][1],
            reviews=by_product[product_id].reviews,
            average=by_product[product_id].average,
        )
        for product_id in ordered[:TOP_PRODUCTS]
    ]
    others = sum((by_product[product_id] for product_id in ordered[TOP_PRODUCTS:]), ReviewCounts())
    return _per_bucket(controls, cut, by_bucket, ReviewCounts()), listed, others


async def feedback_report(session: AsyncSession, controls: ReportControls) -> FeedbackReport:
    cut = await _cut(session, controls)  # the segment is resolved once for the four figures
    nps_rows = await _nps_counts(session, controls, cut)
    complaint_rows = await _complaint_counts(session, controls, cut)
    referral_rows = await _referral_counts(session, controls, cut)
    review_rows, products, others = await _reviews(session, controls, cut)
    return FeedbackReport(
        labels=controls.labels(),
        first_day=controls.first_day,
        last_day=controls.last_day,
        granularity=controls.granularity.value,
        time_zone=controls.time_zone,
        segment=controls.segment,
        nps=_nps_row(sum(nps_rows, NpsCounts())),
        nps_by_bucket=[_nps_row(row) for row in nps_rows],
        complaints=_complaint_row(_total_complaints(complaint_rows)),
        complaints_by_bucket=[_complaint_row(row) for row in complaint_rows],
        referrals=_referral_row(_total_referrals(referral_rows)),
        referrals_by_bucket=[_referral_row(row) for row in referral_rows],
        reviews=_review_row(sum(review_rows, ReviewCounts())),
        reviews_by_bucket=[_review_row(row) for row in review_rows],
        reviews_by_product=products,
        other_products=_review_row(others),
    )


def charts(report: FeedbackReport) -> list[Chart]:
    labels = report.labels
    products = [f"{row.name} ({row.sku})" for row in report.reviews_by_product]
    return [
        Chart(
            key="nps",
            title="Net Promoter Score",
            kind="line",
            labels=labels,
            series=[Series("NPS", [row.nps for row in report.nps_by_bucket])],
            unit="",  # NPS is a score from -100 to 100: no unit (a three-letter one would read as a currency)
            definition="nps",
            note=f"Over the period: {_shown(report.nps.nps)} from {report.nps.answers} answers",
        ),
        Chart(
            key="nps-answers",
            title="Survey answers: promoters, passives, detractors",
            kind="stacked-bar",
            labels=labels,
            series=[
                Series("Promoters (9-10)", [row.promoters for row in report.nps_by_bucket]),
                Series("Passives (7-8)", [row.passives for row in report.nps_by_bucket]),
                Series("Detractors (0-6)", [row.detractors for row in report.nps_by_bucket]),
            ],
            definition="nps",
        ),
        Chart(
            key="complaint-rate",
            title="Complaints per 100 orders",
            kind="line",
            labels=labels,
            series=[Series("Complaint rate", [row.rate for row in report.complaints_by_bucket])],
            unit="%",
            definition="complaint-rate",
            note=f"Over the period: {_shown(report.complaints.rate)} "
            f"({report.complaints.complaints} complaints, {report.complaints.orders} orders)",
            extra_rows=[
                Series("Complaints", [row.complaints for row in report.complaints_by_bucket]),
                Series("Orders", [row.orders for row in report.complaints_by_bucket]),
            ],
        ),
        Chart(
            key="referral-rate",
            title="New customers who came by referral",
            kind="line",
            labels=labels,
            series=[Series("Referral rate", [row.rate for row in report.referrals_by_bucket])],
            unit="%",
            definition="referral-rate",
            note=f"Over the period: {_shown(report.referrals.rate)} "
            f"({report.referrals.referred} of {report.referrals.new_customers} new customers)",
            extra_rows=[
                Series("New customers", [row.new_customers for row in report.referrals_by_bucket]),
                Series("Referred", [row.referred for row in report.referrals_by_bucket]),
            ],
        ),
        Chart(
            key="reviews",
            title="Approved reviews",
            kind="bar",
            labels=labels,
            series=[Series("Reviews", [row.reviews for row in report.reviews_by_bucket])],
            definition="reviews",
            note=f"Over the period: {report.reviews.reviews} reviews, average {_shown(report.reviews.average)}",
        ),
        Chart(
            key="review-count-by-product",
            title="Reviews by product",
            kind="bar",
            labels=products,
            series=[Series("Reviews", [row.reviews for row in report.reviews_by_product])],
            definition="reviews",
            note=_others_note(report),
        ),
        Chart(
            key="review-average-by-product",
            title="Average rating by product",
            kind="bar",
            labels=products,
            series=[Series("Average rating", [row.average for row in report.reviews_by_product])],
            unit="stars",
            definition="reviews",
            note=_others_note(report),
        ),
    ]


def _shown(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _others_note(report: FeedbackReport) -> str:
    if not report.other_products.reviews:
        return ""
    return (
        f"The {TOP_PRODUCTS} most reviewed products; the others together: {report.other_products.reviews} "
        f"reviews, average {_shown(report.other_products.average)}"
    )


DEFINITION = ReportDefinition(
    key="feedback",
    title="Feedback",
    summary="Feedback report: NPS, complaint rate, referral rate and reviews by product",
    schema=FeedbackReport,
    compute=feedback_report,
    charts=charts,
    role=Role.admin,
)
