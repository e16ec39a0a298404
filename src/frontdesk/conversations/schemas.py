from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.contacts.validation import normalize_email
from frontdesk.conversations.models import AuthorType, ConversationStatus, MessageKind
from frontdesk.inputs import MAX_SEQ, IdRef, RequestModel

MAX_BODY = 5000
ClientId = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class AttachmentRead(BaseModel):
    """A file sent with a message. ``url`` serves it to the conversation's participants and the workspace's agents."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str = Field(description="found from the file's bytes")
    size: int = Field(description="bytes")
    is_image: bool
    url: str


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    seq: int
    client_id: str
    author_type: AuthorType
    author_name: str | None
    kind: MessageKind
    body: str
    created_at: datetime
    attachments: list[AttachmentRead] = Field(default_factory=list)


class AgentMessageRead(MessageRead):
    """A message as agents see it: with the sentiment of visitor lines (never sent to the visitor)."""

    sentiment: float | None = Field(default=None, description="-1 (negative) to +1 (positive); visitor lines")


class IdentityClaimRead(BaseModel):
    """Who the visitor says they are: typed into the widget, so unverified until ``verified`` is true."""

    email: str
    name: str | None
    claimed_at: datetime
    verified: bool = Field(description="false: nobody has proven the address is the visitor's")
    verified_at: datetime | None
    verified_by: str | None = Field(description="link (the address's owner confirmed), agent, or contact")
    matches_contact_id: int | None = Field(
        description="another contact that holds this address; records join only once the claim is verified"
    )
    verification_email: str | None = Field(
        description="status of the confirmation e-mail (pending, sending, sent, failed); null: none was queued"
    )


class ConversationRead(BaseModel):
    id: int
    status: ConversationStatus
    contact_id: int | None
    contact_name: str | None
    team: str | None
    assignee_id: int | None
    assignee_name: str | None
    unanswered: bool = Field(description="No agent has replied yet")
    started_offline: bool
    last_seq: int
    last_message: str | None
    created_at: datetime
    last_activity_at: datetime
    first_response_seconds: float | None
    resolution_seconds: float | None
    csat_rating: int | None
    csat_comment: str | None
    identity_claim: IdentityClaimRead | None = None
    waiting_since: datetime | None = Field(
        default=None, description="Since when the visitor has waited for an agent's reply; null once answered"
    )
    visitor_name: str | None = Field(
        default=None, description="The name the visitor typed into the widget (unverified), if any"
    )
    display_name: str = Field(
        default="Visitor",
        description="What the inbox calls the visitor: the contact's name, or the name they typed while their "
        "contact only has the anonymous one",
    )


class ConversationPage(BaseModel):
    items: list[ConversationRead]
    next_cursor: str | None


class MessagePage(BaseModel):
    items: list[AgentMessageRead]
    last_seq: int


class AgentMessageCreate(RequestModel):
    body: str = Field(min_length=1, max_length=MAX_BODY)
    kind: MessageKind = MessageKind.message
    client_id: str = ClientId


class ConversationUpdate(RequestModel):
    status: ConversationStatus | None = None
    assignee_id: IdRef | None = Field(default=None, description="null unassigns")
    team: str | None = Field(default=None, max_length=40)


class WidgetSessionStart(RequestModel):
    """What widget.js sends on every page load."""

    widget_token: str = Field(max_length=64)
    visitor_token: str | None = Field(default=None, max_length=64)
    # The site's word for who is signed in, proven by user_hash. Not refused when malformed: the visitor then
    # stays anonymous and identity_error says why, so a site's mistake never takes its chat down.
    user_id: Any = None
    user_hash: Any = None
    # What the page knows of the visit (page_url, page_title, referrer, language, time_zone, utc_offset_minutes,
    # pages): checked value by value by visit_context, a bad value is dropped rather than refused.
    context: Any = None
    # From a ?ref=CODE link the visitor arrived by; kept only when the code exists in the workspace.
    referral_code: Any = None
    # The conversation the widget shows (one of the visitor's own); the latest when absent.
    conversation_id: Any = None


class WidgetHello(RequestModel):
    """The first frame on the widget's socket."""

    type: Literal["hello"] = "hello"
    widget_token: str = Field(max_length=64)
    visitor_token: str | None = Field(default=None, max_length=64)
    after_seq: int = Field(default=0, ge=0, le=MAX_SEQ)
    # Which of the visitor's conversations to follow; the latest when absent (or not theirs).
    conversation_id: IdRef | None = None


class VisitorMessage(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    client_id: str = ClientId
    body: str = Field(min_length=1, max_length=MAX_BODY)
    team: str | None = Field(default=None, max_length=40, description="the pre-chat choice: sales or support")
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    # Where the line goes: one of the visitor's conversations, a new one, or (neither) their latest.
    conversation_id: IdRef | None = None
    new_conversation: bool = False
    # An answer to a proactive invitation: the conversation starts with the invitation's message.
    invitation_id: IdRef | None = None
    # The visit's context (see WidgetSessionStart.context), stored when this line starts a conversation.
    context: Any = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None


class RatingCreate(RequestModel):
    """Stars, a comment, or both: a comment sent after the stars is added to the same rating."""

    model_config = ConfigDict(str_strip_whitespace=True)

    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)
