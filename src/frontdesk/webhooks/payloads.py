"""What each webhook event's ``data`` holds: one model per event type, for the OpenAPI document's webhooks
section and docs/webhooks.md. Emitters build ``data`` with these models (``model_dump(mode="json")``), so
the documentation is the shape that is sent.

Where the API has a read schema for the thing that changed, the payload *is* that schema (a contact.created
carries what GET /api/v1/contacts/{id} returns), so an integration parses one shape whichever way it learns
of a change. This module imports only schemas (never services), so every domain can import it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from frontdesk.commerce.schemas import OrderRead
from frontdesk.complaints.schemas import ComplaintRead
from frontdesk.contacts.schemas import ContactRead
from frontdesk.conversations.schemas import ConversationRead, MessageRead
from frontdesk.reviews.schemas import ReviewRead
from frontdesk.success.schemas import TaskRead
from frontdesk.surveys.schemas import AnswerRead


class ContactMerged(BaseModel):
    contact_id: int = Field(description="The contact that was kept")
    merged_contact_id: int = Field(description="The duplicate folded into it; this id no longer exists")


class ContactErased(BaseModel):
    """Only the id: the person's data is gone from Frontdesk and must not travel in the notice."""

    contact_id: int


class LifecycleChanged(BaseModel):
    contact_id: int
    from_stage: str
    to_stage: str
    changed_at: datetime


class SegmentMembership(BaseModel):
    segment_id: int
    segment_name: str
    contact_id: int


class SurveyAnswered(AnswerRead):
    survey_id: int
    survey_name: str


# Event type -> the model of its ``data``.
PAYLOAD_MODELS: dict[str, type[BaseModel]] = {
    "contact.created": ContactRead,
    "contact.updated": ContactRead,
    "contact.merged": ContactMerged,
    "contact.erased": ContactErased,
    "conversation.created": ConversationRead,
    "conversation.assigned": ConversationRead,
    "conversation.resolved": ConversationRead,
    "message.created": MessageRead,
    "order.created": OrderRead,
    "lifecycle.changed": LifecycleChanged,
    "segment.entered": SegmentMembership,
    "segment.left": SegmentMembership,
    "survey.answered": SurveyAnswered,
    "review.submitted": ReviewRead,
    "complaint.created": ComplaintRead,
    "complaint.resolved": ComplaintRead,
    "task.created": TaskRead,
}
