"""Rate limits of the widget and the API: 429 with Retry-After, shared by processes through Redis."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.realtime.ratelimit import RateLimits, per_window
from frontdesk.settings import Settings
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_signin import app_client, from_address, shared_redis

# Three requests per address, then 429. The sliding-window counter weighs the previous fixed window down as the
# current one goes on: four requests that straddle two windows let the fourth through. At 0.1 per second the
# window was 30 s (a failure every few runs on a busy machine); at 0.0001 it is over 8 hours.
TIGHT = {"ip_request_burst": 3, "ip_requests_per_second": 0.0001}


async def test_api_requests_are_limited_per_key_with_a_problem_and_retry_after(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    other_key = await workspace.key_with_role(Role.viewer)
    async with app_client(engine, settings, api_requests_per_minute=3) as client:
        for _ in range(3):
            assert (await client.get("/api/v1/workspace", headers=workspace.headers)).status_code == 200
        limited = await client.get("/api/v1/workspace", headers=workspace.headers)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["status"] == 429 and 0 < int(limited.headers["Retry-After"]) <= 60
        # Writes are refused before they touch anything, and another key of the workspace is not affected.
        refused = await client.post("/api/v1/contacts", headers=workspace.headers, json={"name": "Not stored"})
        assert refused.status_code == 429
        assert (await client.get("/api/v1/workspace", headers=other_key)).status_code == 200


async def test_api_limit_is_shared_by_processes_through_redis(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, redis_url: str
) -> None:
    shared = shared_redis(redis_url)
    async with (
        app_client(engine, settings, api_requests_per_minute=4, **shared) as first,
        app_client(engine, settings, api_requests_per_minute=4, **shared) as second,
    ):
        for client in (first, second, first, second):
            assert (await client.get("/api/v1/workspace", headers=workspace.headers)).status_code == 200
        for client in (first, second):
            assert (await client.get("/api/v1/workspace", headers=workspace.headers)).status_code == 429


async def test_widget_session_endpoint_is_limited_per_ip_across_processes(
    engine: AsyncEngine, settings: Settings, redis_url: str
) -> None:
    shared = shared_redis(redis_url)
    limits = TIGHT
    async with (
        app_client(engine, settings, **limits, **shared) as first,
        app_client(engine, settings, **limits, **shared) as second,
    ):
        for client in (first, second, first):
            response = await client.post("/widget/api/session", content=b'{"widget_token": "unknown"}')
            assert response.status_code == 404
        limited = await second.post("/widget/api/session", content=b'{"widget_token": "unknown"}')
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


async def test_a_burst_then_a_steady_rate_becomes_one_sliding_window() -> None:
    item = per_window(10, 0.5)
    assert (item.amount, item.get_expiry()) == (10, 20)
    assert per_window(1_000_000, 1_000_000).get_expiry() == 1


async def test_limits_keep_counting_per_process_while_redis_is_unreachable() -> None:
    limits = RateLimits("redis://127.0.0.1:1/0", key_prefix="unreachable")
    limit = limits.limit("visitor", per_window(2, 0.01))
    assert [await limit.hit("v1") for _ in range(3)] == [True, True, False]
    assert await limit.retry_after("v1") > 0
    assert await limit.hit("v2")


async def test_after_a_redis_failure_limits_count_in_memory_then_share_through_redis_again(redis_url: str) -> None:
    prefix = f"test-{secrets.token_hex(6)}"
    first, second = RateLimits(redis_url, key_prefix=prefix), RateLimits(redis_url, key_prefix=prefix)
    item = per_window(2, 0.01)
    first._redis_failed()  # as after a failed call: in memory for a few seconds, no connection attempts
    assert [await first.limit("visitor", item).hit("v") for _ in range(2)] == [True, True]
    assert [await second.limit("visitor", item).hit("v") for _ in range(2)] == [True, True]  # Redis saw none
    first._redis_retry_at = time.monotonic()  # the retry time has come
    assert await first.limit("visitor", item).hit("v") is False  # back on Redis, where `second` counted 2
    assert first._redis_retry_at is None


@pytest.mark.parametrize(
    "path",
    [
        "/s/not-a-token",
        "/r/not-a-token",
        "/verify/not-a-token",
        "/api/v1/public/x/products/y/reviews",
        "/api/v1/public/x/help/articles",
        "/help/no-such-workspace/en",
    ],
)
async def test_public_pages_are_limited_per_ip_address(engine: AsyncEngine, settings: Settings, path: str) -> None:
    app = create_app(settings.model_copy(update=TIGHT), engine=engine)
    async with from_address(app, "203.0.113.7") as first, from_address(app, "198.51.100.8") as second:
        for _ in range(3):
            assert (await first.get(path)).status_code != 429
        limited = await first.get(path)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert limited.headers["content-type"] == "application/problem+json"
        assert (await second.get(path)).status_code != 429  # another address is not affected


async def test_a_made_up_api_key_does_not_escape_the_limit_of_public_operations(
    engine: AsyncEngine, settings: Settings
) -> None:
    """Public operations take no key: a different Authorization header on each request is still one address."""
    app = create_app(settings.model_copy(update=TIGHT), engine=engine)
    async with from_address(app, "203.0.113.7") as client:
        statuses = [
            (await client.get("/api/v1/public/x/help/articles", headers={"Authorization": f"Bearer k{n}"})).status_code
            for n in range(4)
        ]
    assert statuses[:3] == [404, 404, 404] and statuses[3] == 429


async def test_the_openapi_documents_429_on_public_operations(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    public = {path: ops for path, ops in spec["paths"].items() if path.startswith("/api/v1/public/")}
    assert public and all("429" in op["responses"] for ops in public.values() for op in ops.values())
