"""Reviews in a contact's export, erasure and merge.

Erasure deletes the person's reviews, rating included: ``reviews.contact_id`` is required (a review is one
buyer's word on a product), so a review cannot outlive its author without a schema change. The product's
public average and count therefore drop the erased person's rating, exactly as if it had never been given;
docs/registry.md says so. Keeping the rating would need ``contact_id`` nullable (ON DELETE SET NULL) and
the title, body and reply blanked.

Merging moves the duplicate's reviews to the contact that stays. Both may have reviewed the same product
(one review per buyer and product): the stayer's review is kept, and the duplicate's goes into the merge
event on the timeline, whole, so nothing it said is lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount
from frontdesk.reviews.models import Review


def _document(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "product_id": review.product_id,
        "order_id": review.order_id,
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "status": review.status,
        "rejection_reason": review.rejection_reason,
        "reply": review.reply,
        "created_at": review.created_at.isoformat(),
        "updated_at": review.updated_at.isoformat(),
    }


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    reviews = await session.scalars(select(Review).where(Review.contact_id == contact.id).order_by(Review.id))
    return {"reviews": [_document(review) for review in reviews]}


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    return {"reviews": rowcount(await session.execute(delete(Review).where(Review.contact_id == contact.id)))}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    reviewed = set(await session.scalars(select(Review.product_id).where(Review.contact_id == target.id)))
    not_taken = []
    for review in await session.scalars(select(Review).where(Review.contact_id == duplicate.id)):
        if review.product_id in reviewed:
            not_taken.append(_document(review))
            await session.delete(review)
        else:
            review.contact_id = target.id
    await session.flush()
    return {"reviews": not_taken} if not_taken else {}


OWNER = register(
    PersonalDataOwner(domain="reviews", tables=frozenset({"reviews"}), export=export, erase=erase, merge=merge)
)
