"""Building and sending surveys, answering them through personal links, and their NPS results."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactEmail
from frontdesk.contacts.personal_data import ERASED_CONTACT_NAME
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.conversations.models import Conversation
from frontdesk.csvsafe import CsvWriter
from frontdesk.db import UTCDateTime, insert_missing, utcnow
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.feedback.links import InvalidLink, read_link, sign_link
from frontdesk.feedback.models import OutboxEmail
from frontdesk.feedback.periods import Period, bucket_sql
from frontdesk.feedback.sentiment import sentiment
from frontdesk.feedback.text import plain_text
from frontdesk.inputs import parse_id
from frontdesk.reports.feedback_counts import NpsCounts, nps_class, nps_counts
from frontdesk.segments import service as segments
from frontdesk.segments.models import Segment
from frontdesk.segments.rule_text import parse
from frontdesk.segments.rules import Rule
from frontdesk.segments.schemas import SegmentRead
from frontdesk.surveys.models import Survey, SurveyRecipient, SurveyStatus
from frontdesk.surveys.schemas import (
    AnswerCreate,
    AnswerRead,
    NpsFigures,
    NpsPeriod,
    NpsResults,
    NpsSegment,
    SendReport,
    SurveyCreate,
    SurveyRead,
)
from frontdesk.webhooks import events, payloads
from frontdesk.workspaces.models import Workspace

LINK_PURPOSE = "survey"
MAX_PAGE_SIZE = 200


def nps_figures(scores: Iterable[int]) -> NpsFigures:
    """NPS of these scores, by the one definition the feedback report counts with (reports.feedback_counts)."""
    counts = Counter(nps_class(score) for score in scores)
    return figures_of(NpsCounts(counts["promoter"], counts["passive"], counts["detractor"]))


def figures_of(counts: NpsCounts) -> NpsFigures:
    return NpsFigures(
        answers=counts.answers,
        promoters=counts.promoters,
        passives=counts.passives,
        detractors=counts.detractors,
        nps=counts.nps,
    )


async def get_survey(*, session: AsyncSession, workspace_id: int, survey_id: int) -> Survey:
    survey = await session.scalar(select(Survey).where(Survey.workspace_id == workspace_id, Survey.id == survey_id))
    if survey is None:
        raise NotFound(f"no survey {survey_id} in this workspace")
    return survey


async def _segment_rule(session: AsyncSession, workspace_id: int, ref: str) -> Rule:
    """The rule of the segment a survey names; an unknown one is bad input on the ``segment`` field."""
    try:
        _, rule = await segments.resolve(session=session, workspace_id=workspace_id, ref=ref)
    except NotFound as exc:
        raise InvalidInput(exc.detail, field="segment") from None
    return rule


async def _all_segments(session: AsyncSession, workspace_id: int) -> list[SegmentRead]:
    saved, _ = await segments.list_saved(session=session, workspace_id=workspace_id, limit=100, cursor=None)
    return segments.builtin_segments() + saved


async def to_reads(*, session: AsyncSession, surveys: list[Survey]) -> list[SurveyRead]:
    ids = [survey.id for survey in surveys]
    counts = {
        survey_id: (int(recipients), int(answers or 0))
        for survey_id, recipients, answers in (
            await session.execute(
                select(
                    SurveyRecipient.survey_id,
                    func.count(),
                    func.count(SurveyRecipient.score),
                )
                .where(SurveyRecipient.survey_id.in_(ids))
                .group_by(SurveyRecipient.survey_id)
            )
        ).all()
    }
    names = {segment.id: segment.name for segment in segments.builtin_segments()}
    saved_ids = {segment_id for survey in surveys if (segment_id := parse_id(survey.segment)) is not None}
    names |= {
        str(segment_id): name
        for segment_id, name in (
            await session.execute(select(Segment.id, Segment.name).where(Segment.id.in_(saved_ids)))
        ).all()
    }
    reads = []
    for survey in surveys:
        recipients, answers = counts.get(survey.id, (0, 0))
        reads.append(
            SurveyRead(
                id=survey.id,
                name=survey.name,
                question=survey.question,
                segment=survey.segment,
                segment_name=names.get(survey.segment, f"(deleted segment {survey.segment})"),
                status=SurveyStatus(survey.status),
                valid_days=survey.valid_days,
                change_hours=survey.change_hours,
                created_by=survey.created_by,
                created_at=survey.created_at,
                sent_at=survey.sent_at,
                recipients=recipients,
                answers=answers,
            )
        )
    return reads


async def list_surveys(
    *, session: AsyncSession, workspace_id: int, limit: int, cursor: str | None
) -> tuple[list[Survey], str | None]:
    statement = select(Survey).where(Survey.workspace_id == workspace_id)
    if cursor:
        statement = statement.where(Survey.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Survey.id.desc()).limit(limit + 1))).all())
    return rows[:limit], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


async def do_create_survey(*, session: AsyncSession, workspace_id: int, data: SurveyCreate, actor: str) -> Survey:
    await _segment_rule(session, workspace_id, data.segment)
    survey = Survey(workspace_id=workspace_id, created_by=actor, **data.model_dump())
    session.add(survey)
    await session.flush()
    return survey


def link_token(recipient: SurveyRecipient, survey: Survey) -> str:
    """The recipient's personal link token: the same every time it is asked for (it is not stored)."""
    return sign_link(
        workspace_id=recipient.workspace_id,
        purpose=LINK_PURPOSE,
        subject_id=recipient.id,
        valid_for=timedelta(days=survey.valid_days),
        now=recipient.invited_at,
    )


def link_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/s/{token}"


def _email_body(workspace_name: str, survey: Survey, url: str) -> str:
    return (
        f"Hello,\n\n{workspace_name} would like to know: {survey.question}\n\n"
        f"Answer with one click (0 to 10) here:\n{url}\n\n"
        f"The link is personal and works for {survey.valid_days} days. Thank you!\n"
    )


async def do_send_survey(
    *, session: AsyncSession, workspace_id: int, survey_id: int, public_url: str, mail_configured: bool
) -> SendReport:
    """Send the survey to every member of its segment who has not had it: recipients and e-mails are
    written once each (unique keys), so sending again reaches only contacts new to the segment."""
    survey = await get_survey(session=session, workspace_id=workspace_id, survey_id=survey_id)
    rule = await _segment_rule(session, workspace_id, survey.segment)
    ctx = await segments.context(session=session, workspace_id=workspace_id)
    members = segments.members(rule, ctx).subquery()
    now = utcnow()
    first_email = (
        select(ContactEmail.email)
        .where(ContactEmail.contact_id == members.c.id)
        .order_by(ContactEmail.position)
        .limit(1)
        .scalar_subquery()
    )
    had_it = exists().where(SurveyRecipient.survey_id == survey.id, SurveyRecipient.contact_id == members.c.id)
    await session.execute(
        insert(SurveyRecipient).from_select(
            ["workspace_id", "survey_id", "contact_id", "email", "invited_at"],
            select(
                literal(workspace_id), literal(survey.id), members.c.id, first_email, literal(now, UTCDateTime)
            ).where(~had_it),
        )
    )
    added = list(
        await session.scalars(
            select(SurveyRecipient).where(SurveyRecipient.survey_id == survey.id, SurveyRecipient.invited_at == now)
        )
    )
    workspace_name = await session.scalar(select(Workspace.name).where(Workspace.id == workspace_id)) or ""
    emails = [
        {
            "workspace_id": workspace_id,
            "purpose": LINK_PURPOSE,
            "subject_id": recipient.id,
            "to_address": recipient.email,
            "subject": f"{workspace_name}: a quick question",
            "body": _email_body(workspace_name, survey, link_url(public_url, link_token(recipient, survey))),
        }
        for recipient in added
        if recipient.email
    ]
    if mail_configured:
        for start in range(0, len(emails), 1000):
            await insert_missing(session, OutboxEmail, emails[start : start + 1000])
    survey.status = SurveyStatus.sent.value
    survey.sent_at = survey.sent_at or now
    total = await session.scalar(select(func.count()).where(SurveyRecipient.survey_id == survey.id))
    return SendReport(
        recipients=int(total or 0),
        added=len(added),
        emails_queued=len(emails) if mail_configured else 0,
        without_email=sum(1 for recipient in added if not recipient.email),
        mail_configured=mail_configured,
    )


async def links_csv(*, session: AsyncSession, workspace_id: int, survey_id: int, public_url: str) -> str:
    """Every recipient's personal link, for sending through another channel."""
    survey = await get_survey(session=session, workspace_id=workspace_id, survey_id=survey_id)
    rows = await session.execute(
        select(SurveyRecipient, Contact.name)
        .join(Contact, Contact.id == SurveyRecipient.contact_id)
        .where(SurveyRecipient.survey_id == survey.id)
        .order_by(SurveyRecipient.id)
    )
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["contact_id", "name", "email", "link", "expires_at", "answered"])
    for recipient, name in rows.all():
        expires = recipient.invited_at + timedelta(days=survey.valid_days)
        url = link_url(public_url, link_token(recipient, survey))
        answered = "yes" if recipient.score is not None else "no"
        writer.writerow([recipient.contact_id, name, recipient.email or "", url, expires.isoformat(), answered])
    return out.getvalue()


async def recipient_for_link(
    *, session: AsyncSession, token: str, now: datetime | None = None
) -> tuple[SurveyRecipient, Survey]:
    claims = read_link(token, purpose=LINK_PURPOSE, now=now)
    recipient = await session.get(SurveyRecipient, claims.subject_id)
    # An erased recipient's answer stays anonymous for NPS; the link that reached them no longer works.
    if recipient is None or recipient.workspace_id != claims.workspace_id or recipient.contact_id is None:
        raise InvalidLink("this survey is no longer available")
    survey = await get_survey(session=session, workspace_id=recipient.workspace_id, survey_id=recipient.survey_id)
    return recipient, survey


def can_change_until(recipient: SurveyRecipient, survey: Survey) -> datetime | None:
    if recipient.first_answered_at is None:
        return None
    return recipient.first_answered_at + timedelta(hours=survey.change_hours)


async def do_answer(
    *, session: AsyncSession, token: str, data: AnswerCreate, now: datetime | None = None
) -> tuple[SurveyRecipient, Survey]:
    """Store the recipient's one answer; it can be changed until ``change_hours`` after the first."""
    now = now or utcnow()
    recipient, survey = await recipient_for_link(session=session, token=token, now=now)
    deadline = can_change_until(recipient, survey)
    if deadline is not None and now > deadline:
        final = f"this answer is final: it could be changed until {deadline:%Y-%m-%d %H:%M} UTC"
        raise Conflict(final, field="score")
    comment = plain_text(data.comment) or None
    recipient.score = data.score
    recipient.comment = comment
    recipient.sentiment = sentiment(comment) if comment else None
    recipient.answered_at = now
    recipient.first_answered_at = recipient.first_answered_at or now
    await session.flush()
    await _emit_answered(session, recipient, survey)
    return recipient, survey


async def _emit_answered(session: AsyncSession, recipient: SurveyRecipient, survey: Survey) -> None:
    """survey.answered, for a first answer and for a changed one (the integration keeps the latest)."""
    if not await events.subscribed(session, workspace_id=survey.workspace_id, event_type="survey.answered"):
        return
    name = await session.scalar(select(Contact.name).where(Contact.id == recipient.contact_id))
    assert recipient.score is not None and recipient.answered_at is not None  # just stored
    data = payloads.SurveyAnswered(
        survey_id=survey.id,
        survey_name=survey.name,
        recipient_id=recipient.id,
        contact_id=recipient.contact_id,
        contact_name=name or ERASED_CONTACT_NAME,
        score=recipient.score,
        comment=recipient.comment,
        sentiment=recipient.sentiment,
        answered_at=recipient.answered_at,
    )
    await events.emit(
        session,
        workspace_id=survey.workspace_id,
        event_type="survey.answered",
        data=data.model_dump(mode="json"),
        contact_id=recipient.contact_id,
    )


def _answered(workspace_id: int, survey_id: int | None, since: datetime | None, until: datetime | None) -> Any:
    conditions = [SurveyRecipient.workspace_id == workspace_id, SurveyRecipient.score.is_not(None)]
    if survey_id is not None:
        conditions.append(SurveyRecipient.survey_id == survey_id)
    if since is not None:
        conditions.append(SurveyRecipient.answered_at >= since)
    if until is not None:
        conditions.append(SurveyRecipient.answered_at < until)
    return conditions


async def results(
    *,
    session: AsyncSession,
    workspace_id: int,
    survey_id: int | None = None,
    segment: str | None = None,
    period: Period = Period.month,
    since: datetime | None = None,
    until: datetime | None = None,
) -> NpsResults:
    """NPS over the answers (of one survey or all), overall, per period and per segment."""
    if survey_id is not None:
        await get_survey(session=session, workspace_id=workspace_id, survey_id=survey_id)
    conditions = _answered(workspace_id, survey_id, since, until)
    ctx = await segments.context(session=session, workspace_id=workspace_id)
    if segment is not None:
        rule = await _segment_rule(session, workspace_id, segment)
        conditions.append(SurveyRecipient.contact_id.in_(segments.members(rule, ctx)))
    dialect = session.get_bind().dialect.name
    # Counted by the feedback report's definition (reports.feedback_counts), in UTC months or weeks.
    by_period = await nps_counts(
        session,
        workspace_id=workspace_id,
        conditions=conditions,
        bucket=lambda column: bucket_sql(column, period, dialect),
    )
    overall = sum(by_period.values(), NpsCounts())
    over_time = [NpsPeriod(period=key, **figures_of(counts).model_dump()) for key, counts in sorted(by_period.items())]
    by_segment = []
    for candidate in await _all_segments(session, workspace_id) if overall.answers else []:
        members_of_candidate = segments.members(parse(candidate.rule), ctx)
        found = await nps_counts(
            session,
            workspace_id=workspace_id,
            conditions=[*conditions, SurveyRecipient.contact_id.in_(members_of_candidate)],
            bucket=None,
        )
        counts = sum(found.values(), NpsCounts())
        if counts.answers:
            figures = figures_of(counts)
            by_segment.append(NpsSegment(segment=candidate.id, segment_name=candidate.name, **figures.model_dump()))
    csat_conditions = [Conversation.workspace_id == workspace_id, Conversation.csat_rating.is_not(None)]
    if since is not None:
        csat_conditions.append(Conversation.created_at >= since)
    if until is not None:
        csat_conditions.append(Conversation.created_at < until)
    csat_average, csat_count = (
        await session.execute(select(func.avg(Conversation.csat_rating), func.count()).where(*csat_conditions))
    ).one()
    return NpsResults(
        overall=figures_of(overall),
        over_time=over_time,
        by_segment=by_segment,
        chat_csat_average=round(float(csat_average), 2) if csat_average is not None else None,
        chat_csat_ratings=int(csat_count),
    )


async def list_answers(
    *, session: AsyncSession, workspace_id: int, survey_id: int, limit: int, cursor: str | None
) -> tuple[list[AnswerRead], str | None]:
    await get_survey(session=session, workspace_id=workspace_id, survey_id=survey_id)
    # Outer join: an erased recipient's answer still counts in NPS, so it is listed, anonymously.
    statement = (
        select(SurveyRecipient, Contact.name)
        .outerjoin(Contact, Contact.id == SurveyRecipient.contact_id)
        .where(*_answered(workspace_id, survey_id, None, None))
    )
    if cursor:
        statement = statement.where(SurveyRecipient.id < decode_cursor(cursor))
    rows = (await session.execute(statement.order_by(SurveyRecipient.id.desc()).limit(limit + 1))).all()
    items = [
        AnswerRead(
            recipient_id=recipient.id,
            contact_id=recipient.contact_id,
            contact_name=ERASED_CONTACT_NAME if recipient.contact_id is None else name,
            score=recipient.score,
            comment=recipient.comment,
            sentiment=recipient.sentiment,
            answered_at=recipient.answered_at,
        )
        for recipient, name in rows[:limit]
    ]
    return items, encode_cursor(items[-1].recipient_id) if len(rows) > limit else None
