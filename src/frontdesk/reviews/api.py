"""/api/v1 reviews: write on a buyer's behalf, review links, the moderation queue, the public summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from frontdesk.conversations.visitors import settings_for_widget_token
from frontdesk.deps import Agent, AppSettings, DbSession, PathId, Viewer
from frontdesk.inputs import IdRef
from frontdesk.reviews import service
from frontdesk.reviews.models import Review, ReviewStatus
from frontdesk.reviews.schemas import (
    PublicReviews,
    ReviewCreate,
    ReviewLink,
    ReviewModeration,
    ReviewPage,
    ReviewRead,
)

router = APIRouter(prefix="/api/v1", tags=["reviews"])
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


async def _read(session: DbSession, review: Review) -> ReviewRead:
    return (await service.to_reads(session=session, reviews=[review]))[0]


@router.post(
    "/reviews",
    response_model=ReviewRead,
    status_code=201,
    summary="Write a buyer's review of a product they bought (edits theirs if it exists)",
    responses={200: {"description": "The buyer's existing review was edited; it waits for moderation again"}},
)
async def create_review(data: ReviewCreate, session: DbSession, principal: Agent, response: Response) -> ReviewRead:
    review, created = await service.do_create_review(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    if not created:
        response.status_code = 200
    return await _read(session, review)


@router.get("/reviews", response_model=ReviewPage, summary="List reviews, newest first (status=pending: the queue)")
async def list_reviews(
    session: DbSession,
    principal: Viewer,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: ReviewStatus | None = None,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    contact_id: Annotated[IdRef | None, Query()] = None,
) -> ReviewPage:
    rows, next_cursor = await service.list_reviews(
        session=session,
        workspace_id=principal.workspace_id,
        limit=limit,
        cursor=cursor,
        status=status,
        sku=sku,
        contact_id=contact_id,
    )
    return ReviewPage(items=await service.to_reads(session=session, reviews=rows), next_cursor=next_cursor)


@router.get("/reviews/{review_id}", response_model=ReviewRead, summary="Read a review")
async def read_review(review_id: PathId, session: DbSession, principal: Viewer) -> ReviewRead:
    return await _read(
        session, await service.get_review(session=session, workspace_id=principal.workspace_id, review_id=review_id)
    )


@router.patch("/reviews/{review_id}", response_model=ReviewRead, summary="Approve, reject (with a reason) or reply")
async def moderate_review(
    review_id: PathId, data: ReviewModeration, session: DbSession, principal: Agent
) -> ReviewRead:
    review = await service.do_moderate(
        session=session, workspace_id=principal.workspace_id, review_id=review_id, data=data, actor=principal.label
    )
    await session.commit()
    return await _read(session, review)


@router.post(
    "/orders/{order_id}/review-link", response_model=ReviewLink, summary="A personal link to review an order's products"
)
async def review_link(order_id: PathId, session: DbSession, principal: Agent, settings: AppSettings) -> ReviewLink:
    token, expires_at = await service.do_review_link(
        session=session, workspace_id=principal.workspace_id, order_id=order_id
    )
    return ReviewLink(order_id=order_id, url=f"{settings.public_url.rstrip('/')}/r/{token}", expires_at=expires_at)


@router.get(
    "/public/{site_key}/products/{sku}/reviews",
    response_model=PublicReviews,
    summary="Approved reviews of a product with their summary; no key needed (site_key: the widget token)",
    tags=["public"],
)
async def public_reviews(
    session: DbSession,
    response: Response,
    site_key: Annotated[str, Path(max_length=64)],
    sku: Annotated[str, Path(max_length=100)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> PublicReviews:
    chat = await settings_for_widget_token(session=session, token=site_key)
    # Any site may show these (they are public), and caches may keep them for a minute.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return await service.public_reviews(
        session=session, workspace_id=chat.workspace_id, sku=sku, limit=limit, cursor=cursor
    )
