"""The outbox never sends SMTP credentials over a connection that did not become TLS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.feedback.mail import deliver_pending
from frontdesk.feedback.models import EmailStatus, OutboxEmail
from frontdesk.settings import Settings
from tests.factories import WorkspaceHandle
from tests.smtp_server import running_smtp


class PlainServer:
    """An SMTP server without STARTTLS that would accept AUTH in clear, and records whether it was offered any."""

    def __init__(self) -> None:
        self.auth_attempts: list[str] = []
        self.messages = 0

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        self.auth_attempts.append(mechanism)
        return AuthResult(success=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


@pytest.fixture
def plain_server() -> Iterator[tuple[PlainServer, int]]:
    box = PlainServer()
    with running_smtp(box, authenticator=box.authenticate, auth_require_tls=False) as port:
        yield box, port


async def _queue(engine: AsyncEngine, workspace_id: int) -> int:
    async with create_session_factory(engine)() as session:
        email = OutboxEmail(
            workspace_id=workspace_id, purpose="survey", subject_id=1, to_address="a@b.example", subject="H", body="H"
        )
        session.add(email)
        await session.commit()
        return email.id


async def test_credentials_are_never_sent_over_a_connection_without_tls(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, plain_server: tuple[PlainServer, int]
) -> None:
    box, port = plain_server
    email_id = await _queue(engine, workspace.id)
    factory = create_session_factory(engine)
    smtp = settings.model_copy(update={"smtp_url": f"smtp://mailer:hunter2@127.0.0.1:{port}"})
    assert await deliver_pending(factory, smtp) == {"sent": 0, "failed": 0, "deferred": 1}
    assert box.auth_attempts == [] and box.messages == 0
    async with factory() as session:
        email = await session.scalar(select(OutboxEmail).where(OutboxEmail.id == email_id))
        assert email is not None and email.status == EmailStatus.pending.value
        assert "STARTTLS" in (email.last_error or "") and "hunter2" not in (email.last_error or "")


async def test_without_credentials_a_plain_connection_still_delivers(
    engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle, plain_server: tuple[PlainServer, int]
) -> None:
    box, port = plain_server
    await _queue(engine, workspace.id)
    smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    assert await deliver_pending(create_session_factory(engine), smtp) == {"sent": 1, "failed": 0, "deferred": 0}
    assert box.messages == 1
