"""The survey page a recipient opens from their personal link: no login, made for phones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError

from frontdesk.db import utcnow
from frontdesk.deps import DbSession
from frontdesk.errors import Conflict, errors_from_pydantic
from frontdesk.feedback.links import InvalidLink
from frontdesk.feedback.public import link_error, workspace_name
from frontdesk.surveys import service
from frontdesk.surveys.schemas import AnswerCreate
from frontdesk.web.console import render

router = APIRouter(include_in_schema=False)


async def _page(request: Request, session: DbSession, token: str, status_code: int = 200, **extra: Any) -> Any:
    try:
        recipient, survey = await service.recipient_for_link(session=session, token=token)
    except InvalidLink as exc:
        return link_error(request, exc)
    deadline = service.can_change_until(recipient, survey)
    final = deadline is not None and deadline < utcnow()
    return render(
        request,
        "public/survey.html",
        status_code=status_code,
        workspace_name=await workspace_name(session, recipient.workspace_id),
        survey=survey,
        recipient=recipient,
        change_until=deadline,
        final=final,
        **extra,
    )


@router.get("/s/{token}")
async def survey_page(request: Request, token: str, session: DbSession) -> Any:
    return await _page(request, session, token)


@router.post("/s/{token}")
async def answer_survey(
    request: Request,
    token: str,
    session: DbSession,
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Any:
    try:
        data = AnswerCreate.model_validate({"score": score.strip() or None, "comment": comment})
        await service.do_answer(session=session, token=token, data=data)
        await session.commit()
    except InvalidLink as exc:
        return link_error(request, exc)
    except ValidationError as exc:
        field = errors_from_pydantic(list(exc.errors()))[0]
        message = "Pick a number from 0 to 10." if field["field"] == "score" else field["message"]
        return await _page(request, session, token, status_code=422, error=message)
    except Conflict as exc:
        await session.rollback()
        return await _page(request, session, token, status_code=409, error=exc.detail)
    return await _page(request, session, token, saved=True)
