"""The e-mail outbox in a contact's export and erasure.

An outbox row has no contact key: it is found by its address (any of the contact's e-mail addresses) and, for
the domains that wrote it, by its purpose and subject (``forget_emails``, which surveys call for the
recipients it erases, since the address may have changed since). Erasure deletes the rows, sent ones too: an
address, a personal link and the fact that it was mailed are all personal data, and a pending one must not go
out after the person asked to be forgotten. Nothing is kept for figures. A merge has nothing to move.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount
from frontdesk.feedback.models import OutboxEmail


def _addressed_to(contact: Contact) -> Any:
    addresses = {address.lower() for address in contact.email_addresses}
    return (OutboxEmail.workspace_id == contact.workspace_id) & func.lower(OutboxEmail.to_address).in_(addresses)


async def forget_emails(*, session: AsyncSession, workspace_id: int, purpose: str, subject_ids: Sequence[int]) -> int:
    """Delete the e-mails written for these subjects (a domain's rows being erased); returns how many."""
    if not subject_ids:
        return 0
    result = await session.execute(
        delete(OutboxEmail).where(
            OutboxEmail.workspace_id == workspace_id,
            OutboxEmail.purpose == purpose,
            OutboxEmail.subject_id.in_(list(subject_ids)),
        )
    )
    return rowcount(result)


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    emails = await session.scalars(select(OutboxEmail).where(_addressed_to(contact)).order_by(OutboxEmail.id))
    return {
        "emails": [
            {
                "to": email.to_address,
                "subject": email.subject,
                "body": email.body,
                "status": email.status,
                "created_at": email.created_at.isoformat(),
                "sent_at": email.sent_at.isoformat() if email.sent_at else None,
            }
            for email in emails
        ]
    }


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    return {"emails": rowcount(await session.execute(delete(OutboxEmail).where(_addressed_to(contact))))}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    return {}


OWNER = register(
    PersonalDataOwner(domain="feedback", tables=frozenset({"outbox_emails"}), export=export, erase=erase, merge=merge)
)
