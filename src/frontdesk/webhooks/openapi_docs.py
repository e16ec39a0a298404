"""The OpenAPI document's webhooks section: every event type with its payload."""

from __future__ import annotations

from fastapi import FastAPI


def install_webhook_docs(app: FastAPI) -> None:
    """Declare every event type in ``app.webhooks`` (placeholder until the payload models land)."""
