"""Referral codes and referrals in a contact's export, erasure and merge.

Erasure deletes the person's code (it is theirs alone; codes are never handed to anyone else) and keeps every
referral naming them, anonymised on their side only, so the referral report still counts it:
- as referrer: the link to them and the code they shared go; the referred contact, their order and the date stay
  (the referred contact was still referred, and still counts in the referral rate);
- as referred: the link to them, the code and the order that came with it go; the referrer and the date stay (the
  referrer still brought someone: "contacts referred" and their count in the report do not move). The referral
  rate does lose them if they were a new customer: commerce forgets their first order date, which made them one,
  so they leave its numerator and denominator together (docs/registry.md).
Any column added later that is not declared kept for that side is emptied too.

Merging moves the duplicate's code, referrals made and referral received to the contact that stays, except:
- both have a code (one per contact): the stayer's is kept; links with the duplicate's code stop working;
- both were referred (once per referred contact): the stayer's referral is kept;
- one referred the other: after the merge it would be a self-referral, which is refused everywhere else.
What is not kept goes into the merge event on the timeline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, erased_values, register, rowcount
from frontdesk.referrals.models import Referral, ReferralCode

# What a referral keeps when one side is erased: the other side and what the referral report counts.
KEPT_WITHOUT_REFERRER = frozenset({"id", "workspace_id", "referred_id", "order_id", "created_at"})
KEPT_WITHOUT_REFERRED = frozenset({"id", "workspace_id", "referrer_id", "created_at"})


def _document(referral: Referral) -> dict[str, Any]:
    return {
        "referrer_id": referral.referrer_id,
        "referred_id": referral.referred_id,
        "order_id": referral.order_id,
        "code": referral.code,
        "created_at": referral.created_at.isoformat(),
    }


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    code = await session.scalar(select(ReferralCode.code).where(ReferralCode.contact_id == contact.id))
    made = await session.scalars(select(Referral).where(Referral.referrer_id == contact.id).order_by(Referral.id))
    received = await session.scalar(select(Referral).where(Referral.referred_id == contact.id))
    return {
        "referral_code": code,
        "referrals_made": [_document(r) for r in made],
        "referred_by": _document(received) if received is not None else None,
    }


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    referrals = 0
    for side, kept in ((Referral.referrer_id, KEPT_WITHOUT_REFERRER), (Referral.referred_id, KEPT_WITHOUT_REFERRED)):
        values = erased_values(Referral, kept, {"code": ""})
        referrals += rowcount(await session.execute(update(Referral).where(side == contact.id).values(values)))
    codes = await session.execute(delete(ReferralCode).where(ReferralCode.contact_id == contact.id))
    return {"referrals_anonymised": referrals, "referral_codes": rowcount(codes)}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    not_taken: dict[str, Any] = {}
    codes = {
        row.contact_id: row
        for row in await session.scalars(
            select(ReferralCode).where(ReferralCode.contact_id.in_((target.id, duplicate.id)))
        )
    }
    if duplicate.id in codes:
        if target.id in codes:
            not_taken["referral_code"] = codes[duplicate.id].code
            await session.delete(codes[duplicate.id])
        else:
            # The code is the primary key's partner: re-key the row rather than update the key in place.
            code, created_at = codes[duplicate.id].code, codes[duplicate.id].created_at
            await session.delete(codes[duplicate.id])
            await session.flush()
            session.add(
                ReferralCode(contact_id=target.id, workspace_id=target.workspace_id, code=code, created_at=created_at)
            )
    dropped = []
    # The stayer's own referral, unless the duplicate made it (that one becomes a self-referral below).
    # (An erased referrer is NULL, which ``!=`` would not match.)
    target_referred = await session.scalar(
        select(Referral).where(
            Referral.referred_id == target.id,
            or_(Referral.referrer_id.is_(None), Referral.referrer_id != duplicate.id),
        )
    )
    rows = await session.scalars(
        select(Referral).where(or_(Referral.referrer_id == duplicate.id, Referral.referred_id == duplicate.id))
    )
    moves = []
    for referral in rows.all():
        referrer = target.id if referral.referrer_id == duplicate.id else referral.referrer_id
        referred = target.id if referral.referred_id == duplicate.id else referral.referred_id
        if referrer == referred or (referred == target.id and target_referred is not None):
            dropped.append(_document(referral))
            await session.delete(referral)
        else:
            moves.append((referral, referrer, referred))
    # The dropped rows go first: one may hold the (workspace, referred) key a moved row takes.
    await session.flush()
    for referral, referrer, referred in moves:
        referral.referrer_id, referral.referred_id = referrer, referred
    await session.flush()
    if dropped:
        not_taken["referrals"] = dropped
    return not_taken


OWNER = register(
    PersonalDataOwner(
        domain="referrals",
        tables=frozenset({"referrals", "referral_codes"}),
        export=export,
        erase=erase,
        merge=merge,
    )
)
