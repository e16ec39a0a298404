"""The OpenAPI document's webhooks section: every event type, its envelope and the signature headers."""

from __future__ import annotations

import httpx

from frontdesk.webhooks.events import EVENT_TYPES
from frontdesk.webhooks.payloads import PAYLOAD_MODELS


async def test_every_event_type_is_a_documented_webhook(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    webhooks = document["webhooks"]
    assert set(webhooks) == set(EVENT_TYPES)
    schemas = document["components"]["schemas"]
    for event_type, meaning in EVENT_TYPES.items():
        operation = webhooks[event_type]["post"]
        assert operation["summary"] == meaning
        headers = {parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert set(operation["responses"]) == {"200"}
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[ref.rsplit("/", 1)[1]]
        assert body["required"] == ["type", "timestamp", "data"]
        assert body["properties"]["type"]["const"] == event_type
        if event_type in PAYLOAD_MODELS:
            assert "$ref" in str(body["properties"]["data"]), event_type
    # Every reference resolves (FastAPI's own validation schemas are dropped from the document).
    text = str(document)
    for name in ("HTTPValidationError", "ValidationError"):
        assert f"#/components/schemas/{name}'" not in text
