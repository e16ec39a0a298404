"""What the review API accepts and returns, including the public JSON a business shows on its site."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from frontdesk.inputs import IdRef, RequestModel
from frontdesk.reviews.models import ReviewStatus

Rating = Annotated[int, Field(ge=1, le=5, description="Stars, 1 to 5")]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(min_length=1, max_length=5000)]


class ReviewWrite(RequestModel):
    """A review as the buyer writes it; markup is removed, what is left must not be empty."""

    model_config = ConfigDict(str_strip_whitespace=True)

    rating: Rating
    title: Title
    body: Body


class ReviewCreate(ReviewWrite):
    """A review sent by the business on a buyer's behalf (e.g. collected on its own site)."""

    contact_id: IdRef
    sku: Annotated[str, Field(min_length=1, max_length=100)]


class ReviewModeration(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    status: Literal[ReviewStatus.approved, ReviewStatus.rejected] | None = None
    rejection_reason: Annotated[str | None, Field(max_length=500)] = None
    reply: Annotated[str | None, Field(max_length=5000, description="The public answer; empty removes it")] = None

    @model_validator(mode="after")
    def _reason_with_rejection(self) -> ReviewModeration:
        if self.status is ReviewStatus.rejected and not self.rejection_reason:
            raise ValueError("give the reason for rejecting (the reviewer may ask)")
        if self.status is None and self.reply is None:
            raise ValueError("send a status (approved or rejected) or a reply")
        return self


class ReviewRead(BaseModel):
    id: int
    product_id: int
    sku: str
    product_name: str
    contact_id: int | None = Field(
        description="Nothing once the contact was erased (the row stays, anonymised, for the figures)"
    )
    contact_name: str
    order_id: int | None
    verified_purchase: bool
    rating: int
    title: str
    body: str
    sentiment: float | None
    status: ReviewStatus
    rejection_reason: str | None
    reply: str | None
    replied_at: datetime | None
    moderated_by: str | None
    moderated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    next_cursor: str | None


class ReviewLink(BaseModel):
    order_id: int
    url: str
    expires_at: datetime


class PublicReview(BaseModel):
    rating: int
    title: str
    body: str = Field(description="Plain text")
    body_html: str = Field(description="The same text escaped for HTML, line breaks as <br>")
    author: str = Field(description="First name and initial")
    verified_purchase: bool
    created_at: datetime
    reply: str | None


class PublicProduct(BaseModel):
    sku: str
    name: str


class PublicReviews(BaseModel):
    product: PublicProduct
    average: float | None = Field(description="Average stars of approved reviews, 1 decimal")
    count: int = Field(description="Approved ratings, an erased reviewer's included (their review is not listed)")
    distribution: dict[str, int] = Field(description='Approved reviews per star, {"1": n, ..., "5": n}')
    items: list[PublicReview]
    next_cursor: str | None
