"""Delivering webhooks to a real local receiver: signatures, retries, safety limits, failing and paused endpoints."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from frontdesk.db import create_session_factory, utcnow
from frontdesk.errors import Conflict, NotFound
from frontdesk.settings import Settings
from frontdesk.webhooks.dispatcher import Dispatcher
from frontdesk.webhooks.housekeeping import purge_old_deliveries
from frontdesk.webhooks.http import RESPONSE_EXCERPT_BYTES
from frontdesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from frontdesk.webhooks.service import resend_delivery
from frontdesk.workspaces.models import AuditEntry
from tests.factories import WorkspaceHandle
from tests.webhooks.receiver import HUGE_BYTES, Receiver, add_endpoint, new_secret, queue_events


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.clear()
    return receiver_server


class Clock:
    """A clock the test moves."""

    def __init__(self, start: datetime | None = None) -> None:
        self.at = start or utcnow()

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def dispatcher(engine: AsyncEngine, settings: Settings, clock: Clock | None = None, **overrides: object) -> Dispatcher:
    tuned = settings.model_copy(update={"webhook_timeout_seconds": 3.0, **overrides})
    return Dispatcher(create_session_factory(engine), tuned, now=clock or utcnow, rng=random.Random(7))


async def deliveries(engine: AsyncEngine) -> list[WebhookDelivery]:
    async with create_session_factory(engine)() as session:
        return list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def attempts(engine: AsyncEngine) -> list[WebhookAttempt]:
    async with create_session_factory(engine)() as session:
        return list(await session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))


async def endpoint_row(engine: AsyncEngine, endpoint_id: int) -> WebhookEndpoint:
    async with create_session_factory(engine)() as session:
        found = await session.get(WebhookEndpoint, endpoint_id)
        assert found is not None
        return found


async def test_a_delivery_is_signed_as_sent_and_verifies(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.ok("/signed")
    endpoint = await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    sender = dispatcher(engine, settings)
    try:
        assert await sender.deliver_due() == 1
    finally:
        await sender.aclose()
    [request] = receiver.received("/signed")
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    async with create_session_factory(engine)() as session:
        event = (await session.scalars(select(WebhookEvent))).one()
    assert payload == event.payload
    assert request.body == json.dumps(event.payload, separators=(",", ":")).encode()
    assert request.headers["webhook-id"] == event.message_id
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Frontdesk-Webhooks/1"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    # One changed byte, or another endpoint's secret: refused.
    tampered = request.body.replace(b'"id":0', b'"id":1')
    assert tampered != request.body
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(tampered, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, request.headers)
    [delivery] = await deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.lease_owner is None and delivery.finished_at is not None
    [attempt] = await attempts(engine)
    assert attempt.status_code == 200 and attempt.response_body == "ok" and attempt.error is None
    assert attempt.request_headers["webhook-id"] == event.message_id
    assert (await endpoint_row(engine, endpoint.id)).last_success_at is not None


async def test_an_old_timestamp_and_a_replayed_request_fail_verification(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.ok("/old")
    endpoint = await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    # Signed six minutes ago (the library accepts five): as a request captured then and replayed now.
    async with create_session_factory(engine)() as session:
        await session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(minutes=7)))
        await session.commit()
    sender = dispatcher(engine, settings, Clock(utcnow() - timedelta(minutes=6)))
    try:
        await sender.deliver_due()
    finally:
        await sender.aclose()
    [request] = receiver.received("/old")
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(endpoint.secret).verify(request.body, request.headers)
    # A replayer cannot refresh the timestamp: it is part of the signed content.
    fresh = {**request.headers, "webhook-timestamp": str(int(utcnow().timestamp()))}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(endpoint.secret).verify(request.body, fresh)


async def test_a_retried_delivery_keeps_its_webhook_id(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.fail("/retry-id", times=1)
    endpoint = await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    clock = Clock()
    sender = dispatcher(engine, settings, clock)
    try:
        await sender.deliver_due()
        clock.move(seconds=10)
        await sender.deliver_due()
    finally:
        await sender.aclose()
    first, second = receiver.received("/retry-id")
    # Receivers drop repeats by webhook-id: every attempt of one delivery carries the same.
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    for request in (first, second):
        Webhook(endpoint.secret).verify(request.body, request.headers)


async def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.ok("/rotated")
    old = new_secret()
    endpoint = await add_endpoint(
        engine, workspace.id, url, previous_secret=old, previous_secret_expires_at=utcnow() + timedelta(hours=24)
    )
    await queue_events(engine, workspace.id)
    sender = dispatcher(engine, settings)
    try:
        await sender.deliver_due()
        [during] = receiver.received("/rotated")
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        Webhook(endpoint.secret).verify(during.body, during.headers)
        Webhook(old).verify(during.body, during.headers)
        # The overlap is over.
        async with create_session_factory(engine)() as session:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint.id)
                .values(previous_secret_expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        await queue_events(engine, workspace.id)
        await sender.deliver_due()
    finally:
        await sender.aclose()
    after = receiver.received("/rotated")[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(endpoint.secret).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


async def test_a_failing_endpoint_is_retried_with_backoff_until_it_succeeds(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.fail("/flaky", times=2)
    endpoint = await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    clock = Clock()
    sender = dispatcher(engine, settings, clock)
    try:
        assert await sender.deliver_due() == 1
        [delivery] = await deliveries(engine)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at is not None
        first_pause = delivery.next_attempt_at - clock()
        assert timedelta(seconds=2.5) <= first_pause <= timedelta(seconds=5)
        assert await sender.deliver_due() == 0  # not due yet: the backoff is honoured
        clock.at = delivery.next_attempt_at
        assert await sender.deliver_due() == 1
        [delivery] = await deliveries(engine)
        assert delivery.next_attempt_at is not None
        second_pause = delivery.next_attempt_at - clock()
        assert timedelta(seconds=15) <= second_pause <= timedelta(seconds=30)
        assert (await endpoint_row(engine, endpoint.id)).consecutive_failures == 2
        clock.move(seconds=14)
        assert await sender.deliver_due() == 0
        clock.at = delivery.next_attempt_at
        assert await sender.deliver_due() == 1
    finally:
        await sender.aclose()
    [delivery] = await deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert [a.status_code for a in await attempts(engine)] == [500, 500, 200]
    assert len(receiver.received("/flaky")) == 3
    row = await endpoint_row(engine, endpoint.id)
    assert (row.consecutive_failures, row.failing_since) == (0, None)
    assert row.last_success_at is not None


async def test_a_delivery_fails_for_good_after_three_days(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.fail("/down")
    await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    clock = Clock()
    sender = dispatcher(engine, settings, clock, webhook_disable_after_failures=1000)
    made = 0
    try:
        while True:
            [delivery] = await deliveries(engine)
            if delivery.status != "pending":
                break
            assert delivery.next_attempt_at is not None
            assert delivery.next_attempt_at <= delivery.created_at + timedelta(days=3)
            clock.at = max(clock.at, delivery.next_attempt_at)
            made += await sender.deliver_due()
            assert made < 60
    finally:
        await sender.aclose()
    assert delivery.status == "failed" and delivery.attempts == made
    assert 10 <= made <= 40  # 6 quick retries, then every 2-6 hours for the rest of 3 days
    assert clock() - delivery.created_at >= timedelta(days=3)


async def test_an_endpoint_that_keeps_failing_is_disabled_and_the_admin_told(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.fail("/dead")
    endpoint = await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id, count=2)
    clock = Clock()
    sender = dispatcher(engine, settings, clock, webhook_disable_after_failures=5, webhook_disable_after_hours=1.0)
    try:
        for _ in range(3):  # 6 failures in 10 minutes: many, but not failing for an hour yet
            await sender.deliver_due()
            clock.move(minutes=5)
        row = await endpoint_row(engine, endpoint.id)
        assert row.consecutive_failures == 6 and row.disabled_at is None
        clock.move(hours=1)
        assert await sender.deliver_due() == 2
        row = await endpoint_row(engine, endpoint.id)
        assert row.disabled_at is not None and row.disabled_reason
        assert row.consecutive_failures == 8
        async with create_session_factory(engine)() as session:
            [audit] = list(
                await session.scalars(select(AuditEntry).where(AuditEntry.action == "webhook_endpoint.disabled"))
            )
        assert (audit.workspace_id, audit.subject_type, audit.subject_id) == (
            workspace.id,
            "webhook_endpoint",
            endpoint.id,
        )
        # Its pending deliveries are not sent any more: they fail with the reason when they come due.
        before = len(receiver.received("/dead"))
        clock.move(hours=1)
        assert await sender.deliver_due() == 0
    finally:
        await sender.aclose()
    assert len(receiver.received("/dead")) == before
    for delivery in await deliveries(engine):
        assert delivery.status == "failed"
        assert delivery.last_error is not None and "disabled" in delivery.last_error


async def test_a_paused_endpoint_gets_nothing(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.ok("/paused")
    endpoint = await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    async with create_session_factory(engine)() as session:
        await session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id).values(enabled=False))
        await session.commit()
    await queue_events(engine, workspace.id)  # nothing is queued for a paused endpoint
    sender = dispatcher(engine, settings)
    try:
        assert await sender.deliver_due() == 0
    finally:
        await sender.aclose()
    assert receiver.received("/paused") == []
    [delivery] = await deliveries(engine)
    assert delivery.status == "failed" and delivery.last_error == "not sent: the endpoint is paused"
    assert await attempts(engine) == []


async def test_a_private_address_is_refused_at_delivery_time(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.ok("/private")
    await add_endpoint(engine, workspace.id, url, allow_private=False)
    await queue_events(engine, workspace.id)
    sender = dispatcher(engine, settings)
    try:
        assert await sender.deliver_due() == 1
    finally:
        await sender.aclose()
    assert receiver.received("/private") == []
    [attempt] = await attempts(engine)
    assert attempt.status_code is None and attempt.error is not None and "private" in attempt.error
    [delivery] = await deliveries(engine)
    assert delivery.status == "pending" and delivery.attempts == 1


async def test_a_redirect_is_not_followed(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.redirect("/redirect")
    await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    sender = dispatcher(engine, settings)
    try:
        await sender.deliver_due()
    finally:
        await sender.aclose()
    assert [r.path for r in receiver.received() if r.path.startswith("/redirect")] == ["/redirect"]
    [attempt] = await attempts(engine)
    assert (attempt.status_code, attempt.error) == (302, "redirects are not followed")
    assert (await deliveries(engine))[0].status == "pending"


async def test_a_huge_answer_is_cut_and_not_read_to_the_end(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.huge("/huge")
    await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    sender = dispatcher(engine, settings)
    try:
        await sender.deliver_due()
    finally:
        await sender.aclose()
    [attempt] = await attempts(engine)
    assert attempt.status_code == 200 and attempt.response_body is not None
    assert len(attempt.response_body.encode()) == RESPONSE_EXCERPT_BYTES
    assert receiver.huge_bytes_sent < HUGE_BYTES // 5


async def test_an_endpoint_that_does_not_answer_times_out(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    url = receiver.hang("/silent")
    await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    sender = dispatcher(engine, settings, webhook_timeout_seconds=0.5)
    try:
        await sender.deliver_due()
    finally:
        await sender.aclose()
    [attempt] = await attempts(engine)
    assert attempt.status_code is None and attempt.error == "no answer within 0.5 s"
    assert 400 <= attempt.latency_ms < 3000


async def test_old_finished_deliveries_and_their_events_are_deleted(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, receiver: Receiver
) -> None:
    ok_url, down_url = receiver.ok("/kept"), receiver.fail("/kept-down")
    await add_endpoint(engine, workspace.id, ok_url)
    await add_endpoint(engine, workspace.id, down_url)
    await queue_events(engine, workspace.id, count=3)
    sender = dispatcher(engine, settings)
    try:
        assert await sender.deliver_due() == 6
    finally:
        await sender.aclose()
    factory = create_session_factory(engine)
    assert await purge_old_deliveries(factory, days=30) == {"deliveries": 0, "events": 0}
    counts = await purge_old_deliveries(factory, days=30, now=utcnow() + timedelta(days=31), batch=2)
    # The succeeded ones go with their attempts; the events stay while a pending delivery needs them.
    assert counts == {"deliveries": 3, "events": 0}
    rows = await deliveries(engine)
    assert [d.status for d in rows] == ["pending"] * 3
    assert {a.delivery_id for a in await attempts(engine)} == {d.id for d in rows}
    async with factory() as session:
        await session.execute(update(WebhookDelivery).values(status="failed", finished_at=utcnow()))
        await session.commit()
    counts = await purge_old_deliveries(factory, days=30, now=utcnow() + timedelta(days=31))
    assert counts == {"deliveries": 3, "events": 3}
    assert await attempts(engine) == []


async def test_a_resend_is_sent_again_with_the_same_webhook_id(
    engine: AsyncEngine,
    settings: Settings,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    receiver: Receiver,
) -> None:
    url = receiver.fail("/resend", times=1)
    endpoint = await add_endpoint(engine, workspace.id, url)
    await queue_events(engine, workspace.id)
    sender = dispatcher(engine, settings)
    factory = create_session_factory(engine)
    try:
        await sender.deliver_due()
        [delivery] = await deliveries(engine)
        assert delivery.status == "pending" and delivery.next_attempt_at > utcnow()  # its retry is later
        async with factory() as session:
            with pytest.raises(NotFound):
                await resend_delivery(session=session, workspace_id=other_workspace.id, delivery_id=delivery.id,
                                      actor="test")  # fmt: skip
            await resend_delivery(session=session, workspace_id=workspace.id, delivery_id=delivery.id, actor="test")
            await session.commit()
        assert await sender.deliver_due() == 1  # due now, not at its scheduled retry
    finally:
        await sender.aclose()
    first, second = receiver.received("/resend")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(endpoint.secret).verify(second.body, second.headers)
    assert [a.status_code for a in await attempts(engine)] == [500, 200]
    [delivery] = await deliveries(engine)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    async with factory() as session:
        await session.execute(update(WebhookEndpoint).values(enabled=False))
        await session.commit()
        with pytest.raises(Conflict, match="paused"):
            await resend_delivery(session=session, workspace_id=workspace.id, delivery_id=delivery.id, actor="test")
