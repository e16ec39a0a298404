"""Reviews in a contact's export, erasure and merge.

Erasure keeps each of the person's reviews as an anonymous rating, so the product's average, count and
distribution do not move: what stays is the product, the 1-5 rating, the status (only approved ratings count),
whether the purchase was verified, the dates and who moderated it. Everything else is emptied, and so is any
column added later that is not declared kept: the link to the contact, the title and text, the business's reply
(it quotes and names the customer), a rejection reason (it may quote them), the sentiment of their words and the
order it rests on (the shop's order number leads back to the buyer). Public pages never list an anonymous
review, they only count its rating (docs/registry.md).

Merging moves the duplicate's reviews to the contact that stays. Both may have reviewed the same product
(one review per buyer and product): the stayer's review is kept, and the duplicate's goes into the merge
event on the timeline, whole, so nothing it said is lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, erased_values, register, rowcount
from frontdesk.reviews.models import Review

# What an erased person's review keeps: what the product's figures and the moderation history count.
KEPT = frozenset(
    {
        "id", "workspace_id", "product_id", "verified_purchase", "rating", "status", "moderated_by", "moderated_at",
        "created_at", "updated_at",
    }
)  # fmt: skip


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
    values = erased_values(Review, KEPT, {"title": "", "body": ""})
    anonymised = await session.execute(update(Review).where(Review.contact_id == contact.id).values(values))
    return {"reviews_anonymised": rowcount(anonymised)}


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
