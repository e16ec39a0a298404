"""/api/v1 surveys: build, send, export links, answers and NPS results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from frontdesk.deps import Agent, AppSettings, DbSession, PathId, Viewer, require_time_zones
from frontdesk.feedback.periods import Period
from frontdesk.inputs import BoundedDateTime
from frontdesk.surveys import service
from frontdesk.surveys.schemas import AnswerPage, NpsResults, SendReport, SurveyCreate, SurveyPage, SurveyRead

router = APIRouter(prefix="/api/v1", tags=["surveys"])
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Since = Annotated[BoundedDateTime | None, Query(description="Answers at or after this time")]
Until = Annotated[BoundedDateTime | None, Query(description="Answers before this time")]
SegmentFilter = Annotated[str | None, Query(description="Only answers of this segment's members (id or key)")]


@router.post("/surveys", response_model=SurveyRead, status_code=201, summary="Create an NPS survey for a segment")
async def create_survey(data: SurveyCreate, session: DbSession, principal: Agent) -> SurveyRead:
    survey = await service.do_create_survey(
        session=session, workspace_id=principal.workspace_id, data=data, actor=principal.label
    )
    await session.commit()
    return (await service.to_reads(session=session, surveys=[survey]))[0]


@router.get("/surveys", response_model=SurveyPage, summary="List surveys, newest first")
async def list_surveys(session: DbSession, principal: Viewer, limit: Limit = 50, cursor: Cursor = None) -> SurveyPage:
    rows, next_cursor = await service.list_surveys(
        session=session, workspace_id=principal.workspace_id, limit=limit, cursor=cursor
    )
    return SurveyPage(items=await service.to_reads(session=session, surveys=rows), next_cursor=next_cursor)


@router.get("/surveys/{survey_id}", response_model=SurveyRead, summary="Read a survey")
async def read_survey(survey_id: PathId, session: DbSession, principal: Viewer) -> SurveyRead:
    survey = await service.get_survey(session=session, workspace_id=principal.workspace_id, survey_id=survey_id)
    return (await service.to_reads(session=session, surveys=[survey]))[0]


@router.post(
    "/surveys/{survey_id}/send",
    response_model=SendReport,
    summary="Send to every member of the segment who has not had it (safe to repeat)",
)
async def send_survey(survey_id: PathId, session: DbSession, principal: Agent, settings: AppSettings) -> SendReport:
    report = await service.do_send_survey(
        session=session,
        workspace_id=principal.workspace_id,
        survey_id=survey_id,
        public_url=settings.public_url,
        mail_configured=settings.smtp_url is not None,
    )
    await session.commit()
    return report


@router.get(
    "/surveys/{survey_id}/links",
    summary="Every recipient's personal link, as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_links(survey_id: PathId, session: DbSession, principal: Agent, settings: AppSettings) -> Response:
    text = await service.links_csv(
        session=session, workspace_id=principal.workspace_id, survey_id=survey_id, public_url=settings.public_url
    )
    headers = {"Content-Disposition": f'attachment; filename="survey-{survey_id}-links.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/surveys/{survey_id}/answers", response_model=AnswerPage, summary="Answers, newest first")
async def list_answers(
    survey_id: PathId, session: DbSession, principal: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> AnswerPage:
    items, next_cursor = await service.list_answers(
        session=session, workspace_id=principal.workspace_id, survey_id=survey_id, limit=limit, cursor=cursor
    )
    return AnswerPage(items=items, next_cursor=next_cursor)


@router.get("/surveys/{survey_id}/results", response_model=NpsResults, summary="NPS of one survey")
async def survey_results(
    survey_id: PathId,
    session: DbSession,
    principal: Viewer,
    segment: SegmentFilter = None,
    period: Period = Period.month,
    since: Since = None,
    until: Until = None,
) -> NpsResults:
    require_time_zones(since=since, until=until)
    return await service.results(
        session=session,
        workspace_id=principal.workspace_id,
        survey_id=survey_id,
        segment=segment,
        period=period,
        since=since,
        until=until,
    )


@router.get("/reports/nps", response_model=NpsResults, summary="NPS over every survey, with chat CSAT")
async def nps_report(
    session: DbSession,
    principal: Viewer,
    segment: SegmentFilter = None,
    period: Period = Period.month,
    since: Since = None,
    until: Until = None,
) -> NpsResults:
    require_time_zones(since=since, until=until)
    return await service.results(
        session=session, workspace_id=principal.workspace_id, segment=segment, period=period, since=since, until=until
    )
