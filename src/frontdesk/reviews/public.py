"""Public review pages: the buyer's form from their personal link, and a product's approved reviews."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import ValidationError

from frontdesk.conversations.visitors import settings_for_widget_token
from frontdesk.deps import DbSession
from frontdesk.errors import DomainError, errors_from_pydantic
from frontdesk.feedback.links import InvalidLink
from frontdesk.feedback.public import link_error, workspace_name
from frontdesk.inputs import FormId
from frontdesk.reviews import service
from frontdesk.reviews.schemas import ReviewWrite
from frontdesk.web.console import render

router = APIRouter(include_in_schema=False)
FORM_MESSAGES = {
    "rating": "Choose from 1 to 5 stars.",
    "title": "Give your review a title.",
    "body": "Write a few words.",
}


async def _form(request: Request, session: DbSession, token: str, status_code: int = 200, **extra: Any) -> Any:
    try:
        order, products, reviews = await service.order_for_link(session=session, token=token)
    except InvalidLink as exc:
        return link_error(request, exc)
    return render(
        request,
        "public/review.html",
        status_code=status_code,
        workspace_name=await workspace_name(session, order.workspace_id),
        order=order,
        products=products,
        reviews=reviews,
        **extra,
    )


@router.get("/r/{token}")
async def review_page(request: Request, token: str, session: DbSession) -> Any:
    return await _form(request, session, token)


@router.post("/r/{token}")
async def write_review(
    request: Request,
    token: str,
    session: DbSession,
    product_id: FormId,
    rating: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Any:
    try:
        order, products, _ = await service.order_for_link(session=session, token=token)
        if product_id not in {product.id for product in products}:
            raise InvalidLink("this product is not part of the order")
        data = ReviewWrite.model_validate({"rating": rating.strip() or None, "title": title, "body": body})
        assert order.buyer_id is not None
        await service.do_write_review(
            session=session,
            workspace_id=order.workspace_id,
            contact_id=order.buyer_id,
            product_id=product_id,
            data=data,
            order_id=order.id,
            product_field="product_id",
        )
        await session.commit()
    except InvalidLink as exc:
        return link_error(request, exc)
    except ValidationError as exc:
        error = errors_from_pydantic(list(exc.errors()))[0]
        messages = {
            "rating": "Choose from 1 to 5 stars.",
            "title": "Give your review a title.",
            "body": "Write a few words.",
        }
        message = messages.get(error["field"], error["message"])
        return await _form(request, session, token, 422, error=message, error_product=product_id)
    except DomainError as exc:
        await session.rollback()
        return await _form(request, session, token, exc.status_code, error=exc.detail, error_product=product_id)
    return await _form(request, session, token, saved_product=product_id)


@router.get("/reviews/{site_key}/{sku}")
async def product_reviews_page(
    request: Request, site_key: str, sku: str, session: DbSession, cursor: Annotated[str | None, Query()] = None
) -> Any:
    chat = await settings_for_widget_token(session=session, token=site_key)
    reviews = await service.public_reviews(session=session, workspace_id=chat.workspace_id, sku=sku, cursor=cursor)
    return render(
        request,
        "public/product_reviews.html",
        workspace_name=await workspace_name(session, chat.workspace_id),
        reviews=reviews,
        site_key=site_key,
    )
