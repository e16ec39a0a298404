"""Buyers and completed orders written straight into the tables, for the purchase-model tests: the models
need hundreds of customers, which the order service would take seconds to write."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import Order
from frontdesk.contacts.models import Contact
from frontdesk.db import Base, bulk_insert, utcnow

CONTACTS = Base.metadata.tables[Contact.__tablename__]
ORDERS = Base.metadata.tables[Order.__tablename__]
_numbers = itertools.count(1)
ORDER_COLUMNS = ("workspace_id", "external_id", "buyer_id", "recipient_id", "channel", "status", "currency",
                 "total_minor", "for_resale", "buyer_class", "ordered_at", "created_at", "updated_at")  # fmt: skip


async def add_buyers(session: AsyncSession, workspace_id: int, count: int, prefix: str = "Buyer") -> list[int]:
    """``count`` contacts of the workspace: their ids, in order."""
    if count == 0:
        return []
    now = utcnow()
    rows = [{"workspace_id": workspace_id, "name": f"{prefix} {i}", "kind": "person", "audience": "external",
             "stage": "customer", "roles": [], "attributes": {}, "is_reseller": False, "created_at": now,
             "updated_at": now} for i in range(count)]  # fmt: skip
    result = await session.execute(insert(CONTACTS).returning(CONTACTS.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result.all()]


async def add_orders(
    session: AsyncSession,
    workspace_id: int,
    orders: Sequence[tuple[int | None, datetime, int]],
    *,
    status: str = "completed",
    prefix: str = "O",
) -> None:
    """Orders of (buyer id, ordered at, total in minor units), all with ``status``."""
    now = utcnow()
    rows = [
        (workspace_id, f"{prefix}-{next(_numbers)}", buyer, None, "web", status, "EUR", total, False, "consumer", at,
         now, now)
        for buyer, at, total in orders
    ]  # fmt: skip
    await bulk_insert(session, ORDERS, ORDER_COLUMNS, rows)


async def add_simulated_history(
    session: AsyncSession, workspace_id: int, *, customers: int, as_of: datetime, seed: int = 1
) -> list[int]:
    """Buyers whose orders follow the BG/NBD process (r 0.25, alpha 4 days, a 0.8, b 2.5), each first buying
    30 to 365 days before ``as_of``, at noon UTC, for 5.00 to 60.00: their ids."""
    rng = random.Random(seed)
    buyers = await add_buyers(session, workspace_id, customers, prefix=f"Simulated {seed}")
    orders: list[tuple[int | None, datetime, int]] = []
    for buyer in buyers:
        age = rng.randint(30, 365)
        first = (as_of - timedelta(days=age)).replace(hour=12, minute=0, second=0, microsecond=0)
        rate, drop, spend = rng.gammavariate(0.25, 1 / 4.0), rng.betavariate(0.8, 2.5), rng.randint(500, 6000)
        orders.append((buyer, first, spend))
        t = 0.0
        while rate > 0:
            t += rng.expovariate(rate)
            if t > age - 1:
                break
            orders.append((buyer, first + timedelta(days=int(t)), int(spend * rng.uniform(0.5, 1.5))))
            if rng.random() < drop:
                break
    await add_orders(session, workspace_id, orders)
    return buyers
