"""Fixtures of the personal-data tests: an app that queues e-mail, and the world of one person and a survivor."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.settings import Settings
from tests.contacts.personal_world import World, build_world
from tests.factories import WorkspaceHandle


@pytest.fixture
async def mail_client(engine: AsyncEngine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # SMTP is configured (nothing is sent: no sender runs here), so survey invitations go to the outbox.
    app = create_app(settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"}), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def world(mail_client: httpx.AsyncClient, workspace: WorkspaceHandle) -> World:
    return await build_world(mail_client, workspace)
