"""Buyers and completed orders written straight into the tables, for the purchase-model tests: the models
need hundreds of customers, which the order service would take seconds to write."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

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
