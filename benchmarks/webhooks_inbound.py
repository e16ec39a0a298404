"""Inbound shop webhooks per second, end to end, against the bare orders API path in the same run.

Through the ASGI app in process (httpx's ASGITransport, no network): N Shopify-format `orders/create`
webhooks (Shopify's documented example order, each with its own order id and buyer), each signed as Shopify
signs, verified, stored as a delivery and applied to a stored order with the buyer's figures updated; then the
same N orders posted to `POST /api/v1/orders` (the same validation, order writing and figures, without the
signature, the delivery row and the payload mapping). Prints both rates and their ratio. The signing is the
shop's work and is done before the clock starts.

    python benchmarks/webhooks_inbound.py DATABASE_URL [--orders 2000]

The database is migrated first: give it a fresh one (a SQLite file path URL or an empty PostgreSQL database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from frontdesk import models_registry  # noqa: F401  (every table)
from frontdesk.app import create_app
from frontdesk.connections.signatures import hmac_base64
from frontdesk.db import create_engine, create_session_factory, migrate
from frontdesk.settings import Settings
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_workspace

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "connections" / "fixtures" / "shopify_orders_create.json"
BUYERS = 500  # orders spread over this many customers, so figures are refreshed for returning buyers too


def _orders(count: int) -> list[dict[str, Any]]:
    example = json.loads(FIXTURE.read_bytes())
    # Shopify's example order was cancelled; these count.
    example.update(cancelled_at=None, cancel_reason=None, financial_status="paid")
    orders = []
    for n in range(count):
        order = dict(example, id=10_000_000 + n, email=f"buyer{n % BUYERS}@bench.example")
        order["customer"] = dict(example["customer"], email=order["email"], first_name=f"Buyer{n % BUYERS}")
        orders.append(order)
    return orders


def _as_api_order(order: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "external_id": f"api:{n}",
        "buyer_email": order["email"],
        "buyer_name": f"{order['customer']['first_name']} {order['customer']['last_name']}",
        "currency": order["currency"],
        "ordered_at": order["processed_at"],
        "lines": [
            {"sku": line["sku"], "quantity": line["quantity"], "unit_price": str(Decimal(line["price"]))}
            for line in order["line_items"]
        ],
    }


async def run_inbound(database_url: str, *, orders: int = 2000) -> dict[str, Any]:
    """Webhooks per second and bare API orders per second on ``database_url`` (migrated here)."""
    engine = create_engine(database_url)
    await migrate(engine)
    try:
        async with create_session_factory(engine)() as session:
            _, _, key = await do_create_workspace(
                session=session,
                name="Bench shop",
                admin=AgentCreate(email="admin@bench.example", display_name="Admin", password="correct-horse-battery"),
            )
            await session.commit()
        settings = Settings(environment="test", database_url=database_url, api_requests_per_minute=10**7)
        app = create_app(settings, engine=engine)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            (
                await client.patch("/api/v1/commerce/settings", json={"currency": "USD"}, headers=headers)
            ).raise_for_status()
            created = await client.post(
                "/api/v1/shop-connections", json={"kind": "shopify", "name": "Bench"}, headers=headers
            )
            created.raise_for_status()
            shop = created.json()
            path = "/hooks/shops/" + shop["webhook_url"].rsplit("/", 1)[1]
            documents = _orders(orders)
            signed = []
            for n, document in enumerate(documents):
                body = json.dumps(document).encode()
                signed.append(
                    (
                        body,
                        {
                            "Content-Type": "application/json",
                            "X-Shopify-Topic": "orders/create",
                            "X-Shopify-Hmac-Sha256": hmac_base64(shop["secret"], body),
                            "X-Shopify-Webhook-Id": f"bench-{n}",
                            "X-Shopify-Shop-Domain": "bench.myshopify.com",
                        },
                    )
                )
            started = time.perf_counter()
            for body, hook_headers in signed:
                response = await client.post(path, content=body, headers=hook_headers)
                if response.status_code != 200 or response.json()["status"] != "applied":
                    raise RuntimeError(f"webhook not applied: {response.status_code} {response.text[:300]}")
            webhook_seconds = time.perf_counter() - started

            api_orders = [_as_api_order(document, n) for n, document in enumerate(documents)]
            started = time.perf_counter()
            for order in api_orders:
                response = await client.post("/api/v1/orders", json=order, headers=headers)
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"order not stored: {response.status_code} {response.text[:300]}")
            api_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    webhooks_per_second = orders / webhook_seconds
    api_per_second = orders / api_seconds
    return {
        "database": database_url.split(":", 1)[0],
        "orders": orders,
        "webhooks_per_second": round(webhooks_per_second, 1),
        "api_orders_per_second": round(api_per_second, 1),
        "webhook_to_api_ratio": round(webhooks_per_second / api_per_second, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url")
    parser.add_argument("--orders", type=int, default=2000)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(run_inbound(arguments.database_url, orders=arguments.orders)), indent=2))


if __name__ == "__main__":
    main()
