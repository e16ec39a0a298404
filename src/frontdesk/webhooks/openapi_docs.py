"""The OpenAPI document's webhooks section (OpenAPI 3.1): every event type with its payload and headers.

Each event type is a webhook named after it, whose request body is the envelope every delivery sends,
``{"type", "timestamp", "data"}``, with ``data`` described by ``payloads.PAYLOAD_MODELS`` (a free object for
a type without a model). The headers and the signature are those of the Standard Webhooks specification;
docs/webhooks.md explains how to verify them.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field, create_model
from starlette.routing import BaseRoute

from frontdesk.webhooks.events import EVENT_TYPES
from frontdesk.webhooks.payloads import PAYLOAD_MODELS

HEADERS: list[dict[str, Any]] = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "examples": ["msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"]},
        "description": "The event's id, the same on every attempt and resend: store it and drop a repeat.",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "examples": ["1767225600"]},
        "description": "Seconds since 1970 (UTC) when this attempt was signed: refuse one far from your clock "
        "(5 minutes is usual), so a captured request cannot be replayed later.",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "examples": ["v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="]},
        "description": 'Space-separated "v1,<base64>" signatures: base64(HMAC-SHA256(key, "{webhook-id}.'
        '{webhook-timestamp}.{body}")) where key is the base64-decoded part of the endpoint secret after '
        '"whsec_". Two signatures while a rotated secret overlaps; accept the request if any one matches.',
    },
]

DESCRIPTION = (
    "Sent as a POST with a JSON body to every endpoint subscribed to this event type, signed by the Standard "
    "Webhooks scheme (see the headers). Answer 2xx within a few seconds to acknowledge it; any other answer, a "
    "redirect or no answer is retried with growing pauses for up to 3 days, with the same webhook-id. "
    "Deliveries are at least once and not ordered: use the body's timestamp and the webhook-id."
)


def _camel(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split(".")) + "Event"


def envelope_model(event_type: str) -> type[BaseModel]:
    """The body of ``event_type``'s deliveries as a model (only for the document: nothing validates with it)."""
    data_model: Any = PAYLOAD_MODELS.get(event_type, dict[str, Any])
    type_name: Any = Literal[event_type]  # a Literal built at run time: one per event type
    model: type[BaseModel] = create_model(
        _camel(event_type),
        __doc__=EVENT_TYPES[event_type],
        type=(type_name, Field(description="The event type")),
        timestamp=(datetime, Field(description="When it happened (UTC)")),
        data=(data_model, Field(description="What the event is about")),
    )
    return model


@functools.cache
def _webhook_routes() -> list[BaseRoute]:
    """The documentation routes, built once per process (each app of a test run shares them: building 17
    models and routes costs tens of milliseconds)."""
    router = APIRouter()
    for event_type, meaning in EVENT_TYPES.items():
        body_model = envelope_model(event_type)

        async def receive(body: Any) -> None:
            """Documentation only: Frontdesk sends these, it does not receive them."""

        # The body's model is only known here; FastAPI reads the annotation from the function.
        receive.__annotations__ = {"body": body_model, "return": None}
        router.add_api_route(
            event_type,
            receive,
            methods=["POST"],
            summary=meaning,
            description=DESCRIPTION,
            operation_id=f"webhook_{event_type.replace('.', '_')}",
            tags=["webhooks"],
            openapi_extra={"parameters": HEADERS},
        )
    return list(router.routes)


def install_webhook_docs(app: FastAPI) -> None:
    """Declare every event type in ``app.webhooks``: frontdesk.openapi puts them in the document's webhooks section."""
    app.webhooks.routes.extend(_webhook_routes())
