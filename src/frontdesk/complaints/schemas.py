"""What the complaints API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from frontdesk.complaints.models import Category, ComplaintSource, ComplaintStatus, Severity
from frontdesk.contacts.schemas import RecordId


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("needs a time zone, e.g. 2026-12-01T17:00:00Z")
    return value


class ComplaintCreate(BaseModel):
    """Name exactly one of: the contact, or the conversation, review or survey answer it comes from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contact_id: RecordId | None = None
    conversation_id: RecordId | None = None
    review_id: RecordId | None = None
    survey_answer_id: RecordId | None = Field(default=None, description="recipient_id of a survey answer")
    summary: Annotated[str, Field(min_length=1, max_length=300)]
    description: Annotated[str, Field(max_length=20_000)] = ""
    category: Category = Category.other
    severity: Severity = Severity.medium
    owner_id: RecordId | None = Field(default=None, description="The agent who owns it")
    due_at: datetime | None = Field(default=None, description="Default: the workspace's complaint_due_days from now")

    _due_aware = field_validator("due_at")(_aware)

    @model_validator(mode="after")
    def _one_origin(self) -> ComplaintCreate:
        given = [
            name for name in ("contact_id", "conversation_id", "review_id", "survey_answer_id") if getattr(self, name)
        ]
        if len(given) != 1:
            raise ValueError("name exactly one of contact_id, conversation_id, review_id, survey_answer_id")
        return self


class ComplaintUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: Annotated[str | None, Field(min_length=1, max_length=300)] = None
    description: Annotated[str | None, Field(max_length=20_000)] = None
    category: Category | None = None
    severity: Severity | None = None
    status: ComplaintStatus | None = None
    owner_id: RecordId | None = None
    due_at: datetime | None = None
    resolution: Annotated[str | None, Field(max_length=20_000)] = None

    _due_aware = field_validator("due_at")(_aware)


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
