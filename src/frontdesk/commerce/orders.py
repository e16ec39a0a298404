"""Writing orders: one path for the API, the bulk import and the demo, batch by batch.

A batch is validated against the database with a fixed number of queries (products by SKU, buyers by id or
e-mail, orders already stored by external id), written in bulk (COPY on PostgreSQL, one executemany on
SQLite), and its buyers' figures are refreshed in the same transaction. An order whose external id is
already stored is not stored again: if its status differs (a refund or cancellation sent later) the stored
order takes the new status.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce import service as commerce_service
from frontdesk.commerce.figures import LINES, ORDERS, get_commerce_settings, refresh_customers
from frontdesk.commerce.models import BuyerClass, Order, Product
from frontdesk.commerce.records import OrderRecord
from frontdesk.commerce.schemas import OrderCreate, OrderWriteResult
from frontdesk.contacts.importer import insert_contacts, table_of
from frontdesk.contacts.models import (
    Contact,
    ContactEmail,
    ContactEvent,
    ContactKind,
    ContactRelationship,
    RelationshipKind,
)
from frontdesk.contacts.service import emit_contacts
from frontdesk.contacts.validation import email_key, normalize_email
from frontdesk.db import MAX_ID, bulk_insert, bulk_insert_with_ids, in_values, insert_missing, utcnow
from frontdesk.errors import FieldError
from frontdesk.referrals.service import attribute_referred_visitors_orders
from frontdesk.webhooks import events

# Columns in the order of the tuples written: not the CSV columns of records.ORDER_COLUMNS.
STORED_ORDER_COLUMNS = ("workspace_id", "external_id", "buyer_id", "recipient_id", "channel", "status", "currency",
                 "total_minor", "for_resale", "buyer_class", "ordered_at", "created_at", "updated_at")  # fmt: skip
STATUS_COLUMN = STORED_ORDER_COLUMNS.index("status")
STORED_LINE_COLUMNS = ("workspace_id", "order_id", "product_id", "range_id", "quantity", "unit_price_minor")


@dataclass
class BatchOutcome:
    result: OrderWriteResult = field(default_factory=OrderWriteResult)
    errors: dict[int, FieldError] = field(default_factory=dict)  # position in the batch -> first problem
    order_ids: dict[str, int] = field(default_factory=dict)  # external id -> order id, for every good order
    buyers: set[int] = field(default_factory=set)  # whose figures the batch changed
    new_contacts: list[int] = field(default_factory=list)  # made from an unknown buyer or recipient address


@dataclass(slots=True)
class _Buyer:
    registered_organisation: bool  # an organisation with a VAT or EORI number
    is_reseller: bool


async def _rows_where_in(session: AsyncSession, statement: Any, column: Any, keys: Sequence[Any]) -> list[Any]:
    if not keys:
        return []
    dialect = session.get_bind().dialect.name
    return list((await session.execute(statement.where(in_values(column, keys, dialect)))).all())


async def _contacts_by_id(session: AsyncSession, workspace_id: int, ids: Sequence[int]) -> dict[int, _Buyer]:
    statement = select(Contact.id, Contact.kind, Contact.vat_number, Contact.eori_number, Contact.is_reseller).where(
        Contact.workspace_id == workspace_id
    )
    organisation = ContactKind.organisation.value
    return {
        id_: _Buyer(kind == organisation and bool(vat or eori), reseller)
        for id_, kind, vat, eori, reseller in await _rows_where_in(session, statement, Contact.id, ids)
    }


async def _contacts_by_email(
    session: AsyncSession,
    workspace_id: int,
    addresses: dict[str, tuple[str, str | None]],
    actor: str,
    created: list[int],
) -> dict[str, int]:
    """Contact ids by normalised e-mail key; unknown addresses become new contacts (prospects until they buy)."""
    keys = list(addresses)

    statement = select(ContactEmail.email_normalized, ContactEmail.contact_id).where(
        ContactEmail.workspace_id == workspace_id
    )
    found = dict(await _rows_where_in(session, statement, ContactEmail.email_normalized, keys))
    missing = [key for key in keys if key not in found]
    if missing:
        now = utcnow()
        ids = await insert_contacts(
            session,
            [
                {
                    "workspace_id": workspace_id,
                    "kind": ContactKind.person.value,
                    "name": addresses[key][1] or addresses[key][0].split("@")[0],
                    "roles": ["customer"],
                    "attributes": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for key in missing
            ],
        )
        await session.execute(
            insert(table_of(ContactEmail)),
            [
                {
                    "workspace_id": workspace_id,
                    "contact_id": contact_id,
                    "email": addresses[key][0],
                    "email_normalized": key,
                    "position": 0,
                }
                for contact_id, key in zip(ids, missing, strict=True)
            ],
        )
        await session.execute(
            insert(table_of(ContactEvent)),
            [
                {
                    "workspace_id": workspace_id,
                    "contact_id": contact_id,
                    "kind": "created",
                    "actor": actor,
                    "data": {"from": "order"},
                    "created_at": now,
                }
                for contact_id in ids
            ],
        )
        found.update(zip(missing, ids, strict=True))
        created.extend(ids)
    return found


@functools.lru_cache(maxsize=65_536)  # an import names the same buyers again and again
def _normalized(value: str) -> tuple[str, str] | str:
    """(address, lookup key), or the reason the address is not valid."""
    try:
        address = normalize_email(value)
    except ValueError as exc:
        return str(exc)
    return address, email_key(address)


def _records(orders: Sequence[OrderCreate | OrderRecord]) -> list[OrderRecord]:
    return [order if isinstance(order, OrderRecord) else OrderRecord.of(order) for order in orders]


async def write_orders(
    *,
    session: AsyncSession,
    workspace_id: int,
    orders: Sequence[OrderCreate | OrderRecord],
    actor: str,
    refresh: bool = True,
) -> BatchOutcome:
    """Validate and store ``orders`` in the caller's transaction; bad ones are reported, not written.

    With ``refresh`` the buyers' figures are brought up to date in the same transaction; a bulk import
    passes False and refreshes ``outcome.buyers`` itself, once for many batches.
    """
    records = _records(orders)
    outcome = BatchOutcome()
    errors = outcome.errors
    settings = await get_commerce_settings(session=session, workspace_id=workspace_id)
    for position, order in enumerate(records):
        if order.currency != settings.currency:
            errors[position] = FieldError("currency", f"orders of this workspace are in {settings.currency}")

    skus = sorted({line[0] for order in records for line in order.lines})
    products = {
        sku: (product_id, range_id)
        for sku, product_id, range_id in await _rows_where_in(
            session,
            select(Product.sku, Product.id, Product.range_id).where(Product.workspace_id == workspace_id),
            Product.sku,
            skus,
        )
    }
    addresses: dict[str, tuple[str, str | None]] = {}
    email_keys: dict[tuple[int, str], str] = {}
    for position, order in enumerate(records):
        for index, (sku, _, _) in enumerate(order.lines):
            if sku not in products:
                errors.setdefault(position, FieldError(f"lines.{index}.sku", f"no product has the SKU {sku!r}"))
        for role, raw in (("buyer", order.buyer_email), ("recipient", order.recipient_email)):
            if raw is None or position in errors:
                continue
            normalized = _normalized(raw)
            if isinstance(normalized, str):
                errors.setdefault(position, FieldError(f"{role}_email", normalized))
                continue
            address, key = normalized
            email_keys[(position, role)] = key
            addresses.setdefault(key, (address, order.buyer_name if role == "buyer" else None))

    contact_ids = sorted({i for order in records for i in (order.buyer_id, order.recipient_id) if i is not None})
    known = await _contacts_by_id(session, workspace_id, [i for i in contact_ids if i <= MAX_ID])
    for position, order in enumerate(records):
        for role, given in (("buyer", order.buyer_id), ("recipient", order.recipient_id)):
            if given is not None and given not in known:
                errors.setdefault(position, FieldError(f"{role}_id", f"no contact {given} in this workspace"))
    good = [position for position in range(len(records)) if position not in errors]
    by_email = await _contacts_by_email(
        session,
        workspace_id,
        {key: addresses[key] for (position, _), key in email_keys.items() if position not in errors},
        actor,
        outcome.new_contacts,
    )
    known.update(await _contacts_by_id(session, workspace_id, sorted(set(by_email.values()) - set(known))))

    external_ids = sorted({records[position].external_id for position in good})
    stored = {
        row.external_id: row
        for row in await _rows_where_in(
            session,
            select(Order.external_id, Order.id, Order.status, Order.buyer_id).where(Order.workspace_id == workspace_id),
            Order.external_id,
            external_ids,
        )
    }
    now = utcnow()
    new_orders: dict[str, list[Any]] = {}  # external id -> the order's column values (status may change)
    new_lines: dict[str, list[tuple[Any, ...]]] = {}
    status_of: dict[str, tuple[int, str]] = {}  # stored order whose status changes: id, new status
    touched: set[int] = set()
    links: set[tuple[int, int]] = set()
    seen: dict[str, str] = {}
    for position in good:
        order = records[position]
        external_id = order.external_id
        if external_id in seen or external_id in stored:
            previous = seen[external_id] if external_id in seen else stored[external_id].status
            seen[external_id] = order.status
            if order.status == previous:
                outcome.result.unchanged += 1
                continue
            outcome.result.status_changed += 1
            if external_id in new_orders:
                new_orders[external_id][STATUS_COLUMN] = order.status
            else:
                status_of[external_id] = (stored[external_id].id, order.status)
                if stored[external_id].buyer_id is not None:
                    touched.add(stored[external_id].buyer_id)
            continue
        seen[external_id] = order.status
        buyer_id = order.buyer_id or by_email[email_keys[(position, "buyer")]]
        recipient_id = order.recipient_id or (
            by_email[email_keys[(position, "recipient")]] if (position, "recipient") in email_keys else None
        )
        buyer = known[buyer_id]
        for_resale = buyer.is_reseller if order.for_resale is None else order.for_resale
        # A registered organisation buying to resell is a reseller, unless the goods are for itself.
        resells = buyer.registered_organisation and for_resale and recipient_id != buyer_id
        lines = []
        total = 0
        for sku, quantity, price in order.lines:
            product_id, range_id = products[sku]
            total += quantity * price
            lines.append((workspace_id, product_id, range_id, quantity, price))
        new_orders[external_id] = [
            workspace_id,
            external_id,
            buyer_id,
            recipient_id,
            order.channel,
            order.status,
            order.currency,
            total,
            for_resale,
            (BuyerClass.reseller if resells else BuyerClass.consumer).value,
            order.ordered_at,
            now,
            now,
        ]
        new_lines[external_id] = lines
        touched.add(buyer_id)
        if recipient_id is not None and recipient_id != buyer_id:
            links.add((buyer_id, recipient_id))
        outcome.result.created += 1

    if new_orders:
        ids = await bulk_insert_with_ids(session, ORDERS, STORED_ORDER_COLUMNS, list(new_orders.values()))
        order_ids = dict(zip(new_orders, ids, strict=True))
        await bulk_insert(
            session,
            LINES,
            STORED_LINE_COLUMNS,
            [(w, order_ids[external_id], *rest) for external_id, lines in new_lines.items() for w, *rest in lines],
        )
        outcome.order_ids.update(order_ids)
        # A buyer whose browser arrived by a referral link (the chat widget kept the code): a first order counts.
        await attribute_referred_visitors_orders(
            session=session,
            workspace_id=workspace_id,
            buyer_orders=[(new_orders[k][2], order_ids[k]) for k in order_ids],
        )
    for order_id, status in status_of.values():
        await session.execute(update(Order).where(Order.id == order_id).values(status=status, updated_at=now))
    outcome.order_ids.update({external_id: row.id for external_id, row in stored.items()})
    await insert_missing(
        session,
        ContactRelationship,
        [
            {
                "workspace_id": workspace_id,
                "kind": RelationshipKind.buys_for.value,
                "from_contact_id": buyer_id,
                "to_contact_id": recipient_id,
                "created_at": now,
            }
            for buyer_id, recipient_id in sorted(links)
        ],
    )
    outcome.buyers = touched
    if refresh and touched:
        await refresh_customers(session=session, workspace_id=workspace_id, contact_ids=touched, now=now)
    await emit_contacts(
        session=session, workspace_id=workspace_id, event_type="contact.created", contact_ids=outcome.new_contacts
    )
    if new_orders:
        await _emit_orders(session, workspace_id, list(order_ids.values()))
    return outcome


async def _emit_orders(session: AsyncSession, workspace_id: int, order_ids: list[int]) -> None:
    """order.created for the orders stored now (not for status changes of stored ones), as the API reads them."""
    if not await events.subscribed(session, workspace_id=workspace_id, event_type="order.created"):
        return
    orders = list((await session.scalars(select(Order).where(Order.id.in_(order_ids)).order_by(Order.id))).all())
    reads = await commerce_service.to_reads(session=session, orders=orders)
    await events.emit_many(
        session,
        workspace_id=workspace_id,
        event_type="order.created",
        events=[events.Emitted(read.model_dump(mode="json"), read.buyer_id) for read in reads],
    )
