"""Survey invitations and answers in a contact's export, erasure and merge.

Erasure keeps each of the person's recipient rows as an anonymous answer, so NPS does not move: what stays is
the survey, the 0-10 score and the dates (invited, answered). Everything else is emptied, and so is any column
added later that is not declared kept: the link to the contact, the address the invitation went to, the comment
and its sentiment. The invitation e-mails written for them are deleted, and the survey link stops working (an
anonymous answer can no longer be changed). An anonymous answer belongs to no segment, so NPS per segment no
longer counts it; the overall NPS and NPS over time do.

Merging moves the duplicate's invitations to the contact that stays. When both were sent the same survey (one
recipient per survey and contact), the answered row is kept (the stayer's if both answered); the other goes
into the merge event on the timeline, whole.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, erased_values, register, rowcount
from frontdesk.feedback.personal_data import forget_emails
from frontdesk.surveys.models import Survey, SurveyRecipient
from frontdesk.surveys.service import LINK_PURPOSE

# What an erased person's answer keeps: what NPS, and NPS over time, count.
KEPT = frozenset({"id", "workspace_id", "survey_id", "invited_at", "score", "first_answered_at", "answered_at"})


def _document(recipient: SurveyRecipient, survey: Survey | None = None) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    document = {
        "survey_id": recipient.survey_id,
        "email": recipient.email,
        "invited_at": iso(recipient.invited_at),
        "score": recipient.score,
        "comment": recipient.comment,
        "first_answered_at": iso(recipient.first_answered_at),
        "answered_at": iso(recipient.answered_at),
    }
    if survey is not None:
        document |= {"survey_name": survey.name, "question": survey.question}
    return document


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    rows = await session.execute(
        select(SurveyRecipient, Survey)
        .join(Survey, Survey.id == SurveyRecipient.survey_id)
        .where(SurveyRecipient.contact_id == contact.id)
        .order_by(SurveyRecipient.id)
    )
    return {"survey_answers": [_document(recipient, survey) for recipient, survey in rows.all()]}


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    ids = list(await session.scalars(select(SurveyRecipient.id).where(SurveyRecipient.contact_id == contact.id)))
    emails = await forget_emails(
        session=session, workspace_id=contact.workspace_id, purpose=LINK_PURPOSE, subject_ids=ids
    )
    anonymised = await session.execute(
        update(SurveyRecipient).where(SurveyRecipient.id.in_(ids)).values(erased_values(SurveyRecipient, KEPT, {}))
    )
    return {"survey_answers_anonymised": rowcount(anonymised), "survey_emails": emails}


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    mine = {
        r.survey_id: r
        for r in (await session.scalars(select(SurveyRecipient).where(SurveyRecipient.contact_id == target.id))).all()
    }
    not_taken = []
    theirs = (await session.scalars(select(SurveyRecipient).where(SurveyRecipient.contact_id == duplicate.id))).all()
    for recipient in theirs:
        kept = mine.get(recipient.survey_id)
        if kept is None:
            recipient.contact_id = target.id
            continue
        if kept.score is None and recipient.score is not None:
            kept, recipient = recipient, kept
        not_taken.append(_document(recipient))
        await session.delete(recipient)
        await session.flush()  # the kept row takes the (survey, contact) key only once the other is gone
        kept.contact_id = target.id
    await session.flush()
    return {"survey_answers": not_taken} if not_taken else {}


OWNER = register(
    PersonalDataOwner(
        domain="surveys", tables=frozenset({"survey_recipients"}), export=export, erase=erase, merge=merge
    )
)
