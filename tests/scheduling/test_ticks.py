"""Scheduled work runs once per tick across processes; racing outbox senders never send an e-mail twice."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from frontdesk.commerce import housekeeping as commerce_housekeeping
from frontdesk.conversations import housekeeping as conversations_housekeeping
from frontdesk.db import create_session_factory
from frontdesk.feedback import mail
from frontdesk.feedback.models import OutboxEmail
from frontdesk.realtime.broker import create_broker
from frontdesk.scheduling.service import current_tick, do_claim_tick, run_every
from frontdesk.settings import Settings
from tests.factories import WorkspaceHandle
from tests.smtp_server import running_smtp


async def _claim(factory: async_sessionmaker[AsyncSession], job: str, tick: int, holder: str) -> bool:
    async with factory() as session:
        won = await do_claim_tick(session=session, job=job, tick=tick, holder=holder)
        await session.commit()
        return won


async def test_exactly_one_claimer_wins_each_tick_across_processes(
    two_processes: list[async_sessionmaker[AsyncSession]],
) -> None:
    for tick in (7, 8):
        results = await asyncio.gather(*(_claim(two_processes[i % 2], "race", tick, f"claimer-{i}") for i in range(12)))
        assert sum(results) == 1
    # A tick already claimed, or an older one, is never won again.
    assert not await _claim(two_processes[0], "race", 8, "late")
    assert not await _claim(two_processes[1], "race", 3, "late")
    # Jobs are independent.
    assert await _claim(two_processes[1], "other-job", 8, "first")


async def test_run_every_runs_the_job_once_per_tick_in_two_processes(
    two_processes: list[async_sessionmaker[AsyncSession]],
) -> None:
    interval = 0.25
    runs: list[tuple[str, int]] = []

    def job(process: str) -> Any:
        async def work() -> None:
            runs.append((process, current_tick(interval)))

        return work

    tasks = [
        asyncio.create_task(run_every(factory, "ticking", interval, job(f"p{i}"), holder=f"p{i}"))
        for i, factory in enumerate(two_processes)
    ]
    started = time.time()
    await asyncio.sleep(2.1)
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    ticks = [tick for _, tick in runs]
    elapsed_ticks = current_tick(interval) - current_tick(interval, started)
    assert len(ticks) == len(set(ticks)), runs  # no tick ran twice
    assert elapsed_ticks - 2 <= len(ticks) <= elapsed_ticks, runs  # and nearly every tick ran once


async def test_every_scheduled_job_goes_through_the_tick_helper(
    engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs: list[tuple[str, float]] = []

    async def recording_run_every(factory: object, job: str, interval: float, work: object, **_: object) -> None:
        jobs.append((job, interval))

    for module in (commerce_housekeeping, conversations_housekeeping, mail):
        monkeypatch.setattr(module, "run_every", recording_run_every)
    factory = create_session_factory(engine)
    await commerce_housekeeping.run_analytics_refresh(factory, 24)
    await conversations_housekeeping.run_housekeeping(factory, create_broker(None))
    await mail.run_mail_sender(factory, settings)
    assert jobs == [
        ("analytics_refresh", 24 * 3600),
        ("auto_resolve", conversations_housekeeping.INTERVAL_SECONDS),
        ("mail_outbox", mail.POLL_SECONDS),
    ]


class CountingMailbox:
    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.message_ids.append(str(message["Message-ID"]))
        return "250 OK"


@pytest.fixture
def counting_mailbox() -> Iterator[tuple[CountingMailbox, str]]:
    box = CountingMailbox()
    with running_smtp(box) as port:
        yield box, f"smtp://127.0.0.1:{port}"


async def test_racing_outbox_senders_in_two_processes_send_each_email_once(
    two_processes: list[async_sessionmaker[AsyncSession]],
    settings: Settings,
    workspace: WorkspaceHandle,
    counting_mailbox: tuple[CountingMailbox, str],
) -> None:
    box, url = counting_mailbox
    async with two_processes[0]() as session:
        session.add_all(
            OutboxEmail(
                workspace_id=workspace.id,
                purpose="survey",
                subject_id=i,
                to_address=f"p{i}@b.example",
                subject="S",
                body="B",
            )
            for i in range(30)
        )
        await session.commit()
    smtp = settings.model_copy(update={"smtp_url": url})
    rounds = await asyncio.gather(*(mail.deliver_pending(two_processes[i % 2], smtp) for i in range(4)))
    assert sum(r["sent"] for r in rounds) == 30
    assert len(box.message_ids) == len(set(box.message_ids)) == 30
