"""Raising complaints (from a contact, conversation, review or survey answer), working them, their rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.complaints.models import Category, Complaint, ComplaintEvent, ComplaintSource, ComplaintStatus, Severity
from frontdesk.complaints.schemas import (
    ComplaintCreate,
    ComplaintEventRead,
    ComplaintRate,
    ComplaintRatePeriod,
    ComplaintRead,
    ComplaintSuggestion,
    ComplaintUpdate,
)
from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import ERASED_CONTACT_NAME
from frontdesk.contacts.service import decode_cursor, encode_cursor, get_referenced_contact
from frontdesk.contacts.timeline import record_event
from frontdesk.conversations.models import Conversation
from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.feedback.periods import Period, bucket_sql
from frontdesk.feedback.service import get_feedback_settings
from frontdesk.reports.feedback_counts import ComplaintCounts, between, complaint_counts
from frontdesk.reviews.models import Review
from frontdesk.surveys.models import SurveyRecipient
from frontdesk.webhooks import events
from frontdesk.workspaces.models import Agent

MAX_PAGE_SIZE = 200


async def _owner(session: AsyncSession, workspace_id: int, owner_id: int | None) -> Agent | None:
    if owner_id is None:
        return None
    agent = await session.scalar(select(Agent).where(Agent.workspace_id == workspace_id, Agent.id == owner_id))
    if agent is None:
        raise InvalidInput(f"no agent {owner_id} in this workspace", field="owner_id")
    return agent


def _known(contact_id: int | None, field: str) -> int:
    # An anonymised review or answer counts in the figures, but there is nobody left to follow up with.
    if contact_id is None:
        raise InvalidInput("the customer who gave this was erased: a complaint needs someone to follow up", field=field)
    return contact_id


async def _origin(session: AsyncSession, workspace_id: int, data: ComplaintCreate) -> tuple[int, ComplaintSource]:
    """The contact the complaint is about, and where it was raised from."""
    if data.conversation_id is not None:
        conversation = await session.scalar(
            select(Conversation).where(
                Conversation.workspace_id == workspace_id, Conversation.id == data.conversation_id
            )
        )
        if conversation is None:
            raise InvalidInput(f"no conversation {data.conversation_id} in this workspace", field="conversation_id")
        if conversation.contact_id is None:
            raise InvalidInput("the visitor of this conversation is not a known contact yet", field="conversation_id")
        return conversation.contact_id, ComplaintSource.conversation
    if data.review_id is not None:
        review = await session.scalar(
            select(Review).where(Review.workspace_id == workspace_id, Review.id == data.review_id)
        )
        if review is None:
            raise InvalidInput(f"no review {data.review_id} in this workspace", field="review_id")
        return _known(review.contact_id, "review_id"), ComplaintSource.review
    if data.survey_answer_id is not None:
        answer = await session.scalar(
            select(SurveyRecipient).where(
                SurveyRecipient.workspace_id == workspace_id,
                SurveyRecipient.id == data.survey_answer_id,
                SurveyRecipient.score.is_not(None),
            )
        )
        if answer is None:
            raise InvalidInput(f"no survey answer {data.survey_answer_id} in this workspace", field="survey_answer_id")
        return _known(answer.contact_id, "survey_answer_id"), ComplaintSource.survey
    assert data.contact_id is not None
    await get_referenced_contact(
        session=session, workspace_id=workspace_id, contact_id=data.contact_id, field="contact_id"
    )
    return data.contact_id, ComplaintSource.api


def _event(session: AsyncSession, complaint: Complaint, kind: str, actor: str, **data: Any) -> None:
    session.add(ComplaintEvent(complaint_id=complaint.id, kind=kind, actor=actor, data=data))


async def _timeline(session: AsyncSession, complaint: Complaint, kind: str, actor: str) -> None:
    contact = await session.get(Contact, complaint.contact_id) if complaint.contact_id is not None else None
    if contact is not None:
        data = {"complaint_id": complaint.id, "summary": complaint.summary, "severity": complaint.severity}
        record_event(session=session, contact=contact, kind=kind, actor=actor, data=data)


async def do_raise_complaint(
    *,
    session: AsyncSession,
    workspace_id: int,
    data: ComplaintCreate,
    actor: str,
    direct_source: ComplaintSource = ComplaintSource.api,
) -> Complaint:
    """Record the complaint; ``direct_source`` says who raised one naming only a contact (API or agent)."""
    contact_id, source = await _origin(session, workspace_id, data)
    if source is ComplaintSource.api:
        source = direct_source
    await _owner(session, workspace_id, data.owner_id)
    settings = await get_feedback_settings(session=session, workspace_id=workspace_id)
    now = utcnow()
    complaint = Complaint(
        workspace_id=workspace_id,
        contact_id=contact_id,
        source=source.value,
        conversation_id=data.conversation_id,
        review_id=data.review_id,
        survey_recipient_id=data.survey_answer_id,
        summary=data.summary,
        description=data.description,
        category=data.category.value,
        severity=data.severity.value,
        status=ComplaintStatus.open.value,
        owner_id=data.owner_id,
        due_at=data.due_at or now + timedelta(days=settings.complaint_due_days),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    await session.flush()
    _event(session, complaint, "raised", actor, source=source.value)
    await _timeline(session, complaint, "complaint_raised", actor)
    await _emit(session, complaint, "complaint.created")
    return complaint


async def _emit(session: AsyncSession, complaint: Complaint, event_type: str) -> None:
    if await events.subscribed(session, workspace_id=complaint.workspace_id, event_type=event_type):
        (read,) = await to_reads(session=session, complaints=[complaint])
        await events.emit(
            session,
            workspace_id=complaint.workspace_id,
            event_type=event_type,
            data=read.model_dump(mode="json"),
            contact_id=complaint.contact_id,
        )


async def get_complaint(*, session: AsyncSession, workspace_id: int, complaint_id: int) -> Complaint:
    complaint = await session.scalar(
        select(Complaint).where(Complaint.workspace_id == workspace_id, Complaint.id == complaint_id)
    )
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id} in this workspace")
    return complaint


def _plain(value: Any) -> Any:
    """A field's value as the history keeps it: enums by value, times as UTC ISO text."""
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else getattr(value, "value", value)


async def do_update_complaint(
    *, session: AsyncSession, workspace_id: int, complaint_id: int, data: ComplaintUpdate, actor: str
) -> Complaint:
    complaint = await get_complaint(session=session, workspace_id=workspace_id, complaint_id=complaint_id)
    given = data.model_dump(exclude_unset=True)
    if "owner_id" in given:
        await _owner(session, workspace_id, given["owner_id"])
    resolution = given.get("resolution", complaint.resolution)
    if given.get("status") == ComplaintStatus.resolved and not (resolution or "").strip():
        raise InvalidInput("say how the complaint was resolved", field="resolution")
    changed = {name: [_plain(getattr(complaint, name)), _plain(value)] for name, value in given.items()}
    changed = {name: pair for name, pair in changed.items() if pair[0] != pair[1]}
    if not changed:
        return complaint
    was_resolved = complaint.status == ComplaintStatus.resolved.value
    for name in changed:
        setattr(complaint, name, getattr(given[name], "value", given[name]))
    now = utcnow()
    complaint.updated_at = now
    is_resolved = complaint.status == ComplaintStatus.resolved.value
    if is_resolved != was_resolved:
        complaint.resolved_at = now if is_resolved else None
        await _timeline(session, complaint, "complaint_resolved" if is_resolved else "complaint_reopened", actor)
    _event(session, complaint, "changed", actor, changes=changed)
    await session.flush()
    if is_resolved and not was_resolved:
        await _emit(session, complaint, "complaint.resolved")
    return complaint


async def to_reads(
    *, session: AsyncSession, complaints: list[Complaint], with_history: bool = False
) -> list[ComplaintRead]:
    names = {
        contact_id: name
        for contact_id, name in (
            await session.execute(
                select(Contact.id, Contact.name).where(Contact.id.in_({c.contact_id for c in complaints}))
            )
        ).all()
    }
    owners = {
        agent_id: name
        for agent_id, name in (
            await session.execute(
                select(Agent.id, Agent.display_name).where(Agent.id.in_({c.owner_id for c in complaints if c.owner_id}))
            )
        ).all()
    }
    history: dict[int, list[ComplaintEventRead]] = {}
    if with_history:
        events = await session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id.in_([c.id for c in complaints]))
            .order_by(ComplaintEvent.id)
        )
        for event in events:
            history.setdefault(event.complaint_id, []).append(
                ComplaintEventRead(kind=event.kind, actor=event.actor, data=event.data, created_at=event.created_at)
            )
    now = utcnow()
    return [
        ComplaintRead(
            id=c.id,
            contact_id=c.contact_id,
            contact_name=ERASED_CONTACT_NAME if c.contact_id is None else names.get(c.contact_id, ""),
            source=ComplaintSource(c.source),
            conversation_id=c.conversation_id,
            review_id=c.review_id,
            survey_answer_id=c.survey_recipient_id,
            summary=c.summary,
            description=c.description,
            category=Category(c.category),
            severity=Severity(c.severity),
            status=ComplaintStatus(c.status),
            owner_id=c.owner_id,
            owner_name=owners.get(c.owner_id) if c.owner_id else None,
            due_at=c.due_at,
            overdue=c.status != ComplaintStatus.resolved.value and c.due_at < now,
            resolution=c.resolution,
            created_by=c.created_by,
            created_at=c.created_at,
            updated_at=c.updated_at,
            resolved_at=c.resolved_at,
            history=history.get(c.id, []),
        )
        for c in complaints
    ]


async def list_complaints(
    *,
    session: AsyncSession,
    workspace_id: int,
    limit: int,
    cursor: str | None,
    status: ComplaintStatus | None = None,
    contact_id: int | None = None,
    owner_id: int | None = None,
) -> tuple[list[Complaint], str | None]:
    statement = select(Complaint).where(Complaint.workspace_id == workspace_id)
    if status is not None:
        statement = statement.where(Complaint.status == status.value)
    if contact_id is not None:
        statement = statement.where(Complaint.contact_id == contact_id)
    if owner_id is not None:
        statement = statement.where(Complaint.owner_id == owner_id)
    if cursor:
        statement = statement.where(Complaint.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Complaint.id.desc()).limit(limit + 1))).all())
    return rows[:limit], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


async def suggestions(*, session: AsyncSession, workspace_id: int, limit: int = 50) -> list[ComplaintSuggestion]:
    """Low scores at or under the workspace's thresholds that no complaint has been raised from yet."""
    settings = await get_feedback_settings(session=session, workspace_id=workspace_id)
    stars, score = settings.complaint_star_threshold, settings.complaint_score_threshold
    found: list[ComplaintSuggestion] = []
    # Inner joins: an erased person's low score stays in the figures but cannot become a complaint (_known).
    reviews = await session.execute(
        select(Review, Contact.name)
        .join(Contact, Contact.id == Review.contact_id)
        .where(
            Review.workspace_id == workspace_id,
            Review.rating <= stars,
            ~select(Complaint.id).where(Complaint.review_id == Review.id).exists(),
        )
        .order_by(Review.id.desc())
        .limit(limit)
    )
    for review, name in reviews.all():
        assert review.contact_id is not None
        found.append(
            ComplaintSuggestion(
                source=ComplaintSource.review, field="review_id", id=review.id, contact_id=review.contact_id,
                contact_name=name, score=review.rating, scale="1-5", comment=review.title + ": " + review.body,
                at=review.updated_at,
            )
        )  # fmt: skip
    chats = await session.execute(
        select(Conversation, Contact.name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.csat_rating <= stars,
            ~select(Complaint.id).where(Complaint.conversation_id == Conversation.id).exists(),
        )
        .order_by(Conversation.id.desc())
        .limit(limit)
    )
    for conversation, name in chats.all():
        assert conversation.contact_id is not None and conversation.csat_rating is not None
        found.append(
            ComplaintSuggestion(
                source=ComplaintSource.chat_rating, field="conversation_id", id=conversation.id,
                contact_id=conversation.contact_id, contact_name=name, score=conversation.csat_rating, scale="1-5",
                comment=conversation.csat_comment, at=conversation.resolved_at or conversation.created_at,
            )
        )  # fmt: skip
    answers = await session.execute(
        select(SurveyRecipient, Contact.name)
        .join(Contact, Contact.id == SurveyRecipient.contact_id)
        .where(
            SurveyRecipient.workspace_id == workspace_id,
            SurveyRecipient.score <= score,
            ~select(Complaint.id).where(Complaint.survey_recipient_id == SurveyRecipient.id).exists(),
        )
        .order_by(SurveyRecipient.id.desc())
        .limit(limit)
    )
    for answer, name in answers.all():
        assert answer.contact_id is not None and answer.score is not None and answer.answered_at is not None
        found.append(
            ComplaintSuggestion(
                source=ComplaintSource.survey, field="survey_answer_id", id=answer.id, contact_id=answer.contact_id,
                contact_name=name, score=answer.score, scale="0-10", comment=answer.comment, at=answer.answered_at,
            )
        )  # fmt: skip
    found.sort(key=lambda suggestion: suggestion.at, reverse=True)
    return found[:limit]


async def complaint_rate(
    *,
    session: AsyncSession,
    workspace_id: int,
    period: Period = Period.month,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ComplaintRate:
    """Complaints raised per 100 orders placed (cancelled orders do not count), overall and per UTC period.

    Counted by the feedback report's definition (reports.feedback_counts); only the cut of time differs."""
    dialect = session.get_bind().dialect.name

    found = await complaint_counts(
        session,
        workspace_id=workspace_id,
        within=between(since, until),
        bucket=lambda column: bucket_sql(column, period, dialect),
    )
    over_time = [
        ComplaintRatePeriod(period=key, complaints=counts.complaints, orders=counts.orders, rate=counts.rate)
        for key, counts in sorted(found.items())
    ]
    total = ComplaintCounts(
        sum(counts.complaints for counts in found.values()), sum(counts.orders for counts in found.values())
    )
    return ComplaintRate(complaints=total.complaints, orders=total.orders, rate=total.rate, over_time=over_time)
