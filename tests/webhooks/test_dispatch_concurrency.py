"""Dispatchers running as loops: two processes deliver each attempt once, a hanging endpoint delays nobody
else, and a local commit is delivered at once rather than at the next poll."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.db import create_session_factory
from frontdesk.settings import Settings
from frontdesk.webhooks.dispatcher import Dispatcher
from frontdesk.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.factories import WorkspaceHandle
from tests.webhooks.receiver import Receiver, add_endpoint, queue_events


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    return receiver_server


@contextlib.asynccontextmanager
async def running(
    factory: async_sessionmaker[AsyncSession], settings: Settings, **overrides: object
) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(factory, settings.model_copy(update=overrides))
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_until_finished(engine: AsyncEngine, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    async with create_session_factory(engine)() as session:
        while True:
            pending = await session.scalar(
                select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "pending")
            )
            await session.rollback()
            if pending == 0:
                return
            assert time.monotonic() < deadline, f"{pending} deliveries still pending"
            await asyncio.sleep(0.05)


async def test_two_processes_deliver_every_attempt_once(
    engine: AsyncEngine,
    settings: Settings,
    workspace: WorkspaceHandle,
    receiver: Receiver,
    two_processes: list[async_sessionmaker[AsyncSession]],
) -> None:
    await add_endpoint(engine, workspace.id, receiver.ok("/a"))
    await add_endpoint(engine, workspace.id, receiver.ok("/b"))
    async with (
        running(two_processes[0], settings, webhook_poll_seconds=0.05, webhook_claim_batch=20),
        running(two_processes[1], settings, webhook_poll_seconds=0.05, webhook_claim_batch=20),
    ):
        for _ in range(10):
            await queue_events(two_processes[0], workspace.id, count=10)
        await receiver.wait_for(200, within=30)
        await wait_until_finished(engine)
        await asyncio.sleep(0.3)  # time for a wrongly repeated attempt to show
    received = receiver.received()
    per_path_and_id = Counter((r.path, r.headers["webhook-id"]) for r in received)
    assert len(per_path_and_id) == 200
    assert set(per_path_and_id.values()) == {1}
    async with create_session_factory(engine)() as session:
        owners = await session.scalar(select(func.count()).select_from(WebhookAttempt))
        statuses = Counter(await session.scalars(select(WebhookDelivery.status)))
    assert owners == 200 and statuses == {"succeeded": 200}


async def test_a_hanging_endpoint_does_not_delay_another(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    await add_endpoint(engine, workspace.id, receiver.hang("/hangs"))
    await add_endpoint(engine, workspace.id, receiver.ok("/healthy"))
    factory = create_session_factory(engine)
    # The healthy endpoint gets 60 events while the other hangs.
    async with running(factory, settings, webhook_timeout_seconds=30.0, webhook_endpoint_concurrency=4):
        started = time.monotonic()
        await queue_events(engine, workspace.id, count=60)
        await receiver.wait_for(60, "/healthy", within=30)
        with_hang = time.monotonic() - started
        # The hanging endpoint holds its 4 slots and nothing more.
        await asyncio.sleep(0.3)
        assert len(receiver.received("/hangs")) == 4
        # More events while it still hangs: delivered to the healthy one as fast.
        started = time.monotonic()
        await queue_events(engine, workspace.id, count=60)
        await receiver.wait_for(120, "/healthy", within=30)
        again = time.monotonic() - started
    assert with_hang < 3.0 and again < 3.0, (with_hang, again)
    assert len(receiver.received("/hangs")) == 4


async def test_a_local_commit_is_delivered_at_once_not_at_the_next_poll(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    await add_endpoint(engine, workspace.id, receiver.ok("/woken"))
    async with running(create_session_factory(engine), settings, webhook_poll_seconds=30.0):
        await asyncio.sleep(0.2)  # the loop has made its first (empty) round and waits
        started = time.time()
        await queue_events(engine, workspace.id)
        [request] = await receiver.wait_for(1, "/woken", within=10)
    assert request.received_at - started < 1.0
