"""Writing orders: one path for the API, the bulk import and the demo, batch by batch.

A batch is validated against the database with a fixed number of queries (products by SKU, buyers by id or
e-mail, orders already stored by external id), written with multi-row inserts, and its buyers' figures are
refreshed in the same transaction. An order whose external id is already stored is not stored again: if
its status differs (a refund or cancellation sent later) the stored order takes the new status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings, refresh_customers
from frontdesk.commerce.models import BuyerClass, Order, OrderLine, Product
from frontdesk.commerce.schemas import OrderCreate, OrderWriteResult, to_minor
from frontdesk.contacts.importer import insert_contacts, table_of
from frontdesk.contacts.models import (
    Contact,
    ContactEmail,
    ContactEvent,
    ContactKind,
    ContactRelationship,
    RelationshipKind,
)
from frontdesk.contacts.validation import email_key, normalize_email
from frontdesk.db import insert_missing, utcnow
from frontdesk.errors import FieldError

LOOKUP_CHUNK = 2000


@dataclass
class BatchOutcome:
    result: OrderWriteResult = field(default_factory=OrderWriteResult)
    errors: dict[int, FieldError] = field(default_factory=dict)  # position in the batch -> first problem
    order_ids: dict[str, int] = field(default_factory=dict)  # external id -> order id, for every good order
    buyers: set[int] = field(default_factory=set)  # whose figures the batch changed


@dataclass
class _Buyer:
    id: int
    kind: str
    tax_registered: bool
    is_reseller: bool


async def _in_chunks(session: AsyncSession, build: Any, keys: Sequence[Any]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(keys), LOOKUP_CHUNK):
        rows += (await session.execute(build(keys[start : start + LOOKUP_CHUNK]))).all()
    return rows


async def _contacts_by_id(session: AsyncSession, workspace_id: int, ids: Sequence[int]) -> dict[int, _Buyer]:
    def build(chunk: list[int]) -> Any:
        return select(Contact.id, Contact.kind, Contact.vat_number, Contact.eori_number, Contact.is_reseller).where(
            Contact.workspace_id == workspace_id, Contact.id.in_(chunk)
        )

    return {
        row.id: _Buyer(row.id, row.kind, bool(row.vat_number or row.eori_number), row.is_reseller)
        for row in await _in_chunks(session, build, ids)
    }


async def _contacts_by_email(
    session: AsyncSession, workspace_id: int, addresses: dict[str, tuple[str, str | None]], actor: str
) -> dict[str, int]:
    """Contact ids by normalised e-mail key; unknown addresses become new contacts (prospects until they buy)."""
    keys = list(addresses)

    def build(chunk: list[str]) -> Any:
        return select(ContactEmail.email_normalized, ContactEmail.contact_id).where(
            ContactEmail.workspace_id == workspace_id, ContactEmail.email_normalized.in_(chunk)
        )

    found = {row.email_normalized: row.contact_id for row in await _in_chunks(session, build, keys)}
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
    return found


def _email_of(value: str, position: int, field_name: str, errors: dict[int, FieldError]) -> str | None:
    try:
        return normalize_email(value)
    except ValueError as exc:
        errors.setdefault(position, FieldError(field_name, str(exc)))
        return None


async def write_orders(
    *, session: AsyncSession, workspace_id: int, orders: Sequence[OrderCreate], actor: str, refresh: bool = True
) -> BatchOutcome:
    """Validate and store ``orders`` in the caller's transaction; bad ones are reported, not written.

    With ``refresh`` the buyers' figures are brought up to date in the same transaction; a bulk import
    passes False and refreshes ``outcome.buyers`` itself, once for many batches.
    """
    outcome = BatchOutcome()
    errors = outcome.errors
    settings = await get_commerce_settings(session=session, workspace_id=workspace_id)
    for position, order in enumerate(orders):
        if order.currency != settings.currency:
            errors[position] = FieldError("currency", f"orders of this workspace are in {settings.currency}")

    skus = sorted({line.sku for order in orders for line in order.lines})
    products = {
        row.sku: row
        for row in await _in_chunks(
            session,
            lambda chunk: select(Product.sku, Product.id, Product.range_id).where(
                Product.workspace_id == workspace_id, Product.sku.in_(chunk)
            ),
            skus,
        )
    }
    addresses: dict[str, tuple[str, str | None]] = {}
    email_keys: dict[tuple[int, str], str] = {}
    for position, order in enumerate(orders):
        for index, line in enumerate(order.lines):
            if line.sku not in products:
                errors.setdefault(position, FieldError(f"lines.{index}.sku", f"no product has the SKU {line.sku!r}"))
        for role in ("buyer", "recipient"):
            raw = getattr(order, f"{role}_email")
            if raw is None or position in errors:
                continue
            address = _email_of(raw, position, f"{role}_email", errors)
            if address is not None:
                key = email_key(address)
                email_keys[(position, role)] = key
                addresses.setdefault(key, (address, order.buyer_name if role == "buyer" else None))

    contact_ids = sorted({i for order in orders for i in (order.buyer_id, order.recipient_id) if i is not None})
    known = await _contacts_by_id(session, workspace_id, contact_ids)
    for position, order in enumerate(orders):
        for role in ("buyer", "recipient"):
            given = getattr(order, f"{role}_id")
            if given is not None and given not in known:
                errors.setdefault(position, FieldError(f"{role}_id", f"no contact {given} in this workspace"))
    good = [position for position in range(len(orders)) if position not in errors]
    by_email = await _contacts_by_email(
        session,
        workspace_id,
        {key: addresses[key] for (position, _), key in email_keys.items() if position not in errors},
        actor,
    )
    known.update(await _contacts_by_id(session, workspace_id, sorted(set(by_email.values()) - set(known))))

    external_ids = sorted({orders[position].external_id for position in good})
    stored = {
        row.external_id: row
        for row in await _in_chunks(
            session,
            lambda chunk: select(Order.external_id, Order.id, Order.status, Order.buyer_id).where(
                Order.workspace_id == workspace_id, Order.external_id.in_(chunk)
            ),
            external_ids,
        )
    }
    now = utcnow()
    new_orders: list[dict[str, Any]] = []
    new_lines: dict[str, list[dict[str, Any]]] = {}
    status_of: dict[str, tuple[int, str]] = {}  # stored order whose status changes: id, new status
    touched: set[int] = set()
    links: set[tuple[int, int]] = set()
    seen: dict[str, str] = {}
    for position in good:
        order = orders[position]
        if order.external_id in stored or order.external_id in seen:
            previous = stored[order.external_id].status if order.external_id in stored else seen[order.external_id]
            if order.status.value == previous:
                outcome.result.unchanged += 1
            elif order.external_id in stored:
                status_of[order.external_id] = (stored[order.external_id].id, order.status.value)
                outcome.result.status_changed += 1
                if stored[order.external_id].buyer_id is not None:
                    touched.add(stored[order.external_id].buyer_id)
            else:
                new_order = next(o for o in new_orders if o["external_id"] == order.external_id)
                new_order["status"] = order.status.value
                outcome.result.status_changed += 1
            seen[order.external_id] = order.status.value
            continue
        seen[order.external_id] = order.status.value
        buyer_id = order.buyer_id or by_email[email_keys[(position, "buyer")]]
        recipient_id = order.recipient_id or (
            by_email[email_keys[(position, "recipient")]] if (position, "recipient") in email_keys else None
        )
        buyer = known[buyer_id]
        for_resale = buyer.is_reseller if order.for_resale is None else order.for_resale
        # A registered organisation buying to resell is a reseller, unless the goods are for itself.
        resells = (
            buyer.kind == ContactKind.organisation.value
            and buyer.tax_registered
            and for_resale
            and recipient_id != buyer_id
        )
        lines = [
            {
                "workspace_id": workspace_id,
                "product_id": products[line.sku].id,
                "range_id": products[line.sku].range_id,
                "quantity": line.quantity,
                "unit_price_minor": to_minor(line.unit_price, order.currency),
            }
            for line in order.lines
        ]
        new_orders.append(
            {
                "workspace_id": workspace_id,
                "external_id": order.external_id,
                "buyer_id": buyer_id,
                "recipient_id": recipient_id,
                "channel": order.channel,
                "status": order.status.value,
                "currency": order.currency,
                "total_minor": sum(line["quantity"] * line["unit_price_minor"] for line in lines),
                "for_resale": for_resale,
                "buyer_class": (BuyerClass.reseller if resells else BuyerClass.consumer).value,
                "ordered_at": order.ordered_at,
                "created_at": now,
                "updated_at": now,
            }
        )
        new_lines[order.external_id] = lines
        touched.add(buyer_id)
        if recipient_id is not None and recipient_id != buyer_id:
            links.add((buyer_id, recipient_id))
        outcome.result.created += 1

    if new_orders:
        orders_table = table_of(Order)
        inserted = await session.execute(
            insert(orders_table).returning(orders_table.c.id, orders_table.c.external_id), new_orders
        )
        ids = {row.external_id: row.id for row in inserted.all()}
        await session.execute(
            insert(table_of(OrderLine)),
            [{**line, "order_id": ids[external_id]} for external_id, lines in new_lines.items() for line in lines],
        )
        outcome.order_ids.update(ids)
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
    return outcome
