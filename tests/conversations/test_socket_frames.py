"""Whatever a client sends over a socket, the socket answers with an error frame naming the field and stays open."""

from __future__ import annotations

import json

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conversations.chat_clients import SITE, Agent, Visitor, allow_site
from tests.factories import WorkspaceHandle

HOSTILE_FRAMES: list[str | bytes] = [
    b"\x00\x01binary",
    "not json",
    "[1, 2, 3]",
    '"a string"',
    "[" * 5000 + "]" * 5000,
    '{"type": "send", "body": ' + "[" * 100 + "]" * 100 + "}",
    json.dumps({"type": "send", "body": "x" * 300_000}),
    json.dumps({"type": "resume", "after_seq": 2**63}),
    json.dumps({"type": "resume", "after_seq": -1}),
    json.dumps({"type": "resume", "after_seq": "١٢"}),
    json.dumps({"type": "resume", "after_seq": True}),
    json.dumps({"type": "resume", "after_seq": [1]}),
    json.dumps({"type": "send", "client_id": "c1", "body": "nul \u0000 inside"}),
    json.dumps({"type": "typing", "conversation_id": 2**70}),
]


@pytest.mark.parametrize("frame", HOSTILE_FRAMES, ids=range(len(HOSTILE_FRAMES)))
async def test_a_visitor_socket_answers_a_hostile_frame_with_an_error_and_stays_open(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle, frame: str | bytes
) -> None:
    visitor = Visitor(server_url, await allow_site(engine, workspace.id))
    await visitor.start_session()
    await visitor.connect()
    try:
        await visitor.socket.send(frame)
        error = await visitor.expect("error")
        assert error["field"] and error["message"]
        await visitor.send("still here", team="support")
        assert (await visitor.expect("ack"))["message"]["body"] == "still here"
    finally:
        await visitor.close()


@pytest.mark.parametrize("after_seq", [2**63, -5, "x", [1]])
async def test_a_hello_with_a_bad_resume_point_is_closed_with_4400(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle, after_seq: object
) -> None:

    visitor = Visitor(server_url, await allow_site(engine, workspace.id))
    await visitor.start_session()
    async with websockets.connect(
        server_url.replace("http", "ws") + "/widget/ws", additional_headers={"Origin": visitor.origin}
    ) as socket:
        hello = {"type": "hello", "widget_token": visitor.widget_token, "visitor_token": visitor.visitor_token}
        await socket.send(json.dumps({**hello, "after_seq": after_seq}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


@pytest.mark.parametrize("frame", HOSTILE_FRAMES, ids=range(len(HOSTILE_FRAMES)))
async def test_an_agent_console_answers_a_hostile_frame_with_an_error_and_stays_open(
    server_url: str, workspace: WorkspaceHandle, frame: str | bytes
) -> None:
    agent = Agent(server_url, workspace.admin_email)
    await agent.login()
    await agent.connect()
    try:
        await agent.socket.send(frame)
        error = await agent.expect("error")
        assert error["message"]
        await agent.socket.send(json.dumps({"type": "ping"}))
        await agent.expect("pong")
    finally:
        await agent.close()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visitor_token": 123}, "visitor_token"),
        ({"visitor_token": ["fdv_x"]}, "visitor_token"),
        ({"widget_token": {"a": 1}}, "widget_token"),
        ({"page": "/pricing"}, "page"),  # unknown fields are refused, as everywhere
    ],
)
async def test_the_widget_session_refuses_badly_typed_or_unknown_fields_by_name(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, body: dict[str, object], field: str
) -> None:
    token = await allow_site(engine, workspace.id)
    response = await client.post(
        "/widget/api/session",
        content=json.dumps({"widget_token": token, **body}),
        headers={"Origin": SITE, "Content-Type": "text/plain"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert response.headers["access-control-allow-origin"] == SITE  # the widget can read why


@pytest.mark.parametrize("visitor_token", [123, ["fdv_x"], {"a": 1}])
async def test_a_hello_with_a_badly_typed_visitor_token_is_closed_with_4400(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle, visitor_token: object
) -> None:
    token = await allow_site(engine, workspace.id)
    async with websockets.connect(
        server_url.replace("http", "ws") + "/widget/ws", additional_headers={"Origin": SITE}
    ) as socket:
        await socket.send(json.dumps({"type": "hello", "widget_token": token, "visitor_token": visitor_token}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
        assert "visitor_token" in closed.value.rcvd.reason


@pytest.mark.parametrize("raw", [b"[not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
async def test_the_widget_session_answers_a_body_that_is_not_a_json_object_with_422(
    client: httpx.AsyncClient, raw: bytes
) -> None:
    response = await client.post("/widget/api/session", content=raw, headers={"Content-Type": "text/plain"})
    assert response.status_code == 422 and response.json()["field"] == "body"
