"""Attachments through the API, the console and the widget; files served only to the conversation's people."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.conversations.attachments import attachments_for, sign
from frontdesk.conversations.models import Attachment, Message
from frontdesk.db import create_session_factory
from frontdesk.settings import Settings
from frontdesk.storage import LocalStorage
from frontdesk.workspaces.models import Role
from tests.conftest import Database
from tests.conversations.chat_clients import SITE, allow_site
from tests.factories import WorkspaceHandle
from tests.storage.samples import EXE, HTML, PDF, PNG, SVG, TEXT
from tests.workspaces.test_console_auth import csrf_of, login

CAP = 50_000


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(
        environment="test", database_url=database.url, storage_path=str(tmp_path / "files"), max_attachment_bytes=CAP
    )


@pytest.fixture
def files(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.storage_path)


def _stored(files: LocalStorage) -> list[Path]:
    return [p for p in files.root.rglob("*") if p.is_file()] if files.root.exists() else []


async def _upload(
    client: httpx.AsyncClient,
    conversation_id: int,
    headers: dict[str, str],
    data: bytes = PNG,
    name: str = "photo.png",
    **form: str,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/conversations/{conversation_id}/attachments",
        files={"file": (name, data, "application/octet-stream")},
        data=form,
        headers=headers,
    )


async def test_an_agent_sends_a_file_as_a_message_and_reads_it_back(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, files: LocalStorage
) -> None:
    conversation = await workspace.conversation("Is it broken?")
    sent = await _upload(client, conversation, workspace.headers, PNG, "../../crack.png", body="Like this?")
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["body"] == "Like this?" and message["author_type"] == "agent" and message["seq"] == 2
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "crack.png"
    assert attachment["content_type"] == "image/png" and attachment["is_image"] and attachment["size"] == len(PNG)
    assert attachment["url"] == f"/files/{attachment['id']}/crack.png"  # agents' links carry no signature

    h = workspace.headers
    assert (await client.get(f"/api/v1/attachments/{attachment['id']}", headers=h)).json() == attachment
    content = await client.get(f"/api/v1/attachments/{attachment['id']}/content", headers=h)
    assert content.content == PNG and content.headers["content-type"] == "image/png"
    listed = (await client.get(f"/api/v1/conversations/{conversation}/attachments", headers=h)).json()
    assert listed == {"items": [attachment], "next_cursor": None}
    history = (await client.get(f"/api/v1/conversations/{conversation}/messages", headers=h)).json()
    assert [m["body"] for m in history["items"]] == ["Is it broken?", "Like this?"]
    assert [m["attachments"] for m in history["items"]] == [[], [attachment]]  # the history shows the file too

    # Stored once, under a random key that says nothing of the name, with the checksum of the bytes.
    (path,) = _stored(files)
    assert "crack" not in str(path) and path.read_bytes() == PNG
    async with create_session_factory(workspace.engine)() as session:
        row = await session.scalar(select(Attachment))
        assert row is not None and row.storage_key == path.name and row.uploaded_by == "agent"
        assert len(row.sha256) == 64


async def test_without_a_caption_the_file_name_is_the_text(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    conversation = await workspace.conversation()
    sent = await _upload(client, conversation, workspace.headers, PDF, "invoice.pdf")
    assert sent.json()["body"] == "invoice.pdf" and not sent.json()["attachments"][0]["is_image"]


async def test_a_retried_upload_is_the_same_message_and_keeps_one_file(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, files: LocalStorage
) -> None:
    conversation = await workspace.conversation()
    first = await _upload(client, conversation, workspace.headers, client_id="up-1")
    again = await _upload(client, conversation, workspace.headers, client_id="up-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(_stored(files)) == 1  # the retry's bytes were not kept


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (EXE, "cat.png", "not accepted"),
        (HTML, "page.txt", "not recognised"),
        (SVG, "logo.png", "not recognised"),
        (b"", "empty.txt", "empty"),
        (b"a" * (CAP + 1), "big.txt", "larger than"),
    ],
)
async def test_refused_files_are_a_422_on_file_and_store_nothing(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, files: LocalStorage, data: bytes, name: str, reason: str
) -> None:
    conversation = await workspace.conversation()
    refused = await _upload(client, conversation, workspace.headers, data, name)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "file" and reason in refused.json()["detail"]
    assert _stored(files) == []
    messages = (await client.get(f"/api/v1/conversations/{conversation}/messages", headers=workspace.headers)).json()
    assert len(messages["items"]) == 1  # no message either


async def test_viewers_read_files_but_only_agents_send_them(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    conversation = await workspace.conversation()
    viewer = await workspace.key_with_role(Role.viewer)
    assert (await _upload(client, conversation, viewer)).status_code == 403
    sent = (await _upload(client, conversation, workspace.headers)).json()
    assert (await client.get(f"/api/v1/attachments/{sent['attachments'][0]['id']}", headers=viewer)).status_code == 200


async def test_listing_pages_with_a_cursor(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    conversation = await workspace.conversation()
    ids = [(await _upload(client, conversation, workspace.headers, TEXT, f"n{i}.txt")).json() for i in range(3)]
    url = f"/api/v1/conversations/{conversation}/attachments"
    first = (await client.get(url, params={"limit": 2}, headers=workspace.headers)).json()
    rest = (await client.get(url, params={"cursor": first["next_cursor"]}, headers=workspace.headers)).json()
    names = [a["filename"] for a in first["items"] + rest["items"]]
    assert names == ["n2.txt", "n1.txt", "n0.txt"] and rest["next_cursor"] is None and len(ids) == 3


async def test_another_workspace_sees_none_of_it(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    conversation = await workspace.conversation()
    attachment = (await _upload(client, conversation, workspace.headers)).json()["attachments"][0]
    b = other_workspace.headers
    for url in (
        f"/api/v1/attachments/{attachment['id']}",
        f"/api/v1/attachments/{attachment['id']}/content",
        f"/api/v1/conversations/{conversation}/attachments",
    ):
        response = await client.get(url, headers=b)
        assert response.status_code == 404 and "photo" not in response.text
    assert (await _upload(client, conversation, b)).status_code == 404
    # An agent of the other workspace, signed in to the console, cannot open the file either.
    await login(client, other_workspace.admin_email)
    assert (await client.get(attachment["url"])).status_code == 404


async def test_served_files_cannot_run_in_the_browser(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    conversation = await workspace.conversation()
    image = (await _upload(client, conversation, workspace.headers)).json()["attachments"][0]
    text = (await _upload(client, conversation, workspace.headers, TEXT, "Grüße.txt")).json()["attachments"][0]
    await login(client, workspace.admin_email)
    shown = await client.get(image["url"])
    assert shown.status_code == 200 and shown.content == PNG
    assert shown.headers["content-disposition"].startswith("inline;")
    downloaded = await client.get(text["url"])
    assert downloaded.content == TEXT and downloaded.headers["content-type"].startswith("text/plain")
    disposition = downloaded.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt" in disposition
    for response in (shown, downloaded):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")
        assert response.headers["cache-control"].startswith("private")


async def test_signed_out_people_are_sent_to_sign_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    conversation = await workspace.conversation()
    image = (await _upload(client, conversation, workspace.headers)).json()["attachments"][0]
    response = await client.get(image["url"])
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# --- Console ---------------------------------------------------------------------------------------------------


async def test_the_console_upload_answers_the_rendered_line(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    conversation = await workspace.conversation()
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings")).text)
    url = f"/inbox/{conversation}/attachments"
    files = {"file": ("shot.png", PNG, "image/png")}
    forged = await client.post(url, files=files)
    assert forged.status_code == 403
    sent = await client.post(url, files=files, data={"client_id": "c-1"}, headers={"X-CSRF-Token": csrf})
    assert sent.status_code == 200, sent.text
    assert 'data-seq="2"' in sent.text and "shot.png" in sent.text
    attachment_url = sent.text.split('src="', 1)[1].split('"', 1)[0]
    assert attachment_url.startswith("/files/") and (await client.get(attachment_url)).content == PNG
    refused = await client.post(url, files={"file": ("x.png", EXE, "image/png")}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422 and "not accepted" in refused.text


async def test_viewers_cannot_upload_in_the_console(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    conversation = await workspace.conversation()
    await login(client, await workspace.add_agent(Role.viewer))
    csrf = csrf_of((await client.get("/settings")).text)
    response = await client.post(
        f"/inbox/{conversation}/attachments",
        files={"file": ("shot.png", PNG, "image/png")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403


async def test_other_console_forms_still_refuse_multipart(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    conversation = await workspace.conversation()
    response = await client.post(f"/inbox/{conversation}/messages", files={"body": ("a", b"x")})
    assert response.status_code == 415


# --- Widget and visitors' links ---------------------------------------------------------------------------------


@pytest.fixture
async def widget(client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle) -> dict[str, str]:
    token = await allow_site(engine, workspace.id)
    session = await client.post(
        "/widget/api/session",
        content=json.dumps({"widget_token": token}),
        headers={"Origin": SITE, "Content-Type": "text/plain"},
    )
    return {"widget_token": token, "visitor_token": session.json()["visitor_token"]}


async def _widget_upload(
    client: httpx.AsyncClient, fields: dict[str, str], data: bytes = PNG, name: str = "me.png", origin: str = SITE
) -> httpx.Response:
    return await client.post(
        "/widget/api/attachments",
        data=fields,
        files={"file": (name, data, "image/png")},
        headers={"Origin": origin},
    )


async def test_a_visitor_without_a_conversation_starts_one_with_a_file(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, widget: dict[str, str]
) -> None:
    answer = await _widget_upload(client, {**widget, "client_id": "v-1"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == SITE
    ack = answer.json()
    assert ack["type"] == "ack" and ack["client_id"] == "v-1"
    message = ack["message"]
    assert message["body"] == "me.png" and message["author_type"] == "visitor" and message["seq"] == 1
    assert "sentiment" not in message
    url = message["attachments"][0]["url"]
    assert "exp=" in url and "sig=" in url
    assert (await client.get(url)).content == PNG  # the visitor's link works without any session

    conversation = ack["conversation_id"]
    h = workspace.headers
    assert (await client.get(f"/api/v1/conversations/{conversation}", headers=h)).status_code == 200
    # Into the same conversation next time, and a retry is the same message.
    again = await _widget_upload(client, {**widget, "client_id": "v-2", "body": "and this"}, TEXT, "n.txt")
    assert again.json()["conversation_id"] == conversation and again.json()["message"]["body"] == "and this"
    retry = await _widget_upload(client, {**widget, "client_id": "v-2", "body": "and this"}, TEXT, "n.txt")
    assert retry.json()["message"]["id"] == again.json()["message"]["id"]


async def test_the_widget_refuses_strangers_and_bad_files(client: httpx.AsyncClient, widget: dict[str, str]) -> None:
    other_site = await _widget_upload(client, widget, origin="https://evil.example")
    assert other_site.status_code == 403 and other_site.json()["field"] == "origin"
    unknown = await _widget_upload(client, {**widget, "visitor_token": "v_not-a-real-token"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "visitor_token"
    no_widget = await _widget_upload(client, {**widget, "widget_token": "nope"})
    assert no_widget.status_code == 404 and no_widget.json()["field"] == "widget_token"
    bad = await _widget_upload(client, widget, HTML, "page.png")
    assert bad.status_code == 422 and bad.json()["field"] == "file"
    assert bad.headers["access-control-allow-origin"] == SITE  # the widget can read why


async def test_visitor_links_need_the_right_unexpired_signature(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, widget: dict[str, str]
) -> None:
    ack = (await _widget_upload(client, widget)).json()
    attachment = ack["message"]["attachments"][0]
    path = attachment["url"].split("?", 1)[0]
    good = attachment["url"]
    assert (await client.get(good)).status_code == 200
    expires = int(time.time()) + 60
    tampered_sig = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
    wrong_conversation = sign(attachment["id"], ack["conversation_id"] + 1, expires)
    past = int(time.time()) - 1
    for url in (
        tampered_sig,
        f"{path}?exp={expires}&sig={wrong_conversation}",
        f"{path}?exp={past}&sig={sign(attachment['id'], ack['conversation_id'], past)}",
        f"{path}?exp={expires + 1}&sig={sign(attachment['id'], ack['conversation_id'], expires)}",
        f"{path}?exp=soon&sig=x",
        f"{path}?sig=x",
    ):
        assert (await client.get(url)).status_code == 403, url
    # Another file's signature does not open this one.
    other = (await _widget_upload(client, {**widget, "client_id": "v-9"}, TEXT, "b.txt")).json()
    other_sig = other["message"]["attachments"][0]["url"].split("?", 1)[1]
    assert (await client.get(f"{path}?{other_sig}")).status_code == 403
    missing = await client.get(f"/files/999999/x.png?exp={expires}&sig={sign(999999, 1, expires)}")
    assert missing.status_code == 404


async def test_attachments_for_gives_each_audience_its_links(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, widget: dict[str, str]
) -> None:
    await _widget_upload(client, widget)
    async with create_session_factory(workspace.engine)() as session:
        messages = list(await session.scalars(select(Message)))
        for_visitor = await attachments_for(session=session, messages=messages, audience="visitor")
        for_agent = await attachments_for(session=session, messages=messages, audience="agent")
        assert await attachments_for(session=session, messages=[], audience="agent") == {}
    (message,) = messages
    assert "sig=" in for_visitor[message.id][0].url and "sig=" not in for_agent[message.id][0].url
    assert for_visitor[message.id][0].id == for_agent[message.id][0].id


@pytest.fixture
async def app_client(engine: AsyncEngine, settings: Settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield app, c


async def test_uploads_are_announced_to_both_sides_with_each_sides_links(
    app_client: tuple[Any, httpx.AsyncClient], workspace: WorkspaceHandle
) -> None:
    app, client = app_client
    conversation = await workspace.conversation()
    broker = app.state.broker
    async with (
        broker.subscribe(f"conversation:{conversation}") as visitor_events,
        broker.subscribe(f"inbox:{workspace.id}") as agent_events,
    ):
        sent = await _upload(client, conversation, workspace.headers, body="see attached")
        assert sent.status_code == 201
        to_visitor = json.loads(await visitor_events.get())
        to_agents = json.loads(await agent_events.get())
    assert to_visitor["type"] == to_agents["type"] == "message"
    seen_by_visitor = to_visitor["message"]["attachments"][0]["url"]
    seen_by_agents = to_agents["message"]["attachments"][0]["url"]
    assert "sig=" in seen_by_visitor and "sig=" not in seen_by_agents
    assert (await client.get(seen_by_visitor)).content == PNG


async def test_the_widget_takes_one_file_per_upload(client: httpx.AsyncClient, widget: dict[str, str]) -> None:
    answer = await client.post(
        "/widget/api/attachments",
        data=widget,
        files=[("file", ("a.png", PNG)), ("file", ("b.png", PNG))],
        headers={"Origin": SITE},
    )
    assert answer.status_code == 400 and answer.json()["field"] == "file"
    assert answer.headers["access-control-allow-origin"] == SITE


async def test_text_no_database_can_store_is_refused_before_any_query(
    client: httpx.AsyncClient, widget: dict[str, str]
) -> None:
    for field in ("widget_token", "visitor_token", "client_id", "body"):
        answer = await _widget_upload(client, {**widget, field: "a\x00b"})
        assert answer.status_code == 422 and answer.json()["field"] == field, field
