"""Property: every number of the feedback report equals a plain-Python count of the generated rows.

Random survey answers, complaints, orders (some refunded later), referrals and reviews are written into a
fresh workspace; the reference below buckets them itself (``zoneinfo`` and ``date.isocalendar``, none of
the report's helpers) and computes NPS, the complaint rate, the referral rate and the review figures, for
periods that cross a month end at 23:30 local time, ISO week 53, two DST changes, and a period with no data,
unsegmented, for a segment and for a segment with no members. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.commerce.models import OrderStatus
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.complaints.models import Complaint
from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact
from frontdesk.db import create_session_factory
from frontdesk.referrals.models import Referral
from frontdesk.reports import feedback
from frontdesk.reports.charts import charts_csv
from frontdesk.reports.controls import Granularity, ReportControls
from frontdesk.reviews.models import Review
from frontdesk.surveys.models import Survey, SurveyRecipient
from tests.factories import make_workspace

_names = itertools.count()
SKUS = ["TEA", "CUP", "POT"]


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    granularity: Granularity


PERIODS = [
    Period(date(2026, 1, 1), date(2026, 3, 31), Granularity.month),  # month ends (Jan 31, Feb 28, Mar 31)
    Period(date(2020, 12, 16), date(2021, 1, 12), Granularity.week),  # 2020-W53, clipped first and last weeks
    Period(date(2026, 10, 23), date(2026, 11, 3), Granularity.day),  # DST ends: Oct 25 (Berlin), Nov 1 (NY)
]
EMPTY = Period(date(2019, 1, 1), date(2019, 2, 28), Granularity.month)  # nothing happens in it
ZONES = ["Europe/Berlin", "America/New_York", "UTC"]
SEGMENTS = [None, 'country = "DE"', 'country = "JP"']  # the last one has no members
LOCAL_TIMES = [time(0, 0), time(0, 30), time(12, 0), time(23, 30), time(23, 59, 59)]


@st.composite
def moments(draw: st.DrawFn, period: Period, zone: ZoneInfo) -> datetime:
    """A UTC instant at an awkward local time, on a day in or just around the period."""
    span = (period.last - period.first).days
    day = period.first + timedelta(days=draw(st.integers(-2, span + 2)))
    local = datetime.combine(day, draw(st.sampled_from(LOCAL_TIMES)), tzinfo=zone)
    return local.astimezone(UTC)


@dataclass
class World:
    countries: list[str | None]  # one per contact
    answers: list[tuple[int | None, int | None, datetime]]  # (contact index or erased, score or unanswered, at)
    complaints: list[tuple[int | None, datetime]]
    orders: list[tuple[int, str, str, datetime]]  # (buyer, status written, final status, at)
    referred: list[int]  # contacts who came by referral
    reviews: list[tuple[int, int, int, str, datetime]]  # (contact, product, rating, status, at)


@st.composite
def worlds(draw: st.DrawFn, period: Period, zone: ZoneInfo) -> World:
    contacts = draw(st.integers(1, 6))
    countries = draw(st.lists(st.sampled_from(["DE", "FR", None]), min_size=contacts, max_size=contacts))
    who = st.integers(0, contacts - 1)
    at = moments(period, zone)
    answers = draw(st.lists(st.tuples(st.none() | who, st.none() | st.integers(0, 10), at), max_size=12))
    complaints = draw(st.lists(st.tuples(st.none() | who, at), max_size=6))
    statuses = st.sampled_from(
        [
            ("completed", "completed"),
            ("completed", "completed"),
            ("refunded", "refunded"),
            ("cancelled", "cancelled"),
            ("completed", "refunded"),  # refunded later: the order leaves the bucket it was placed in
        ]
    )
    orders = [
        (buyer, *status, when) for buyer, status, when in draw(st.lists(st.tuples(who, statuses, at), max_size=10))
    ]
    referred = draw(st.lists(who, unique=True, max_size=contacts))
    reviewed = draw(st.lists(st.tuples(who, st.integers(0, len(SKUS) - 1)), unique=True, max_size=8))
    reviews = [
        (contact, product, draw(st.integers(1, 5)), draw(st.sampled_from(["approved", "approved", "pending",
                                                                          "rejected"])), draw(at))
        for contact, product in reviewed
    ]  # fmt: skip
    return World(countries, answers, complaints, orders, referred, reviews)


# --- the reference ------------------------------------------------------------------------------------------


def label(local: date, granularity: Granularity) -> str:
    if granularity is Granularity.day:
        return local.isoformat()
    if granularity is Granularity.month:
        return f"{local.year:04d}-{local.month:02d}"
    year, week, _ = local.isocalendar()
    return f"{year:04d}-W{week:02d}"


def reference(world: World, period: Period, zone: ZoneInfo, segment: str | None) -> dict[str, Any]:
    days = [period.first + timedelta(days=n) for n in range((period.last - period.first).days + 1)]
    labels = list(dict.fromkeys(label(day, period.granularity) for day in days))

    def bucket(moment: datetime) -> str | None:
        local = moment.astimezone(zone).date()
        return label(local, period.granularity) if period.first <= local <= period.last else None

    def member(contact: int | None) -> bool:
        if segment is None:
            return True
        return contact is not None and segment == f'country = "{world.countries[contact]}"'

    nps: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for contact, score, at in world.answers:
        if score is not None and member(contact) and (b := bucket(at)):
            nps[b][0 if score >= 9 else 1 if score >= 7 else 2] += 1
    complaints: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for contact, at in world.complaints:
        if member(contact) and (b := bucket(at)):
            complaints[b][0] += 1
    for buyer, _, final, at in world.orders:
        if final != "cancelled" and member(buyer) and (b := bucket(at)):
            complaints[b][1] += 1
    referrals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for contact in range(len(world.countries)):
        completed = [at for buyer, _, final, at in world.orders if buyer == contact and final == "completed"]
        if completed and member(contact) and (b := bucket(min(completed))):
            referrals[b][0] += 1
            referrals[b][1] += contact in world.referred
    reviews: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    products: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for contact, product, rating, status, at in world.reviews:
        if status == "approved" and member(contact) and (b := bucket(at)):
            reviews[b][0] += 1
            reviews[b][1] += rating
            products[product][0] += 1
            products[product][1] += rating

    def percent(n: int, d: int) -> float | None:
        return round(100 * n / d, 2) if d else None

    def nps_row(p: int, n: int, d: int) -> dict[str, Any]:
        total = p + n + d
        score = round(100 * (p - d) / total, 1) if total else None
        return {"answers": total, "promoters": p, "passives": n, "detractors": d, "nps": score}

    def complaint_row(c: int, o: int) -> dict[str, Any]:
        return {"complaints": c, "orders": o, "rate": percent(c, o)}

    def referral_row(n: int, r: int) -> dict[str, Any]:
        return {"new_customers": n, "referred": r, "rate": percent(r, n)}

    def review_row(n: int, stars: int) -> dict[str, Any]:
        return {"reviews": n, "average": round(stars / n, 2) if n else None}

    def total(table: dict[str, list[int]], width: int) -> list[int]:
        return [sum(table[b][i] for b in labels) for i in range(width)]

    ordered = sorted(products, key=lambda product: (-products[product][0], SKUS[product]))
    return {
        "labels": labels,
        "nps": nps_row(*total(nps, 3)),
        "nps_by_bucket": [nps_row(*nps[b]) for b in labels],
        "complaints": complaint_row(*total(complaints, 2)),
        "complaints_by_bucket": [complaint_row(*complaints[b]) for b in labels],
        "referrals": referral_row(*total(referrals, 2)),
        "referrals_by_bucket": [referral_row(*referrals[b]) for b in labels],
        "reviews": review_row(*total(reviews, 2)),
        "reviews_by_bucket": [review_row(*reviews[b]) for b in labels],
        "reviews_by_product": [{"sku": SKUS[product], **review_row(*products[product])} for product in ordered],
    }


# --- writing the rows ---------------------------------------------------------------------------------------


async def write_world(engine: AsyncEngine, world: World) -> tuple[int, dict[int, int]]:
    workspace = await make_workspace(engine, f"Feedback {next(_names)}")
    async with create_session_factory(engine)() as session:
        products = []
        for sku in SKUS:
            product = await do_upsert_product(
                session=session, workspace_id=workspace.id, data=ProductCreate(sku=sku, name=sku.title(), range="R")
            )
            products.append(product.id)
        ids = []
        for n, country in enumerate(world.countries):
            contact = await do_create_contact(
                session=session,
                workspace_id=workspace.id,
                data=ContactCreate(name=f"Contact {n}", country=country),
                actor="test",
            )
            ids.append(contact.id)
        survey = Survey(workspace_id=workspace.id, name="NPS", segment="all", created_by="test")
        session.add(survey)
        await session.flush()
        surveys = [survey.id]
        for n, (contact, score, at) in enumerate(world.answers):
            if n >= len(surveys):  # one answer per contact and survey: a new survey for every answer
                extra = Survey(workspace_id=workspace.id, name=f"NPS {n}", segment="all", created_by="test")
                session.add(extra)
                await session.flush()
                surveys.append(extra.id)
            session.add(
                SurveyRecipient(
                    workspace_id=workspace.id,
                    survey_id=surveys[n],
                    contact_id=None if contact is None else ids[contact],
                    invited_at=at - timedelta(days=3),
                    score=score,
                    first_answered_at=None if score is None else at,
                    answered_at=None if score is None else at,
                )
            )
        for n, (contact, at) in enumerate(world.complaints):
            session.add(
                Complaint(
                    workspace_id=workspace.id,
                    contact_id=None if contact is None else ids[contact],
                    source="agent",
                    summary=f"Complaint {n}",
                    category="other",
                    severity="low",
                    due_at=at + timedelta(days=7),
                    created_by="test",
                    created_at=at,
                )
            )
        orders = [
            OrderCreate(
                external_id=f"O-{n}",
                buyer_id=ids[buyer],
                status=written,
                currency="EUR",
                ordered_at=at,
                lines=[{"sku": "TEA", "quantity": 1, "unit_price": "10.00"}],
            )
            for n, (buyer, written, _, at) in enumerate(world.orders)
        ]
        outcome = await write_orders(session=session, workspace_id=workspace.id, orders=orders, actor="test")
        assert not outcome.errors
        # The refunds that come later: the same orders sent again with their new status.
        later = [
            order.model_copy(update={"status": OrderStatus(final)})
            for order, (_, written, final, _) in zip(orders, world.orders, strict=True)
            if final != written
        ]
        if later:
            outcome = await write_orders(session=session, workspace_id=workspace.id, orders=later, actor="test")
            assert not outcome.errors
        referrer = await do_create_contact(
            session=session, workspace_id=workspace.id, data=ContactCreate(name="Referrer"), actor="test"
        )
        for contact in world.referred:
            referral = Referral(workspace_id=workspace.id, referrer_id=referrer.id, referred_id=ids[contact], code="C")
            session.add(referral)
        for contact, product, rating, status, at in world.reviews:
            session.add(
                Review(
                    workspace_id=workspace.id,
                    product_id=products[product],
                    contact_id=ids[contact],
                    order_id=None,
                    rating=rating,
                    title="T",
                    body="B",
                    status=status,
                    created_at=at,
                )
            )
        await session.commit()
    return workspace.id, dict(enumerate(products))


def actual(report: feedback.FeedbackReport) -> dict[str, Any]:
    found = report.model_dump(include=set(REFERENCE_KEYS))
    found["reviews_by_product"] = [
        {"sku": row["sku"], "reviews": row["reviews"], "average": row["average"]} for row in found["reviews_by_product"]
    ]
    return found


REFERENCE_KEYS = [
    "labels", "nps", "nps_by_bucket", "complaints", "complaints_by_bucket", "referrals", "referrals_by_bucket",
    "reviews", "reviews_by_bucket", "reviews_by_product",
]  # fmt: skip


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), period=st.sampled_from(PERIODS), zone_name=st.sampled_from(ZONES))
async def test_every_feedback_figure_matches_a_plain_count(
    engine: AsyncEngine, data: st.DataObject, period: Period, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    world = data.draw(worlds(period, zone), label="world")
    workspace_id, _ = await write_world(engine, world)
    async with create_session_factory(engine)() as session:
        for segment, checked in itertools.product(SEGMENTS, [period, EMPTY]):
            controls = ReportControls(
                workspace_id=workspace_id,
                first_day=checked.first,
                last_day=checked.last,
                granularity=checked.granularity,
                time_zone=zone_name,
                segment=segment,
            )
            expected = reference(world, checked, zone, segment)
            report = await feedback.feedback_report(session, controls)
            assert actual(report) == expected, (segment, checked)
            # The figure functions the dashboard calls give the report's numbers.
            nps = await feedback.nps(session, controls)
            assert nps.value == expected["nps"]["nps"]
            assert nps.by_bucket == [row["nps"] for row in expected["nps_by_bucket"]]
            rate = await feedback.complaint_rate(session, controls)
            assert rate.value == expected["complaints"]["rate"]
            assert rate.by_bucket == [row["rate"] for row in expected["complaints_by_bucket"]]
            referral = await feedback.referral_rate(session, controls)
            assert referral.by_bucket == [row["rate"] for row in expected["referrals_by_bucket"]]
            charts = feedback.charts(report)
            assert charts_csv(charts).count("\n") == 1 + sum(
                len(chart.labels) * (len(chart.series) + len(chart.extra_rows)) for chart in charts
            )


async def test_the_named_edge_cases_match_the_reference(engine: AsyncEngine) -> None:
    """Not left to chance: 23:30 local on a month's last day in New York, ISO week 2020-W53, a first order
    refunded months later, an erased recipient's answer, a period with no data, a segment with no members."""
    zone = ZoneInfo("America/New_York")

    def local(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=zone).astimezone(UTC)

    month_end = local(2026, 1, 31, 23, 30)  # 04:30 UTC on 1 February: January's in New York
    week_53 = local(2021, 1, 3, 23, 30)  # a Sunday: the last day of 2020-W53
    world = World(
        countries=["DE", "FR", "DE"],
        answers=[(0, 7, month_end), (None, 9, month_end), (1, 6, week_53), (2, None, month_end)],
        complaints=[(0, month_end), (None, week_53)],
        orders=[
            (0, "completed", "refunded", local(2026, 1, 5, 12)),  # refunded later: January loses it
            (0, "completed", "completed", month_end),
            (1, "completed", "completed", week_53),
            (2, "cancelled", "cancelled", month_end),
        ],
        referred=[0],
        reviews=[(0, 0, 5, "approved", month_end), (1, 0, 2, "approved", week_53), (2, 1, 1, "pending", month_end)],
    )
    workspace_id, _ = await write_world(engine, world)
    expected_january = reference(world, PERIODS[0], zone, None)
    assert expected_january["nps_by_bucket"][0]["answers"] == 2  # the check is about these rows, not empty ones
    assert expected_january["complaints_by_bucket"][0] == {"complaints": 1, "orders": 2, "rate": 50.0}
    assert expected_january["referrals_by_bucket"][0] == {"new_customers": 1, "referred": 1, "rate": 100.0}
    weekly = reference(world, PERIODS[1], zone, None)
    assert weekly["nps_by_bucket"][weekly["labels"].index("2020-W53")]["answers"] == 1
    async with create_session_factory(engine)() as session:
        for checked, segment in itertools.product([*PERIODS, EMPTY], SEGMENTS):
            controls = ReportControls(
                workspace_id=workspace_id,
                first_day=checked.first,
                last_day=checked.last,
                granularity=checked.granularity,
                time_zone=zone.key,
                segment=segment,
            )
            report = await feedback.feedback_report(session, controls)
            assert actual(report) == reference(world, checked, zone, segment), (checked, segment)
