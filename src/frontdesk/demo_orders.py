"""The demo's thirteen months of orders, written in time order so the lifecycle history is the real one.

Buyers arrive through the year (more as the shop grows, most before Christmas); resellers and regulars come
back often, most consumers once or twice, and everyone eventually stops: so the cohort matrix decays.
Some orders are refunded days later or cancelled within hours.

Stage history: ``write_orders`` refreshes its buyers "as of now", which would stamp every stage change with
the moment the demo was loaded (a flat "stages over time" chart). So orders are written day by day, oldest
first, without that refresh; after each day the day's buyers are refreshed as of the day's last order
(``refresh_customers(now=...)``), and once a week every buyer so far, as of that week's end, so customers
also lapse and churn on the right dates. Each change then carries the day it really happened.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_customers
from frontdesk.commerce.models import OrderStatus
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, OrderLineCreate, ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.contacts.models import Contact, ContactKind
from frontdesk.demo_calendar import ORDERS_BY_WEEKDAY, Calendar, local_day

ACTOR = "demo"
DEMO_PRODUCTS = {
    "Tea": [("TEA-EARL", "Earl Grey, 100 g", Decimal("6.90")), ("TEA-SEN", "Sencha, 100 g", Decimal("8.50"))],
    "Coffee": [("COF-ESP", "Espresso beans, 1 kg", Decimal("24.00")), ("COF-DEC", "Decaf, 500 g", Decimal("13.50"))],
    "Accessories": [("ACC-POT", "Glass teapot", Decimal("39.00")), ("ACC-MUG", "Stoneware mug", Decimal("12.00"))],
    "Gift sets": [
        ("GIFT-XMAS", "Christmas tea chest", Decimal("49.00")),
        ("GIFT-TASTE", "Coffee tasting set", Decimal("29.00")),
    ],
}
PRICES = {sku: price for products in DEMO_PRODUCTS.values() for sku, _, price in products}
EVERYDAY = [sku for sku in PRICES if not sku.startswith("GIFT")]


@dataclass
class DemoOrders:
    orders: list[OrderCreate] = field(default_factory=list)  # as finally stored (refunds applied)
    ids: dict[str, int] = field(default_factory=dict)  # external id -> order id
    stage_changes: int = 0


@dataclass(frozen=True)
class _Event:
    at: datetime
    order: OrderCreate  # a new order, or a later status change of one (same external id)


async def create_demo_products(*, session: AsyncSession, workspace_id: int) -> None:
    for range_name, products in DEMO_PRODUCTS.items():
        for sku, name, _ in products:
            await do_upsert_product(
                session=session, workspace_id=workspace_id, data=ProductCreate(sku=sku, name=name, range=range_name)
            )


def _lines(rng: random.Random, buyer: Contact, at: datetime) -> list[OrderLineCreate]:
    month = local_day(at).month
    if buyer.is_reseller:  # cafés and shops restock in bulk
        skus = rng.sample(EVERYDAY, k=rng.choice((2, 3, 4)))
        return [OrderLineCreate(sku=s, quantity=rng.randrange(2, 9), unit_price=PRICES[s]) for s in skus]
    skus = rng.sample(EVERYDAY, k=rng.choice((1, 1, 2, 3)))
    if month in (11, 12) and rng.random() < 0.55:
        skus = [rng.choice(("GIFT-XMAS", "GIFT-XMAS", "GIFT-TASTE")), *skus[:1]]
    elif rng.random() < 0.06:
        skus.append("GIFT-TASTE")
    quantity = (1, 1, 2, 3) if buyer.kind != ContactKind.organisation.value else (2, 4, 6, 10)
    return [OrderLineCreate(sku=s, quantity=rng.choice(quantity), unit_price=PRICES[s]) for s in skus]


def _buyer_orders(rng: random.Random, calendar: Calendar, buyer: Contact, number: int, first: date) -> list[_Event]:
    """One buyer's orders: the first on ``first``, then returns at the buyer's pace until they drift away."""
    if buyer.is_reseller:
        gap, life = 45.0, rng.expovariate(1 / 450)
    elif buyer.kind == ContactKind.organisation.value:
        gap, life = 80.0, rng.expovariate(1 / 300)
    else:
        kind = rng.choices(("once", "occasional", "regular"), weights=(45, 38, 17))[0]
        gap = {"once": 0.0, "occasional": 90.0, "regular": 30.0}[kind]
        life = rng.expovariate(1 / {"once": 1, "occasional": 200, "regular": 320}[kind])
    events: list[_Event] = []
    day, until = first, first + timedelta(days=life)
    while day <= min(until, calendar.days[-1]):
        at = calendar.order_moment(rng, day)
        if at is None:
            break
        events += _order_events(rng, calendar, buyer, f"DS-{number:04d}-{len(events)}", at)
        if not gap:
            break
        # The season pulls repeat orders forward: people come back sooner before Christmas.
        step = rng.expovariate(1 / gap) / calendar.busy(day) + 2
        day = day + timedelta(days=step)
    if not buyer.is_reseller and buyer.kind != ContactKind.organisation.value:
        for december in {d.year for d in calendar.days if d.month == 12}:
            # A Christmas present bought by a customer still around then.
            gift = date(december, 12, rng.randrange(1, 20))
            around = first < gift <= min(until + timedelta(days=60), calendar.days[-1])
            if around and rng.random() < 0.4 and (at := calendar.order_moment(rng, gift)) is not None:
                events += _order_events(rng, calendar, buyer, f"DS-{number:04d}-X{december}", at)
    return events


def _order_events(
    rng: random.Random, calendar: Calendar, buyer: Contact, external_id: str, at: datetime
) -> list[_Event]:
    order = OrderCreate(
        external_id=external_id,
        buyer_id=buyer.id,
        channel=rng.choice(("web", "web", "web", "store", "phone")),
        status=OrderStatus.completed,
        currency="EUR",
        ordered_at=at,
        for_resale=buyer.is_reseller or None,
        lines=_lines(rng, buyer, at),
    )
    events = [_Event(at, order)]
    fate = rng.random()
    # Refunded a week or three later; cancelled within hours. Only what has happened by now.
    later = None
    if fate < 0.05:
        later = (at + timedelta(days=rng.uniform(4, 25)), OrderStatus.refunded)
    elif fate < 0.08:
        later = (at + timedelta(hours=rng.uniform(1, 30)), OrderStatus.cancelled)
    if later is not None and later[0] < calendar.now:
        events.append(_Event(later[0], order.model_copy(update={"status": later[1]})))
    return events


async def create_demo_orders(
    *, session: AsyncSession, workspace_id: int, contacts: list[Contact], rng: random.Random, now: datetime
) -> DemoOrders:
    """Most external contacts buy at some point of the thirteen months; written oldest first (see above)."""
    await create_demo_products(session=session, workspace_id=workspace_id)
    calendar = Calendar.ending(now)
    external = [c for c in contacts if c.audience == "external"]
    buyers = rng.sample(external, k=len(external) * 4 // 5)
    firsts = sorted(calendar.pick_days(rng, len(buyers), ORDERS_BY_WEEKDAY))
    # Businesses tend to be the shop's older customers; consumers keep arriving as it grows.
    buyers.sort(key=lambda c: rng.random() + (0.0 if c.kind == ContactKind.organisation.value else 0.4))
    events = [
        event
        for number, (buyer, first) in enumerate(zip(buyers, firsts, strict=True))
        for event in _buyer_orders(rng, calendar, buyer, number, first)
    ]
    by_day: dict[date, list[_Event]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.at):
        by_day[local_day(event.at)].append(event)
    result = DemoOrders()
    final: dict[str, OrderCreate] = {}
    everyone: set[int] = set()
    for day in calendar.days:
        todays = by_day.get(day, [])
        if todays:
            batch = [event.order for event in todays]
            outcome = await write_orders(
                session=session, workspace_id=workspace_id, orders=batch, actor=ACTOR, refresh=False
            )
            result.ids.update(outcome.order_ids)
            final.update((order.external_id, order) for order in batch)
            everyone |= outcome.buyers
            result.stage_changes += await refresh_customers(
                session=session, workspace_id=workspace_id, contact_ids=outcome.buyers, now=todays[-1].at
            )
        if day.weekday() == 6 and everyone:  # Sunday night: who lapsed or churned this week
            result.stage_changes += await refresh_customers(
                session=session, workspace_id=workspace_id, contact_ids=everyone, now=calendar.end_of(day)
            )
    result.orders = list(final.values())
    return result
