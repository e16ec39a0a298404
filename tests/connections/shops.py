"""Test helpers: the shops' documented example payloads, signed as each shop's documentation describes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from frontdesk.commerce.models import Order
from frontdesk.connections.models import InboundDelivery
from frontdesk.db import create_session_factory
from tests.factories import WorkspaceHandle

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def shopify_signature(secret: str, body: bytes) -> str:
    """Shopify: "the base64-encoded HMAC-SHA256 digest of the raw body, with the app's secret as the key"."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def woocommerce_signature(secret: str, body: bytes) -> str:
    """WooCommerce: base64_encode(hash_hmac('sha256', $payload, $secret, true))."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def shopify_headers(secret: str, body: bytes, topic: str, webhook_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": shopify_signature(secret, body),
        "X-Shopify-Shop-Domain": "jsmith.myshopify.com",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": f"event-{webhook_id}",
        "X-Shopify-Triggered-At": "2021-12-31T19:00:00-05:00",
        "X-Shopify-API-Version": "2025-01",
    }


def woocommerce_headers(secret: str, body: bytes, topic: str, delivery_id: str) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": woocommerce_signature(secret, body),
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def generic_headers(secret: str, body: bytes, message_id: str, at: datetime | None = None) -> dict[str, str]:
    moment = at or datetime.now(UTC)
    signature = Webhook(secret).sign(message_id, moment, body.decode())
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


async def connect(client: httpx.AsyncClient, workspace: WorkspaceHandle, kind: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/shop-connections", json={"kind": kind, "name": f"My {kind}", **fields}, headers=workspace.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def use_currency(client: httpx.AsyncClient, workspace: WorkspaceHandle, currency: str) -> None:
    response = await client.patch("/api/v1/commerce/settings", json={"currency": currency}, headers=workspace.headers)
    assert response.status_code == 200, response.text


def hook_path(connection: dict[str, Any]) -> str:
    return "/hooks/shops/" + str(connection["webhook_url"]).rsplit("/", 1)[1]


async def count_rows(engine: AsyncEngine, workspace_id: int) -> tuple[int, int]:
    """(deliveries, orders) stored in the workspace."""
    async with create_session_factory(engine)() as session:
        deliveries = await session.scalar(
            select(func.count()).select_from(InboundDelivery).where(InboundDelivery.workspace_id == workspace_id)
        )
        orders = await session.scalar(select(func.count()).select_from(Order).where(Order.workspace_id == workspace_id))
    return int(deliveries or 0), int(orders or 0)


def counting_order(body: bytes) -> bytes:
    """Shopify's documented order, derived to count: not cancelled nor voided (the sample is both)."""
    document = json.loads(body)
    document.update(cancelled_at=None, cancel_reason=None, financial_status="paid")
    return json.dumps(document).encode()
