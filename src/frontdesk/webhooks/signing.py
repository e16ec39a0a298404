"""Signing a delivery the Standard Webhooks way (https://www.standardwebhooks.com), with the reference library.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the body is serialised once per attempt and
sent exactly as signed. After a secret rotation the old secret signs too until it expires: the header then
carries both signatures, space-separated, and a receiver holding either secret accepts the request.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from typing import Any, Protocol

from standardwebhooks.webhooks import Webhook

USER_AGENT = "Frontdesk-Webhooks/1"


class Signer(Protocol):
    """What signing needs of an endpoint (a ``WebhookEndpoint`` or a row read for one attempt)."""

    @property
    def secret(self) -> str: ...
    @property
    def previous_secret(self) -> str | None: ...
    @property
    def previous_secret_expires_at(self) -> datetime | None: ...


def body_of(payload: dict[str, Any]) -> str:
    """The request body: compact JSON, as signed."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def active_secrets(endpoint: Signer, now: datetime) -> list[str]:
    """The secrets that sign at ``now``: the current one, and the previous one during its overlap."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        found.append(endpoint.previous_secret)
    return found


def signature_headers(
    endpoint: Signer, message_id: str, timestamp: datetime, body: str, now: datetime
) -> dict[str, str]:
    """Every header of an attempt: the three Standard Webhooks headers, content type and user agent."""
    signatures = [Webhook(secret).sign(message_id, timestamp, body) for secret in active_secrets(endpoint, now)]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def new_signing_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and base64 of 24 random bytes (192 bits)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
