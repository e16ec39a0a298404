"""Shop deliveries in a contact's export, erasure and merge.

A shop's raw payload names its customer (name, e-mail, addresses). Erasing the person empties the raw body of
every delivery about them and forgets who it was about; the delivery row (topic, time, outcome, the shop's
order number) stays, as the orders it created stay (commerce.personal_data).

A delivery that could not be applied (a failed mapping, a refund still waiting) may name the person without
knowing who they are: every payload of the workspace that contains one of their e-mail addresses is emptied
too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.connections.models import InboundDelivery
from frontdesk.contacts.models import Contact, ContactEmail
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    rows = await session.execute(
        select(InboundDelivery.topic, InboundDelivery.received_at, InboundDelivery.payload)
        .where(InboundDelivery.contact_id == contact.id)
        .order_by(InboundDelivery.id)
    )
    return {
        "shop_deliveries": [
            {"topic": topic, "received_at": received_at.isoformat(), "payload": payload}
            for topic, received_at, payload in rows
        ]
    }


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    addresses = (await session.scalars(select(ContactEmail.email).where(ContactEmail.contact_id == contact.id))).all()
    names_them = [
        func.lower(InboundDelivery.payload).contains(address.lower(), autoescape=True) for address in addresses
    ]
    emptied = await session.execute(
        update(InboundDelivery).where(InboundDelivery.contact_id == contact.id).values(payload=None, contact_id=None)
    )
    count = rowcount(emptied)
    if names_them:
        unnamed = await session.execute(
            update(InboundDelivery)
            .where(
                InboundDelivery.workspace_id == contact.workspace_id,
                InboundDelivery.payload.is_not(None),
                or_(*names_them),
            )
            .values(payload=None)
            .execution_options(synchronize_session=False)
        )
        count += rowcount(unnamed)
    return {"shop_payloads_emptied": count}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    await session.execute(
        update(InboundDelivery).where(InboundDelivery.contact_id == duplicate.id).values(contact_id=target.id)
    )
    return {}


OWNER = register(
    PersonalDataOwner(
        domain="connections",
        tables=frozenset({"inbound_deliveries"}),
        export=export,
        erase=erase,
        merge=merge,
    )
)
