"""Shop deliveries in a contact's export, erasure and merge.

A shop's raw payload names its customer (name, e-mail, addresses). Erasing the person empties the raw body of
every delivery about them and forgets who it was about; the delivery row (topic, time, outcome, the shop's
order number) stays, as the orders it created stay (commerce.personal_data).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.connections.models import InboundDelivery
from frontdesk.contacts.models import Contact
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
    emptied = await session.execute(
        update(InboundDelivery).where(InboundDelivery.contact_id == contact.id).values(payload=None, contact_id=None)
    )
    return {"shop_payloads_emptied": rowcount(emptied)}


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
