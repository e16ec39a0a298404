"""Sign-in: hashing off the event loop, the sign-in form's CSRF token, and throttled failures."""

from __future__ import annotations

import ast
import asyncio
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk import security
from frontdesk.app import create_app
from frontdesk.db import create_engine
from frontdesk.realtime import ratelimit
from frontdesk.settings import Settings
from frontdesk.workspaces import service
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate, AgentUpdate
from tests.conftest import Database
from tests.factories import PASSWORD, WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login, login_form_token


@asynccontextmanager
async def app_client(engine: AsyncEngine, settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=changes), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def shared_redis(redis_url: str) -> dict[str, Any]:
    """Settings for app instances that count in the test Redis, under keys and channels no other test run uses."""
    own = secrets.token_hex(6)
    return {"redis_url": redis_url, "rate_limit_key_prefix": f"test-{own}", "redis_channel_prefix": f"test-{own}:"}


async def test_password_hashing_never_runs_on_the_event_loop(
    session: AsyncSession, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def recording(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            threads.append(threading.get_ident())
            return function(*args)

        return wrapper

    monkeypatch.setattr(security, "hash_password", recording(security.hash_password))
    monkeypatch.setattr(security, "verify_password", recording(security.verify_password))
    agent = await service.do_create_agent(
        session=session,
        workspace_id=workspace.id,
        data=AgentCreate(email="new@acme.example", display_name="New", password=PASSWORD, role=Role.agent),
    )
    await service.do_update_agent(
        session=session, workspace_id=workspace.id, agent_id=agent.id, data=AgentUpdate(password="another-secret-1")
    )
    for email in ("new@acme.example", "nobody@acme.example"):
        candidates = await service.list_login_candidates(session=session, email=email)
        assert await service.match_password(candidates, "wrong") is None
    assert len(threads) >= 4 and loop_thread not in threads


async def test_sign_in_without_the_forms_csrf_token_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    credentials = {"email": workspace.admin_email, "password": PASSWORD}
    missing = await client.post("/login", data=credentials)
    assert missing.status_code == 403 and "did not come from Frontdesk" in missing.text
    assert "frontdesk_session" not in missing.headers.get("set-cookie", "")
    # A token made for another browser's nonce (an attacker's own form) does not fit this browser's cookie.
    async with app_client(engine, settings) as attacker:
        foreign = await login_form_token(attacker)
    await client.get("/login")
    forged = await client.post("/login", data={**credentials, "csrf_token": foreign})
    assert forged.status_code == 403
    # The refusal is a fresh form: signing in from it works.
    retried = await client.post("/login", data={**credentials, "csrf_token": csrf_of(forged.text)})
    assert retried.status_code == 303


async def test_failed_sign_ins_are_throttled_per_account_with_retry_after(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    async with app_client(engine, settings, signin_attempts_per_account=3, signin_window_seconds=600) as client:
        for _ in range(3):
            assert (await login(client, workspace.admin_email, "wrong-guess")).status_code == 400
        throttled = await login(client, workspace.admin_email.upper())  # even the right password, any case
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["Retry-After"]) <= 600
        assert "Too many sign-in attempts" in throttled.text
        assert "frontdesk_session" not in throttled.headers.get("set-cookie", "")
        # Another account from the same address is not locked out by this one.
        other = await workspace.add_agent(Role.agent)
        assert (await login(client, other)).status_code == 303


def from_address(app: Any, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_guessing_at_an_account_from_one_address_does_not_lock_its_owner_out_elsewhere(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    app = create_app(settings.model_copy(update={"signin_attempts_per_account": 3}), engine=engine)
    async with from_address(app, "203.0.113.9") as attacker, from_address(app, "198.51.100.7") as owner:
        for _ in range(3):
            assert (await login(attacker, workspace.admin_email, "guess")).status_code == 400
        assert (await login(attacker, workspace.admin_email)).status_code == 429
        assert (await login(owner, workspace.admin_email)).status_code == 303


async def test_failures_at_one_account_from_many_addresses_meet_a_ceiling(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    app = create_app(settings.model_copy(update={"signin_failures_per_account": 4}), engine=engine)
    for n in range(4):
        async with from_address(app, f"203.0.113.{n + 1}") as guesser:
            assert (await login(guesser, workspace.admin_email, "guess")).status_code == 400
    async with from_address(app, "203.0.113.99") as guesser:
        throttled = await login(guesser, workspace.admin_email, "guess")
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


async def test_a_successful_sign_in_forgives_the_accounts_earlier_typos(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    async with app_client(engine, settings, signin_attempts_per_account=3) as client:
        for _ in range(2):
            assert (await login(client, workspace.admin_email, "typo")).status_code == 400
        assert (await login(client, workspace.admin_email)).status_code == 303
        for _ in range(2):
            assert (await login(client, workspace.admin_email, "typo")).status_code == 400
        assert (await login(client, workspace.admin_email)).status_code == 303


async def test_failed_sign_ins_are_throttled_per_ip_address(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    async with app_client(engine, settings, signin_failures_per_ip=3) as client:
        for i in range(3):
            assert (await login(client, f"guess{i}@acme.example", "x")).status_code == 400
        throttled = await login(client, workspace.admin_email)
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


async def test_sign_in_throttle_is_shared_by_processes_through_redis(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, redis_url: str
) -> None:
    shared = shared_redis(redis_url)
    async with (
        app_client(engine, settings, signin_attempts_per_account=4, **shared) as first,
        app_client(engine, settings, signin_attempts_per_account=4, **shared) as second,
    ):
        for client in (first, second, first, second):
            assert (await login(client, workspace.admin_email, "wrong")).status_code == 400
        assert (await login(first, workspace.admin_email)).status_code == 429
        assert (await login(second, workspace.admin_email)).status_code == 429


async def test_without_redis_each_process_counts_alone(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    # The control for the test above: the sharing comes from Redis, not from something else in common.
    async with (
        app_client(engine, settings, signin_attempts_per_account=2) as first,
        app_client(engine, settings, signin_attempts_per_account=2) as second,
    ):
        for client in (first, second):
            assert (await login(client, workspace.admin_email, "wrong")).status_code == 400
        assert (await login(first, workspace.admin_email)).status_code == 303


async def test_a_sign_in_holds_no_database_connection_while_its_password_is_checked(
    database: Database, settings: Settings, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one pooled connection (SQLite's serving shape), chats and API calls go on while argon2 runs."""
    hashing = threading.Event()
    release = threading.Event()
    real_verify = security.verify_password

    def slow_verify(password_hash: str, password: str) -> bool:
        hashing.set()
        release.wait(10)
        return real_verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", slow_verify)
    engine = create_engine(database.url, pool_size=1, max_overflow=0, pool_timeout=3)
    try:
        async with app_client(engine, settings) as client:
            token = await login_form_token(client)
            data = {"email": workspace.admin_email, "password": PASSWORD, "csrf_token": token}
            signing_in = asyncio.create_task(client.post("/login", data=data))
            await asyncio.to_thread(hashing.wait, 10)
            other = await client.get("/api/v1/workspace", headers=workspace.headers)
            assert other.status_code == 200  # served while the password check is still running
            release.set()
            assert (await signing_in).status_code == 303
    finally:
        release.set()
        await engine.dispose()


async def test_sign_ins_beyond_the_waiting_password_checks_are_refused_as_busy(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashing, release = threading.Event(), threading.Event()
    real_verify = security.verify_password

    def slow_verify(password_hash: str, password: str) -> bool:
        hashing.set()
        release.wait(10)
        return real_verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", slow_verify)
    monkeypatch.setattr(security, "MAX_WAITING_CHECKS", 1)
    try:
        token = await login_form_token(client)
        data = {"email": workspace.admin_email, "password": PASSWORD, "csrf_token": token}
        first = asyncio.create_task(client.post("/login", data=data))
        await asyncio.to_thread(hashing.wait, 10)
        busy = await client.post("/login", data=data)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "5" and "busy" in busy.text
        release.set()
        assert (await first).status_code == 303
    finally:
        release.set()


def test_no_async_code_calls_the_blocking_password_functions() -> None:
    """Generic over the source: a coroutine that called argon2 directly would stall every chat meanwhile."""
    blocking = {"hash_password", "verify_password", "verify_password_for_unknown_user"}
    offenders = []
    for path in Path(security.__file__).parent.rglob("*.py"):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                    if name in blocking:
                        offenders.append(f"{path.name}:{node.lineno} {function.name} calls {name}")
    assert offenders == []


async def test_parallel_failed_sign_ins_from_one_address_cannot_overrun_the_ip_limit(
    engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    both_checking, release = threading.Event(), threading.Event()
    real_verify = security.verify_password_for_unknown_user

    def slow_verify(password: str) -> None:
        checks.append(password)
        if len(checks) == 2:
            both_checking.set()
        release.wait(10)
        real_verify(password)

    monkeypatch.setattr(security, "verify_password_for_unknown_user", slow_verify)
    monkeypatch.setattr(ratelimit, "SIGNINS_IN_FLIGHT_PER_IP", 2)
    monkeypatch.setattr(security, "_hashing_pool", ThreadPoolExecutor(4))  # both checks run at once
    async with app_client(engine, settings, signin_failures_per_ip=2) as client:
        token = await login_form_token(client)

        async def guess(i: int) -> httpx.Response:
            data = {"email": f"guess{i}@acme.example", "password": "x", "csrf_token": token}
            return await client.post("/login", data=data)

        first = [asyncio.create_task(guess(i)) for i in range(2)]
        await asyncio.to_thread(both_checking.wait, 10)
        burst = await asyncio.gather(*(guess(i) for i in range(2, 10)))
        assert {r.status_code for r in burst} == {429} and all(r.headers["Retry-After"] for r in burst)
        release.set()
        assert [(await task).status_code for task in first] == [400, 400]
        assert (await guess(10)).status_code == 429  # the two failures used up this address's budget
    assert len(checks) == 2
