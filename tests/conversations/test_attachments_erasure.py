"""Erasing a contact removes the files of their chats from storage, and nobody else's."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.models import Attachment
from frontdesk.db import create_session_factory
from frontdesk.settings import Settings
from tests.conftest import Database
from tests.conversations.chat_clients import SITE, allow_site
from tests.factories import WorkspaceHandle
from tests.storage.samples import PDF, PNG


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=database.url, storage_path=str(tmp_path / "files"))


def _stored_bytes(settings: Settings) -> list[bytes]:
    root = Path(settings.storage_path)
    return sorted(p.read_bytes() for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def _visitor_with_a_file(client: httpx.AsyncClient, widget_token: str, data: bytes, name: str) -> int:
    session = await client.post(
        "/widget/api/session",
        content=json.dumps({"widget_token": widget_token}),
        headers={"Origin": SITE, "Content-Type": "text/plain"},
    )
    fields = {"widget_token": widget_token, "visitor_token": session.json()["visitor_token"]}
    ack = await client.post(
        "/widget/api/attachments", data=fields, files={"file": (name, data)}, headers={"Origin": SITE}
    )
    assert ack.status_code == 200, ack.text
    return int(ack.json()["conversation_id"])


async def test_erasure_deletes_the_persons_files_from_storage(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, settings: Settings
) -> None:
    token = await allow_site(engine, workspace.id)
    h = workspace.headers
    erased_chat = await _visitor_with_a_file(client, token, PNG, "passport.png")
    agent_reply = await client.post(
        f"/api/v1/conversations/{erased_chat}/attachments", files={"file": ("form.pdf", PDF)}, headers=h
    )
    assert agent_reply.status_code == 201
    kept_chat = await _visitor_with_a_file(client, token, b"someone else's notes", "notes.txt")
    assert _stored_bytes(settings) == sorted([PNG, PDF, b"someone else's notes"])

    contact_id = (await client.get(f"/api/v1/conversations/{erased_chat}", headers=h)).json()["contact_id"]
    erased = await client.delete(f"/api/v1/contacts/{contact_id}", headers=h)
    assert erased.status_code == 204, erased.text

    assert _stored_bytes(settings) == [b"someone else's notes"]  # both sides' files of the chat are gone
    async with create_session_factory(engine)() as session:
        left = await session.scalar(select(func.count()).select_from(Attachment))
        assert left == 1
    kept = (await client.get(f"/api/v1/conversations/{kept_chat}/attachments", headers=h)).json()["items"]
    assert [a["filename"] for a in kept] == ["notes.txt"]
    gone = await client.get(f"/api/v1/conversations/{erased_chat}/attachments", headers=h)
    assert gone.json()["items"] == []
