"""What each webhook event's ``data`` holds: one model per event type, for the OpenAPI document's webhooks
section and docs/webhooks.md. Emitters build ``data`` with these models (``model_dump(mode="json")``), so
the documentation is the shape that is sent."""

from __future__ import annotations

from pydantic import BaseModel

# Event type -> the model of its ``data``.
PAYLOAD_MODELS: dict[str, type[BaseModel]] = {}
