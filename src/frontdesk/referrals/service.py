"""Referral codes, attributing new contacts and their first orders to a referrer, and the referral report."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.models import CustomerFigures, Order, OrderStatus
from frontdesk.commerce.schemas import from_minor
from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import ERASED_CONTACT_NAME
from frontdesk.contacts.service import decode_cursor, encode_cursor, get_contact
from frontdesk.db import insert_missing
from frontdesk.errors import Conflict, InvalidInput
from frontdesk.feedback.service import get_feedback_settings
from frontdesk.referrals.models import Referral, ReferralCode
from frontdesk.referrals.schemas import ReferralRead, ReferralReport, TopReferrer
from frontdesk.reports.feedback_counts import WHOLE, ReferralCounts, between, referral_counts

# No 0/O or 1/I: codes are read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Attribution:
    counted: bool
    referrer_id: int
    reason: str  # why it was not counted, or "attributed" / "already attributed"


def normalize_code(code: str) -> str:
    return code.strip().upper()


async def get_or_create_code(*, session: AsyncSession, workspace_id: int, contact_id: int) -> str:
    """The contact's code, made on first request; a code is never reused for another contact."""
    await get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    for _ in range(5):
        code = await session.scalar(select(ReferralCode.code).where(ReferralCode.contact_id == contact_id))
        if code is not None:
            return code
        candidate = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        await insert_missing(
            session, ReferralCode, [{"contact_id": contact_id, "workspace_id": workspace_id, "code": candidate}]
        )
    raise Conflict("could not make a unique referral code; retry", field="contact_id")


async def referral_link(*, session: AsyncSession, workspace_id: int, code: str, public_url: str) -> str:
    settings = await get_feedback_settings(session=session, workspace_id=workspace_id)
    landing = settings.referral_landing_url or public_url.rstrip("/") + "/"
    return f"{landing}{'&' if '?' in landing else '?'}ref={code}"


async def referrer_of_code(*, session: AsyncSession, workspace_id: int, code: str) -> int:
    referrer = await session.scalar(
        select(ReferralCode.contact_id).where(
            ReferralCode.workspace_id == workspace_id, ReferralCode.code == normalize_code(code)
        )
    )
    if referrer is None:
        raise InvalidInput(f"no referral code {code!r} in this workspace", field="referral_code")
    return referrer


async def _customer_before(session: AsyncSession, contact_id: int, order_id: int | None) -> bool:
    """Had the contact bought before (before ``order_id``, when the code came with that order)?"""
    statement = select(Order.id).where(Order.buyer_id == contact_id, Order.status != OrderStatus.cancelled.value)
    if order_id is not None:
        placed = await session.scalar(select(Order.ordered_at).where(Order.id == order_id))
        statement = statement.where(Order.id != order_id, Order.ordered_at <= placed)
    return await session.scalar(statement.limit(1)) is not None


async def do_attribute(
    *, session: AsyncSession, workspace_id: int, code: str, referred_id: int, order_id: int | None = None
) -> Attribution:
    """Count ``referred_id`` as referred by the code's owner, once.

    Raises ``InvalidInput`` for an unknown code or a self-referral (nothing should be stored with it); returns
    ``counted=False`` with the reason when the contact was referred already or was a customer before.
    """
    referrer_id = await referrer_of_code(session=session, workspace_id=workspace_id, code=code)
    if referrer_id == referred_id:
        raise InvalidInput("a customer cannot refer themselves", field="referral_code")
    existing = await session.scalar(
        select(Referral).where(Referral.workspace_id == workspace_id, Referral.referred_id == referred_id)
    )
    if existing is not None:
        if existing.referrer_id == referrer_id:
            if existing.order_id is None and order_id is not None:
                existing.order_id = order_id  # the contact's first order, now that it came
            return Attribution(True, referrer_id, "already attributed")
        return Attribution(False, referrer_id, "already referred by another customer")
    if await _customer_before(session, referred_id, order_id):
        return Attribution(False, referrer_id, "already a customer before this code")
    session.add(
        Referral(
            workspace_id=workspace_id,
            referrer_id=referrer_id,
            referred_id=referred_id,
            order_id=order_id,
            code=normalize_code(code),
        )
    )
    await session.flush()
    return Attribution(True, referrer_id, "attributed")


def attribution_header(outcome: Attribution) -> str:
    """The ``Referral`` response header of contact and order creation."""
    return f"counted; referrer={outcome.referrer_id}" if outcome.counted else f"not counted; {outcome.reason}"


async def list_referrals(
    *, session: AsyncSession, workspace_id: int, limit: int, cursor: str | None, referrer_id: int | None = None
) -> tuple[list[ReferralRead], str | None]:
    referrer, referred = Contact.__table__.alias("referrer"), Contact.__table__.alias("referred")
    # Outer joins: a referral whose referrer or referred contact was erased still counts, so it is listed.
    statement = (
        select(Referral, referrer.c.name, referred.c.name)
        .outerjoin(referrer, referrer.c.id == Referral.referrer_id)
        .outerjoin(referred, referred.c.id == Referral.referred_id)
        .where(Referral.workspace_id == workspace_id)
    )
    if referrer_id is not None:
        statement = statement.where(Referral.referrer_id == referrer_id)
    if cursor:
        statement = statement.where(Referral.id < decode_cursor(cursor))
    rows = (await session.execute(statement.order_by(Referral.id.desc()).limit(limit + 1))).all()
    items = [
        ReferralRead(
            id=row.id,
            referrer_id=row.referrer_id,
            referrer_name=ERASED_CONTACT_NAME if row.referrer_id is None else referrer_name,
            referred_id=row.referred_id,
            referred_name=ERASED_CONTACT_NAME if row.referred_id is None else referred_name,
            order_id=row.order_id,
            code=row.code,
            created_at=row.created_at,
        )
        for row, referrer_name, referred_name in rows[:limit]
    ]
    return items, encode_cursor(items[-1].id) if len(rows) > limit else None


async def report(
    *,
    session: AsyncSession,
    workspace_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    top: int = 10,
) -> ReferralReport:
    """Referral rate among new customers of the range, and the referrers who brought the most contacts."""
    referred_in_range = [Referral.workspace_id == workspace_id, *between(since, until)(Referral.created_at)]
    # The referral rate by the feedback report's definition (reports.feedback_counts), over the whole range.
    found = await referral_counts(session, workspace_id=workspace_id, within=between(since, until), bucket=None)
    counts = found.get(WHOLE, ReferralCounts())
    referred_contacts = int(await session.scalar(select(func.count()).where(*referred_in_range)) or 0)
    # Top referrers are people: an erased referrer's referrals count above but are listed under nobody.
    rows = await session.execute(
        select(
            Referral.referrer_id,
            Contact.name,
            ReferralCode.code,
            func.count(Referral.id).label("referred"),
            func.count(CustomerFigures.contact_id).filter(CustomerFigures.orders > 0),
            func.coalesce(func.sum(CustomerFigures.total_spent_minor), 0),
        )
        .join(Contact, Contact.id == Referral.referrer_id)
        .outerjoin(ReferralCode, ReferralCode.contact_id == Referral.referrer_id)
        .outerjoin(CustomerFigures, CustomerFigures.contact_id == Referral.referred_id)
        .where(*referred_in_range)
        .group_by(Referral.referrer_id, Contact.name, ReferralCode.code)
        .order_by(func.count(Referral.id).desc(), Referral.referrer_id)
        .limit(top)
    )
    currency = (await get_commerce_settings(session=session, workspace_id=workspace_id)).currency
    return ReferralReport(
        new_customers=counts.new_customers,
        referred_new_customers=counts.referred,
        referral_rate=counts.rate,
        referred_contacts=referred_contacts,
        currency=currency,
        top_referrers=[
            TopReferrer(
                contact_id=referrer_id,
                name=name,
                code=code,
                referred=int(referred),
                became_customers=int(customers),
                revenue=from_minor(int(revenue), currency),
            )
            for referrer_id, name, code, referred, customers, revenue in rows.all()
        ],
    )


async def order_of_buyer(*, session: AsyncSession, workspace_id: int, order_id: int, buyer_id: int) -> Order:
    order = await session.scalar(select(Order).where(Order.workspace_id == workspace_id, Order.id == order_id))
    if order is None or order.buyer_id != buyer_id:
        raise InvalidInput(f"no order {order_id} placed by contact {buyer_id}", field="order_id")
    return order


async def attribute_visitor_code(
    *, session: AsyncSession, workspace_id: int, contact_id: int, code: str, order_id: int | None = None
) -> Attribution | None:
    """The widget's hook: a visitor who arrived by a ?ref= link became ``contact_id`` (or it placed an order).

    Idempotent (``do_attribute`` counts a contact once); an unknown code or a self-referral is ignored (None),
    because it must never stop the chat or the order it came with.
    """
    try:
        return await do_attribute(
            session=session, workspace_id=workspace_id, code=code, referred_id=contact_id, order_id=order_id
        )
    except InvalidInput:
        return None


async def attribute_referred_visitors_orders(
    *, session: AsyncSession, workspace_id: int, buyer_orders: list[tuple[int, int]]
) -> None:
    """Orders just stored (buyer id, order id): a buyer whose browser arrived by a ?ref= link is attributed
    with their first order (``do_attribute`` refuses one who had bought before)."""
    from frontdesk.conversations.models import Visitor  # conversations depends on referrals, not the reverse

    first_order: dict[int, int] = {}
    for buyer_id, order_id in buyer_orders:
        first_order[buyer_id] = min(order_id, first_order.get(buyer_id, order_id))
    buyers = sorted(first_order)
    for start in range(0, len(buyers), 500):
        rows = await session.execute(
            select(Visitor.contact_id, func.min(Visitor.referral_code))
            .where(
                Visitor.workspace_id == workspace_id,
                Visitor.referral_code.is_not(None),
                Visitor.contact_id.in_(buyers[start : start + 500]),
            )
            .group_by(Visitor.contact_id)
        )
        for contact_id, code in rows.all():
            if contact_id is None or code is None:
                continue
            await attribute_visitor_code(
                session=session,
                workspace_id=workspace_id,
                contact_id=contact_id,
                code=code,
                order_id=first_order[contact_id],
            )
