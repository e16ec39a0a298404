"""Orders, purchase figures and stage history in a contact's export, erasure and merge.

Erasure keeps orders: they are the business's records (accounting obligations, GDPR art. 17(3)(b)) and its
revenue, repeat-purchase and cohort figures rest on them. An order holds no name, address or e-mail, only
amounts, dates, products and the shop's order number, so forgetting who bought it (buyer and recipient set to
nothing) leaves nothing that identifies the person. The figures derived for the person (customer_figures,
customer_ranges) and their stage history are about them alone and go.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import forget_customers, refresh_customers
from frontdesk.commerce.models import LifecycleChange, Order
from frontdesk.commerce.service import export_purchases
from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    return await export_purchases(session=session, contact=contact)


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    orders = int(
        await session.scalar(
            select(func.count()).where((Order.buyer_id == contact.id) | (Order.recipient_id == contact.id))
        )
        or 0
    )
    for column in (Order.buyer_id, Order.recipient_id):
        await session.execute(update(Order).where(column == contact.id).values({column: None}))
    changes = await session.execute(delete(LifecycleChange).where(LifecycleChange.contact_id == contact.id))
    await forget_customers(session=session, contact_ids=[contact.id])
    return {"orders_kept_without_buyer": orders, "lifecycle_changes": rowcount(changes)}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    """The duplicate's orders (bought or received) and stage history become the target's; the target's
    figures are recomputed from all of them."""
    for column in (Order.buyer_id, Order.recipient_id):
        await session.execute(update(Order).where(column == duplicate.id).values({column: target.id}))
    await session.execute(
        update(LifecycleChange).where(LifecycleChange.contact_id == duplicate.id).values(contact_id=target.id)
    )
    await forget_customers(session=session, contact_ids=[duplicate.id])
    await refresh_customers(session=session, workspace_id=target.workspace_id, contact_ids=[target.id])
    return {}


OWNER = register(
    PersonalDataOwner(
        domain="commerce",
        tables=frozenset({"orders", "lifecycle_changes", "customer_figures", "customer_ranges"}),
        export=export,
        erase=erase,
        merge=merge,
    )
)
