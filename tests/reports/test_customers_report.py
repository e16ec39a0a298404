"""Property: every number of the customers report and of the cohort matrix equals a plain-Python computation
from the raw rows (contacts, orders, lines, stage history), on SQLite and PostgreSQL.

Orders are written the way the app writes them (``write_orders``, which refreshes the buyers' figures and
stage history; a refund sent later rewrites the order's status), in a time zone other than UTC. The reference
(tests/reports/customers_reference.py) derives every figure from the rows alone: it does not read
``customer_figures`` and uses none of the report's helpers (local calendar, buckets and rounding are written
out again there).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.commerce.figures import refresh_customers
from frontdesk.commerce.models import LifecycleChange, Order
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.contacts.models import Contact
from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact
from frontdesk.db import create_session_factory
from frontdesk.reports import customers
from frontdesk.reports.controls import Granularity, ReportControls
from tests.factories import make_workspace
from tests.reports.customers_reference import SEGMENTS, STAGES, local, rate, read_rows, reference

PRODUCTS = {"TEA": "Tea", "POT": "Tea", "CUP": "Cups", "BAG": "Bags"}  # SKU -> range
PRICES = [Decimal("0.99"), Decimal("12.50"), Decimal("99.99")]
ZONES = ["Europe/Berlin", "America/New_York", "UTC"]
DATA_START = datetime(2020, 10, 1, tzinfo=UTC)
MONTH = 30 * 24 * 60  # minutes
DATA_MINUTES = 7 * MONTH  # seven months of orders
_names = itertools.count()


# Instants the edge cases need, in the zone of the example: 23:30 on the last day of a month, and the days
# of ISO week 2020-W53 (Monday 28 December 2020 to Sunday 3 January 2021).
EDGE_DAYS = [(date(2020, 11, 30), 23, 30), (date(2020, 12, 31), 23, 30), (date(2021, 1, 31), 23, 30),
             (date(2020, 12, 28), 0, 10), (date(2021, 1, 3), 23, 30), (date(2021, 1, 4), 0, 5)]  # fmt: skip


@dataclass
class GenContact:
    country: str | None
    market: str | None
    organisation: bool
    reseller: bool
    created_minute: int


@dataclass
class GenOrder:
    buyer: int
    when: int | tuple[date, int, int]  # minutes after DATA_START, or an edge case's local day and time
    status: str
    refunded_later: bool  # written completed first, refunded by a second write (a refund in a later month)
    for_resale: bool | None
    lines: list[tuple[str, int, Decimal]]
    erased: bool  # the buyer was later forgotten: the order stays without a buyer


contacts_strategy = st.builds(
    GenContact,
    country=st.sampled_from([None, "DE", "FR", "US"]),
    market=st.sampled_from([None, "b2b", "b2c"]),
    organisation=st.booleans(),
    reseller=st.booleans(),
    created_minute=st.integers(-60 * 24 * 60, DATA_MINUTES // 2),
)


def orders_strategy(contacts: int) -> st.SearchStrategy[list[GenOrder]]:
    return st.lists(
        st.builds(
            GenOrder,
            buyer=st.integers(0, contacts - 1),
            when=st.builds(lambda month, minute: month * MONTH + minute, st.integers(0, 6), st.integers(0, MONTH - 1))
            | st.sampled_from(EDGE_DAYS),
            status=st.sampled_from(["completed", "completed", "completed", "refunded", "cancelled"]),
            refunded_later=st.booleans(),
            for_resale=st.none() | st.booleans(),
            lines=st.lists(
                st.tuples(st.sampled_from(sorted(PRODUCTS)), st.integers(1, 3), st.sampled_from(PRICES)),
                min_size=1,
                max_size=3,
            ),
            erased=st.integers(0, 9).map(lambda n: n == 0),
        ),
        min_size=6,
        max_size=30,
    )


@st.composite
def controls_strategy(draw: st.DrawFn) -> tuple[date, date, Granularity, str]:
    zone = draw(st.sampled_from(ZONES))
    granularity = draw(st.sampled_from(list(Granularity)))
    first, last = draw(
        st.sampled_from(
            [
                (date(2020, 10, 1), date(2021, 4, 30)),
                (date(2020, 11, 1), date(2021, 2, 28)),
                (date(2020, 12, 15), date(2021, 1, 10)),  # across ISO week 53
                (date(2019, 1, 1), date(2019, 3, 31)),  # a period with no data
            ]
        )
        | st.tuples(st.dates(date(2020, 9, 1), date(2021, 5, 15)), st.integers(0, 160)).map(
            lambda pair: (pair[0], pair[0] + timedelta(days=pair[1]))
        )
    )
    return first, last, granularity, zone


# ---------------------------------------------------------------- writing the rows the way the app does


async def write_world(
    session: AsyncSession,
    workspace_id: int,
    people: list[GenContact],
    orders: list[GenOrder],
    zone: str,
    stage_times: list[int],
    extra_history: list[tuple[int, int, str]],
) -> None:
    for sku, range_name in PRODUCTS.items():
        await do_upsert_product(
            session=session, workspace_id=workspace_id, data=ProductCreate(sku=sku, name=sku, range=range_name)
        )
    ids = []
    for index, c in enumerate(people):
        payload: dict[str, Any] = {
            "name": f"Contact {index}",
            "kind": "organisation" if c.organisation else "person",
            "country": c.country,
            "market": c.market,
            "is_reseller": c.reseller and c.organisation,
            "vat_number": "DE136695976" if c.organisation else None,
        }
        contact = await do_create_contact(
            session=session, workspace_id=workspace_id, data=ContactCreate.model_validate(payload), actor="test"
        )
        ids.append(contact.id)
        created = DATA_START + timedelta(minutes=c.created_minute)
        await session.execute(update(Contact).where(Contact.id == contact.id).values(created_at=created))

    def when(o: GenOrder) -> datetime:
        if isinstance(o.when, int):
            return DATA_START + timedelta(minutes=o.when)
        return local(*o.when, zone)

    def create(n: int, o: GenOrder, status: str) -> OrderCreate:
        return OrderCreate(
            external_id=f"P-{n}",
            buyer_id=ids[o.buyer],
            status=status,
            currency="EUR",
            ordered_at=when(o),
            for_resale=o.for_resale,
            lines=[{"sku": sku, "quantity": quantity, "unit_price": price} for sku, quantity, price in o.lines],
        )

    first = [create(n, o, "completed" if o.refunded_later else o.status) for n, o in enumerate(orders)]
    outcome = await write_orders(session=session, workspace_id=workspace_id, orders=first, actor="test")
    assert not outcome.errors, outcome.errors
    later = [create(n, o, o.status) for n, o in enumerate(orders) if o.refunded_later and o.status != "completed"]
    if later:
        outcome = await write_orders(session=session, workspace_id=workspace_id, orders=later, actor="test")
        assert not outcome.errors, outcome.errors
    forgotten = {ids[o.buyer] for o in orders if o.erased}
    for n, o in enumerate(orders):
        if o.erased:
            await session.execute(update(Order).where(Order.workspace_id == workspace_id,
                                                      Order.external_id == f"P-{n}").values(buyer_id=None))  # fmt: skip
    await refresh_customers(session=session, workspace_id=workspace_id, contact_ids=forgotten)
    # Stage history over the months: refreshes as of past days (contacts that existed then), and changes
    # written directly, which need not chain (as after a merge of two contacts' histories).
    for minute in sorted(stage_times):
        now = DATA_START + timedelta(minutes=minute)
        existing = [
            cid for cid, c in zip(ids, people, strict=True) if DATA_START + timedelta(minutes=c.created_minute) <= now
        ]
        await refresh_customers(session=session, workspace_id=workspace_id, contact_ids=existing, now=now)
    for person, minute, stage in extra_history:
        c = people[person % len(people)]
        changed_at = DATA_START + timedelta(minutes=max(minute, c.created_minute))  # never before its contact
        session.add(
            LifecycleChange(
                workspace_id=workspace_id,
                contact_id=ids[person % len(people)],
                from_stage="new",
                to_stage=stage,
                changed_at=changed_at,
            )
        )
    await session.flush()


def compare(report: customers.CustomersReport, cohort_report: customers.CohortReport, expected: dict[str, Any]) -> None:
    found = report.model_dump()
    for key, value in expected.items():
        if key == "cohorts":
            continue
        assert found[key] == value, key
    assert [c.model_dump() for c in cohort_report.cohorts] == expected["cohorts"]
    assert [{"cohort": c.cohort, "customers": c.customers, "active": c.active} for c in report.cohorts] == expected[
        "cohorts"
    ]
    for row in report.cohorts:
        assert row.shares == [rate(n, row.customers) for n in row.active]
        assert not row.active or row.active[0] == row.customers
    assert report.cohort_months == [f"M{k}" for k in range(len(expected["cohorts"][0]["active"]))]
    for chart in customers.charts(report):  # every chart is drawable: one value per label in every row
        assert all(len(series.values) == len(chart.labels) for series in (*chart.series, *chart.extra_rows))


@settings(
    max_examples=25,
    deadline=None,
    # No shrinking: each example builds a workspace, and shrinking one failure ran for over five minutes; a
    # failing example is reported as drawn.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    data=st.data(),
    people=st.lists(contacts_strategy, min_size=2, max_size=8),
    period=controls_strategy(),
    segment=st.sampled_from(list(SEGMENTS)),
    stage_times=st.lists(st.integers(0, DATA_MINUTES), max_size=3),
    extra_history=st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, DATA_MINUTES), st.sampled_from(STAGES)), max_size=4
    ),
)
async def test_customers_report_matches_the_reference(
    engine: AsyncEngine, data: st.DataObject, people: list[GenContact], period: tuple[date, date, Granularity, str],
    segment: str | None, stage_times: list[int], extra_history: list[tuple[int, int, str]],
) -> None:  # fmt: skip
    orders = data.draw(orders_strategy(len(people)), label="orders")
    first, last, granularity, zone = period
    workspace = await make_workspace(engine, f"Customers {next(_names)}")
    async with create_session_factory(engine)() as session:
        await write_world(session, workspace.id, people, orders, zone, stage_times, extra_history)
        await session.commit()
        rows = await read_rows(session, workspace.id)
        # The drawn controls, the same without a segment, and the whole data range by week in the same zone.
        for a, b, by, chosen in ((first, last, granularity, segment), (first, last, granularity, None),
                                 (date(2020, 9, 20), date(2021, 5, 10), Granularity.week, None)):  # fmt: skip
            controls = ReportControls(workspace.id, a, b, by, zone, chosen)
            report = await customers.customers_report(session, controls)
            cohort_report = await customers.cohorts(session, controls)
            compare(report, cohort_report, reference(rows, a, b, by, zone, chosen))
