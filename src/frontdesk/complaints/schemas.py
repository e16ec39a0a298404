"""What the complaints API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from frontdesk.complaints.models import Category, ComplaintSource, ComplaintStatus, Severity
from frontdesk.inputs import BoundedDateTime, IdRef, RequestModel


class ComplaintCreate(RequestModel):
    """Name exactly one of: the contact, or the conversation, review or survey answer it comes from."""

    model_config = ConfigDict(str_strip_whitespace=True)

    contact_id: IdRef | None = None
    conversation_id: IdRef | None = None
    review_id: IdRef | None = None
    survey_answer_id: IdRef | None = Field(default=None, description="recipient_id of a survey answer")
    summary: Annotated[str, Field(min_length=1, max_length=300)]
    description: Annotated[str, Field(max_length=20_000)] = ""
    category: Category = Category.other
    severity: Severity = Severity.medium
    owner_id: IdRef | None = Field(default=None, description="The agent who owns it")
    due_at: BoundedDateTime | None = Field(
        default=None, description="Default: the workspace's complaint_due_days from now"
    )

    @model_validator(mode="after")
    def _one_origin(self) -> ComplaintCreate:
        given = [
            name for name in ("contact_id", "conversation_id", "review_id", "survey_answer_id") if getattr(self, name)
        ]
        if len(given) != 1:
            raise ValueError("name exactly one of contact_id, conversation_id, review_id, survey_answer_id")
        return self


class ComplaintUpdate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    summary: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    description: Annotated[str | None, Field(max_length=20_000)] = None
    category: Category | None = None
    severity: Severity | None = None
    status: ComplaintStatus | None = None
    owner_id: IdRef | None = None
    due_at: BoundedDateTime | None = None
    resolution: Annotated[str | None, Field(max_length=20_000)] = None


class ComplaintEventRead(BaseModel):
    kind: str
    actor: str
    data: dict[str, Any]
    created_at: datetime


class ComplaintRead(BaseModel):
    id: int
    contact_id: int | None = Field(
        description="Nothing once the contact was erased (the row stays, anonymised, for the figures)"
    )
    contact_name: str
    source: ComplaintSource
    conversation_id: int | None
    review_id: int | None
    survey_answer_id: int | None
    summary: str
    description: str
    category: Category
    severity: Severity
    status: ComplaintStatus
    owner_id: int | None
    owner_name: str | None
    due_at: datetime
    overdue: bool
    resolution: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    history: list[ComplaintEventRead] = Field(default_factory=list)


class ComplaintPage(BaseModel):
    items: list[ComplaintRead]
    next_cursor: str | None


class ComplaintSuggestion(BaseModel):
    """A low score that may hide a complaint: raise one with the id in the field named by ``source``."""

    source: ComplaintSource
    field: str
    id: int
    contact_id: int
    contact_name: str
    score: int
    scale: str
    comment: str | None
    at: datetime


class ComplaintRatePeriod(BaseModel):
    period: str
    complaints: int
    orders: int
    rate: float | None = Field(description="Complaints per 100 orders; empty without orders")


class ComplaintRate(BaseModel):
    complaints: int
    orders: int
    rate: float | None
    over_time: list[ComplaintRatePeriod]
