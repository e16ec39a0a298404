"""What the webhooks API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.inputs import RequestModel
from frontdesk.webhooks.models import DeliveryStatus

EventTypeName = Annotated[str, Field(max_length=60, description="An event type, e.g. contact.created")]
EventTypeList = Annotated[
    list[EventTypeName],
    Field(min_length=1, max_length=50, description="The event types sent to this endpoint (GET /webhook-event-types)"),
]
EndpointUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="An http(s) URL; loopback, link-local and private addresses only when the workspace allows "
        "private targets",
    ),
]


class WebhookEndpointCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    url: EndpointUrl
    event_types: EventTypeList
    description: Annotated[str, Field(max_length=200)] = ""
    enabled: bool = Field(default=True, description="False: saved paused")


class WebhookEndpointUpdate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    url: EndpointUrl | None = None
    event_types: EventTypeList | None = None
    description: Annotated[str | None, Field(max_length=200)] = None
    enabled: bool | None = Field(default=None, description="False pauses the endpoint, true resumes it")


class WebhookEndpointRead(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool = Field(description="False while paused by an admin")
    state: str = Field(description="active, paused or disabled (by Frontdesk, after failing for too long)")
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    consecutive_failures: int
    last_success_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the previous secret also signs every delivery (after a rotation)"
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="The signing secret, shown in this answer once (GET .../secret shows it again)")


class WebhookSecretRead(BaseModel):
    secret: str = Field(description='"whsec_" and base64: pass it to a Standard Webhooks library as is')
    previous_secret: str | None = Field(description="The secret before the last rotation, while it still signs")
    previous_secret_expires_at: datetime | None


class RotateSecret(RequestModel):
    overlap_hours: int = Field(
        default=24, ge=0, le=168, description="How long the old secret keeps signing too (0: stop at once)"
    )


class WebhookDeliveryRead(BaseModel):
    id: int
    endpoint_id: int
    event_id: int
    event_type: str
    message_id: str = Field(description="The webhook-id header: the same on every attempt and resend")
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="When the next attempt is due (pending only)")
    created_at: datetime
    finished_at: datetime | None


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryRead]
    next_cursor: str | None


class WebhookAttemptRead(BaseModel):
    id: int
    attempted_at: datetime
    request_headers: dict[str, str]
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None = Field(description="The start of the response body (cut short)")


class WebhookDeliveryDetail(WebhookDeliveryRead):
    payload: dict[str, Any] = Field(description="The request body: {type, timestamp, data}")
    attempts_log: list[WebhookAttemptRead] = Field(description="Every attempt, oldest first")


class WebhookEventTypeRead(BaseModel):
    name: str
    description: str


class WebhookSettings(RequestModel):
    allow_private_targets: bool = Field(
        description="Allow endpoint URLs on loopback, link-local and private network addresses"
    )


class WebhookSettingsRead(BaseModel):
    allow_private_targets: bool
