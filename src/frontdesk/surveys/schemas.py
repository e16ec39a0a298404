"""What the survey API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.inputs import RequestModel
from frontdesk.surveys.models import DEFAULT_QUESTION, SurveyStatus


class SurveyCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    question: Annotated[str, Field(min_length=1, max_length=300)] = DEFAULT_QUESTION
    segment: Annotated[str, Field(min_length=1, max_length=40, description="A saved segment's id or a built-in's key")]
    valid_days: Annotated[int, Field(ge=1, le=365, description="Days a recipient's link works")] = 30
    change_hours: Annotated[int, Field(ge=0, le=24 * 90, description="Hours an answer can be changed")] = 72


class SurveyRead(BaseModel):
    id: int
    name: str
    question: str
    segment: str
    segment_name: str
    status: SurveyStatus
    valid_days: int
    change_hours: int
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    recipients: int
    answers: int


class SurveyPage(BaseModel):
    items: list[SurveyRead]
    next_cursor: str | None


class SendReport(BaseModel):
    recipients: int = Field(description="Everyone the survey has gone to so far")
    added: int = Field(description="Recipients added by this send (members who had not had it yet)")
    emails_queued: int = Field(description="E-mails written to the outbox by this send")
    without_email: int = Field(description="Added recipients with no e-mail address: their links are in the export")
    mail_configured: bool


class AnswerCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    score: Annotated[int, Field(ge=0, le=10)]
    comment: Annotated[str, Field(max_length=5000)] = ""


class NpsFigures(BaseModel):
    answers: int
    promoters: int = Field(description="Scores 9-10")
    passives: int = Field(description="Scores 7-8")
    detractors: int = Field(description="Scores 0-6")
    nps: float | None = Field(description="% promoters - % detractors, -100 to 100; empty without answers")


class NpsPeriod(NpsFigures):
    period: str


class NpsSegment(NpsFigures):
    segment: str
    segment_name: str


class NpsResults(BaseModel):
    overall: NpsFigures
    over_time: list[NpsPeriod]
    by_segment: list[NpsSegment]
    chat_csat_average: float | None = Field(description="Average chat rating (1-5) in the same time range")
    chat_csat_ratings: int


class AnswerRead(BaseModel):
    recipient_id: int
    contact_id: int | None = Field(
        description="Nothing once the contact was erased (the row stays, anonymised, for the figures)"
    )
    contact_name: str
    score: int
    comment: str | None
    sentiment: float | None
    answered_at: datetime


class AnswerPage(BaseModel):
    items: list[AnswerRead]
    next_cursor: str | None
