"""Writing reviews (only on a completed order of the product), moderating them, and what is public."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import Order, OrderLine, OrderStatus, Product
from frontdesk.commerce.service import get_order
from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import ERASED_CONTACT_NAME
from frontdesk.contacts.service import decode_cursor, encode_cursor, get_referenced_contact
from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.feedback.links import InvalidLink, read_link, sign_link
from frontdesk.feedback.sentiment import sentiment
from frontdesk.feedback.text import as_html, plain_text
from frontdesk.reviews.models import Review, ReviewStatus
from frontdesk.reviews.schemas import (
    PublicProduct,
    PublicReview,
    PublicReviews,
    ReviewCreate,
    ReviewModeration,
    ReviewRead,
    ReviewWrite,
)
from frontdesk.webhooks import events

LINK_PURPOSE = "review"
LINK_VALID_FOR = timedelta(days=90)
MAX_PAGE_SIZE = 200


def _clean(data: ReviewWrite) -> tuple[str, str]:
    title, body = plain_text(data.title), plain_text(data.body)
    if not title:
        raise InvalidInput("the title has no text once markup is removed", field="title")
    if not body:
        raise InvalidInput("the review has no text once markup is removed", field="body")
    return title, body


async def completed_order_of(
    *, session: AsyncSession, workspace_id: int, contact_id: int, product_id: int, order_id: int | None = None
) -> int | None:
    """The latest completed order in which the contact bought the product (``order_id``'s, when given)."""
    statement = (
        select(Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.workspace_id == workspace_id,
            Order.buyer_id == contact_id,
            Order.status == OrderStatus.completed.value,
            OrderLine.product_id == product_id,
        )
        .order_by(Order.ordered_at.desc())
        .limit(1)
    )
    if order_id is not None:
        statement = statement.where(Order.id == order_id)
    return await session.scalar(statement)


async def do_write_review(
    *,
    session: AsyncSession,
    workspace_id: int,
    contact_id: int,
    product_id: int,
    data: ReviewWrite,
    order_id: int | None = None,
    product_field: str = "sku",
) -> tuple[Review, bool]:
    """Create the buyer's review of the product, or edit it (back to the moderation queue); created?"""
    title, body = _clean(data)
    bought_in = await completed_order_of(
        session=session, workspace_id=workspace_id, contact_id=contact_id, product_id=product_id, order_id=order_id
    )
    if bought_in is None:
        raise InvalidInput("a review needs a completed order of this product by this customer", field=product_field)
    review = await session.scalar(
        select(Review).where(
            Review.workspace_id == workspace_id, Review.product_id == product_id, Review.contact_id == contact_id
        )
    )
    created = review is None
    if review is None:
        review = Review(workspace_id=workspace_id, product_id=product_id, contact_id=contact_id)
        session.add(review)
    review.order_id, review.verified_purchase = bought_in, True
    review.rating, review.title, review.body = data.rating, title, body
    review.sentiment = sentiment(f"{title}. {body}")
    review.status, review.rejection_reason = ReviewStatus.pending.value, None
    review.moderated_by = review.moderated_at = None
    review.updated_at = utcnow()
    await session.flush()
    # An edited review goes back to moderation: it is submitted again, so integrations hear of it again.
    if await events.subscribed(session, workspace_id=workspace_id, event_type="review.submitted"):
        (read,) = await to_reads(session=session, reviews=[review])
        await events.emit(
            session,
            workspace_id=workspace_id,
            event_type="review.submitted",
            data=read.model_dump(mode="json"),
            contact_id=contact_id,
        )
    return review, created


async def do_create_review(*, session: AsyncSession, workspace_id: int, data: ReviewCreate) -> tuple[Review, bool]:
    await get_referenced_contact(
        session=session, workspace_id=workspace_id, contact_id=data.contact_id, field="contact_id"
    )
    product_id = await session.scalar(
        select(Product.id).where(Product.workspace_id == workspace_id, Product.sku == data.sku)
    )
    if product_id is None:
        raise InvalidInput(f"no product with SKU {data.sku!r}", field="sku")
    return await do_write_review(
        session=session, workspace_id=workspace_id, contact_id=data.contact_id, product_id=product_id, data=data
    )


async def get_review(*, session: AsyncSession, workspace_id: int, review_id: int) -> Review:
    review = await session.scalar(select(Review).where(Review.workspace_id == workspace_id, Review.id == review_id))
    if review is None:
        raise NotFound(f"no review {review_id} in this workspace")
    return review


async def do_moderate(
    *, session: AsyncSession, workspace_id: int, review_id: int, data: ReviewModeration, actor: str
) -> Review:
    review = await get_review(session=session, workspace_id=workspace_id, review_id=review_id)
    now = utcnow()
    if data.status is not None:
        review.status = data.status.value
        review.rejection_reason = data.rejection_reason if data.status is ReviewStatus.rejected else None
        review.moderated_by, review.moderated_at = actor, now
    if data.reply is not None:
        reply = plain_text(data.reply)
        review.reply, review.replied_at = (reply, now) if reply else (None, None)
    await session.flush()
    return review


async def to_reads(*, session: AsyncSession, reviews: list[Review]) -> list[ReviewRead]:
    products = {
        row.id: row
        for row in await session.scalars(select(Product).where(Product.id.in_({r.product_id for r in reviews})))
    }
    contacts = select(Contact.id, Contact.name).where(Contact.id.in_({r.contact_id for r in reviews}))
    names = {contact_id: name for contact_id, name in (await session.execute(contacts)).all()}
    return [
        ReviewRead(
            id=review.id,
            product_id=review.product_id,
            sku=products[review.product_id].sku,
            product_name=products[review.product_id].name,
            contact_id=review.contact_id,
            contact_name=ERASED_CONTACT_NAME if review.contact_id is None else names.get(review.contact_id, ""),
            order_id=review.order_id,
            verified_purchase=review.verified_purchase,
            rating=review.rating,
            title=review.title,
            body=review.body,
            sentiment=review.sentiment,
            status=ReviewStatus(review.status),
            rejection_reason=review.rejection_reason,
            reply=review.reply,
            replied_at=review.replied_at,
            moderated_by=review.moderated_by,
            moderated_at=review.moderated_at,
            created_at=review.created_at,
            updated_at=review.updated_at,
        )
        for review in reviews
    ]


async def list_reviews(
    *,
    session: AsyncSession,
    workspace_id: int,
    limit: int,
    cursor: str | None,
    status: ReviewStatus | None = None,
    sku: str | None = None,
    contact_id: int | None = None,
) -> tuple[list[Review], str | None]:
    """Newest first; the moderation queue is ``status=pending``."""
    statement = select(Review).where(Review.workspace_id == workspace_id)
    if status is not None:
        statement = statement.where(Review.status == status.value)
    if sku is not None:
        statement = statement.join(Product, Product.id == Review.product_id).where(Product.sku == sku)
    if contact_id is not None:
        statement = statement.where(Review.contact_id == contact_id)
    if cursor:
        statement = statement.where(Review.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Review.id.desc()).limit(limit + 1))).all())
    return rows[:limit], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def _author(contact: Contact | None) -> str:
    if contact is None:
        return "A customer"
    first = contact.first_name or contact.name.split()[0]
    last = contact.last_name or (contact.name.split()[-1] if len(contact.name.split()) > 1 else "")
    return f"{first} {last[0]}." if last else first


async def public_reviews(
    *, session: AsyncSession, workspace_id: int, sku: str, limit: int = 20, cursor: str | None = None
) -> PublicReviews:
    """What anyone may see of a product's reviews: approved ones only, with their summary.

    The summary (average, count, distribution) counts every approved rating, an erased reviewer's included; the
    list shows only reviews whose author is still a customer, since an erased one has no text left to show.
    """
    product = await session.scalar(select(Product).where(Product.workspace_id == workspace_id, Product.sku == sku))
    if product is None:
        raise NotFound(f"no product with SKU {sku!r}", field="sku")
    approved = (Review.product_id == product.id, Review.status == ReviewStatus.approved.value)
    stars = select(Review.rating, func.count()).where(*approved).group_by(Review.rating)
    per_star = {star: int(n) for star, n in (await session.execute(stars)).all()}
    count = sum(per_star.values())
    average = round(sum(star * n for star, n in per_star.items()) / count, 1) if count else None
    # The inner join leaves out anonymised reviews (no contact): their rating is in the summary above.
    statement = select(Review, Contact).join(Contact, Contact.id == Review.contact_id).where(*approved)
    if cursor:
        statement = statement.where(Review.id < decode_cursor(cursor))
    rows = (await session.execute(statement.order_by(Review.id.desc()).limit(limit + 1))).all()
    items = [
        PublicReview(
            rating=review.rating,
            title=review.title,
            body=review.body,
            body_html=as_html(review.body),
            author=_author(contact),
            verified_purchase=review.verified_purchase,
            created_at=review.created_at,
            reply=review.reply,
        )
        for review, contact in rows[:limit]
    ]
    return PublicReviews(
        product=PublicProduct(sku=product.sku, name=product.name),
        average=average,
        count=count,
        distribution={str(star): per_star.get(star, 0) for star in range(1, 6)},
        items=items,
        next_cursor=encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None,
    )


async def do_review_link(
    *, session: AsyncSession, workspace_id: int, order_id: int, now: datetime | None = None
) -> tuple[str, datetime]:
    """A link for the order's buyer to review what they bought in it; only for a completed order."""
    order = await get_order(session=session, workspace_id=workspace_id, order_id=order_id)
    if order.status != OrderStatus.completed.value or order.buyer_id is None:
        raise InvalidInput("only a completed order with a known buyer can be reviewed", field="order_id")
    now = now or utcnow()
    token = sign_link(
        workspace_id=workspace_id, purpose=LINK_PURPOSE, subject_id=order.id, valid_for=LINK_VALID_FOR, now=now
    )
    return token, now + LINK_VALID_FOR


async def order_for_link(*, session: AsyncSession, token: str) -> tuple[Order, list[Product], dict[int, Review]]:
    """The order a review link is for, its products, and the buyer's reviews of them so far."""
    claims = read_link(token, purpose=LINK_PURPOSE)
    order = await session.get(Order, claims.subject_id)
    if order is None or order.workspace_id != claims.workspace_id or order.buyer_id is None:
        raise InvalidLink("this order can no longer be reviewed")
    products = list(
        await session.scalars(
            select(Product)
            .where(Product.id.in_(select(OrderLine.product_id).where(OrderLine.order_id == order.id)))
            .order_by(Product.name)
        )
    )
    reviews = await session.scalars(
        select(Review).where(
            Review.contact_id == order.buyer_id, Review.product_id.in_([product.id for product in products])
        )
    )
    return order, products, {review.product_id: review for review in reviews}
