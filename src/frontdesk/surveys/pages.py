"""Console: build and send surveys, export their links, read their results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, FieldError, errors_from_pydantic
from frontdesk.segments import service as segments
from frontdesk.surveys import service
from frontdesk.surveys.schemas import SurveyCreate
from frontdesk.web.console import ConsoleAgent, FormAgent, redirect_with_notice, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)


async def _list_page(request: Request, session: DbSession, user: Any, **extra: Any) -> Any:
    workspace_id = user.principal.workspace_id
    rows, _ = await service.list_surveys(session=session, workspace_id=workspace_id, limit=100, cursor=None)
    saved, _ = await segments.list_saved(session=session, workspace_id=workspace_id, limit=200, cursor=None)
    return render(
        request,
        "pages/surveys.html",
        status_code=422 if extra.get("error") else 200,
        user=user,
        surveys=await service.to_reads(session=session, surveys=rows),
        segments=segments.builtin_segments() + saved,
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/surveys")
async def surveys_page(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    return await _list_page(request, session, user)


@router.post("/surveys")
async def create_survey(
    request: Request,
    session: DbSession,
    user: FormAgent,
    name: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    segment: Annotated[str, Form()] = "",
    valid_days: Annotated[str, Form()] = "30",
    change_hours: Annotated[str, Form()] = "72",
) -> Any:
    user.principal.require(Role.agent)
    form = {
        "name": name,
        "question": question,
        "segment": segment,
        "valid_days": valid_days,
        "change_hours": change_hours,
    }
    fields = {key: value for key, value in form.items() if value.strip()}
    error: FieldError | None = None
    try:
        data = SurveyCreate.model_validate(fields)
        survey = await service.do_create_survey(
            session=session, workspace_id=user.principal.workspace_id, data=data, actor=user.principal.label
        )
        await session.commit()
    except ValidationError as exc:
        error = errors_from_pydantic(list(exc.errors()))[0]
    except DomainError as exc:
        error = exc.errors[0] if exc.errors else FieldError("name", exc.detail)
    if error is not None:
        await session.rollback()
        return await _list_page(request, session, user, error=error, form=form)
    return redirect_with_notice(f"/surveys/{survey.id}", "Survey created: send it when you are ready.")


@router.get("/surveys/report")
async def nps_report_page(request: Request, session: DbSession, user: ConsoleAgent, segment: str | None = None) -> Any:
    results = await service.results(session=session, workspace_id=user.principal.workspace_id, segment=segment or None)
    return render(
        request,
        "pages/nps_report.html",
        user=user,
        results=results,
        segment=segment or "",
        segments=segments.builtin_segments(),
    )


@router.get("/surveys/{survey_id}")
async def survey_page(
    survey_id: PathId, request: Request, session: DbSession, user: ConsoleAgent, segment: str | None = None
) -> Any:
    workspace_id = user.principal.workspace_id
    survey = await service.get_survey(session=session, workspace_id=workspace_id, survey_id=survey_id)
    results = await service.results(
        session=session, workspace_id=workspace_id, survey_id=survey_id, segment=segment or None
    )
    answers, _ = await service.list_answers(
        session=session, workspace_id=workspace_id, survey_id=survey_id, limit=100, cursor=None
    )
    settings = request.app.state.settings
    return render(
        request,
        "pages/survey.html",
        user=user,
        survey=(await service.to_reads(session=session, surveys=[survey]))[0],
        results=results,
        answers=answers,
        segment=segment or "",
        segments=segments.builtin_segments(),
        mail_configured=settings.smtp_url is not None,
        sent=request.query_params.get("sent"),
    )


@router.post("/surveys/{survey_id}/send")
async def send_survey(survey_id: PathId, request: Request, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.agent)
    settings = request.app.state.settings
    report = await service.do_send_survey(
        session=session,
        workspace_id=user.principal.workspace_id,
        survey_id=survey_id,
        public_url=settings.public_url,
        mail_configured=settings.smtp_url is not None,
    )
    await session.commit()
    return RedirectResponse(f"/surveys/{survey_id}?sent={report.added}", status_code=303)


@router.get("/surveys/{survey_id}/links.csv", responses={200: {"content": {"text/csv": {}}}})
async def export_links(survey_id: PathId, request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    user.principal.require(Role.agent)
    text = await service.links_csv(
        session=session,
        workspace_id=user.principal.workspace_id,
        survey_id=survey_id,
        public_url=request.app.state.settings.public_url,
    )
    headers = {"Content-Disposition": f'attachment; filename="survey-{survey_id}-links.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
