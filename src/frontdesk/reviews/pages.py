"""Console: the review moderation queue (approve, reject with a reason, reply)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError

from frontdesk.deps import DbSession, PathId
from frontdesk.errors import errors_from_pydantic
from frontdesk.reviews import service
from frontdesk.reviews.models import ReviewStatus
from frontdesk.reviews.schemas import ReviewModeration
from frontdesk.web.console import ConsoleAgent, FormAgent, redirect_with_notice, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)


async def _queue(request: Request, session: DbSession, user: Any, status: ReviewStatus, **extra: Any) -> Any:
    rows, _ = await service.list_reviews(
        session=session, workspace_id=user.principal.workspace_id, limit=100, cursor=None, status=status
    )
    return render(
        request,
        "pages/reviews.html",
        status_code=422 if extra.get("error") else 200,
        user=user,
        reviews=await service.to_reads(session=session, reviews=rows),
        status=status.value,
        statuses=[s.value for s in ReviewStatus],
        **extra,
    )


@router.get("/reviews")
async def reviews_page(
    request: Request, session: DbSession, user: ConsoleAgent, status: ReviewStatus = ReviewStatus.pending
) -> Any:
    return await _queue(request, session, user, status)


@router.post("/reviews/{review_id}/moderate")
async def moderate(
    review_id: PathId,
    request: Request,
    session: DbSession,
    user: FormAgent,
    action: Annotated[str, Form()] = "",
    rejection_reason: Annotated[str, Form()] = "",
    reply: Annotated[str | None, Form()] = None,
    back: Annotated[ReviewStatus, Form()] = ReviewStatus.pending,
) -> Any:
    user.principal.require(Role.agent)
    fields: dict[str, Any] = {"status": action or None, "rejection_reason": rejection_reason or None, "reply": reply}
    try:
        data = ReviewModeration.model_validate({key: value for key, value in fields.items() if value is not None})
    except ValidationError as exc:
        error = errors_from_pydantic(list(exc.errors()))[0]
        return await _queue(request, session, user, back, error=error, error_review=review_id)
    await service.do_moderate(
        session=session, workspace_id=user.principal.workspace_id, review_id=review_id, data=data, actor=user.email
    )
    await session.commit()
    done = {"approved": "Review approved and published.", "rejected": "Review rejected."}
    return redirect_with_notice(f"/reviews?status={back.value}", done.get(action, "Reply saved."))
