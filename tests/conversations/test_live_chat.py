"""Visitor and agent over real WebSockets against a running `frontdesk serve`."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conversations.chat_clients import Agent, Visitor, allow_site
from tests.factories import WorkspaceHandle
from tests.live_server import LiveServer


async def test_visitor_and_agent_chat_both_ways(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    agent = Agent(server_url, workspace.admin_email)
    await agent.login()
    await agent.connect()
    visitor = Visitor(server_url, token)
    session = await visitor.start_session()
    assert session["status"] == 200 and session["conversation"] is None
    assert session["online"]["support"] is True  # the admin's console is connected
    await visitor.connect()
    try:
        client_id = await visitor.send("Hi, is the blue mug in stock?", team="sales", name="Mia")
        ack = await visitor.expect("ack")
        assert ack["client_id"] == client_id and ack["message"]["seq"] == 1
        seen = await agent.expect("message")
        assert seen["message"]["body"] == "Hi, is the blue mug in stock?"
        conversation_id = seen["conversation_id"]

        reply = await agent.reply(conversation_id, "Yes, <b>3 left</b>!")
        assert reply.status_code == 200 and "&lt;b&gt;3 left&lt;/b&gt;" in reply.text
        assert (await visitor.wait_for_body("Yes, <b>3 left</b>!"))["author_name"] == "Admin"

        await agent.reply(conversation_id, "VIP customer", kind="note")
        await agent.expect("message", conversation_id=conversation_id)
        await visitor.send("Great, thanks")
        await visitor.expect("ack")
        assert [body for _, _, body in visitor.transcript()] == [
            "Hi, is the blue mug in stock?",
            "Yes, <b>3 left</b>!",
            "Great, thanks",
        ]  # the private note never reached the visitor
    finally:
        await visitor.close()
        await agent.close()


async def test_other_origins_and_unknown_tokens_are_refused(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    intruder = Visitor(server_url, token, origin="https://evil.example")
    refused = await intruder.start_session()
    assert refused["status"] == 403 and refused["field"] == "origin"
    unknown = Visitor(server_url, "fdw_nope")
    assert (await unknown.start_session())["status"] == 404
    legit = Visitor(server_url, token)
    await legit.start_session()
    socket = await websockets.connect(
        server_url.replace("http", "ws") + "/widget/ws", additional_headers={"Origin": "https://evil.example"}
    )
    await socket.send(json.dumps({"type": "hello", "widget_token": token, "visitor_token": legit.visitor_token}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_reconnect_resumes_from_the_last_seen_message_and_retries_are_stored_once(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    agent = Agent(server_url, workspace.admin_email)
    await agent.login()
    visitor = Visitor(server_url, token)
    await visitor.start_session()
    await visitor.connect()
    await visitor.send("first", client_id="v1")
    conversation_id = (await visitor.expect("ack"))["conversation_id"]
    await visitor.close()  # the connection drops

    for text in ("reply one", "reply two"):
        assert (await agent.reply(conversation_id, text)).status_code == 200
    # The visitor's retry of an unacknowledged message, with the same client id, after reconnecting.
    ready = await visitor.connect()
    assert [m["body"] for m in ready["messages"]] == ["reply one", "reply two"]
    await visitor.send("first", client_id="v1")
    assert (await visitor.expect("ack"))["message"]["seq"] == 1
    await visitor.send("second", client_id="v2")
    assert (await visitor.expect("ack"))["message"]["seq"] == 4

    async with httpx.AsyncClient() as http:
        stored = (
            await http.get(f"{server_url}/api/v1/conversations/{conversation_id}/messages", headers=workspace.headers)
        ).json()["items"]
    assert [(m["seq"], m["body"]) for m in stored] == [(1, "first"), (2, "reply one"), (3, "reply two"), (4, "second")]
    assert visitor.transcript() == [(m["seq"], m["author_type"], m["body"]) for m in stored]
    await visitor.close()
    await agent.close()


async def test_a_server_restart_mid_conversation_loses_nothing(
    engine: AsyncEngine, workspace: WorkspaceHandle, database: object, tmp_path: object
) -> None:
    server = LiveServer(database.url, tmp_path)  # type: ignore[arg-type]
    server.start()
    try:
        token = await allow_site(engine, workspace.id)
        agent = Agent(server.url, workspace.admin_email)
        await agent.login()
        visitor = Visitor(server.url, token)
        await visitor.start_session()
        await visitor.connect()
        await visitor.send("before the crash")
        conversation_id = (await visitor.expect("ack"))["conversation_id"]
        await agent.reply(conversation_id, "answer before the crash")
        await visitor.wait_for_body("answer before the crash")

        server.kill()
        await visitor.close()
        server.start()  # same port, same database

        await visitor.connect()
        await agent.reply(conversation_id, "answer after the restart")
        await visitor.send("after the restart")
        await visitor.expect("ack")
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient() as http:
            stored = (
                await http.get(
                    f"{server.url}/api/v1/conversations/{conversation_id}/messages", headers=workspace.headers
                )
            ).json()["items"]
        expected = ["before the crash", "answer before the crash", "answer after the restart", "after the restart"]
        assert [m["body"] for m in stored] == expected
        assert [m["seq"] for m in stored] == [1, 2, 3, 4]
        assert [body for _, _, body in visitor.transcript()] == expected
        await visitor.close()
        await agent.close()
    finally:
        server.stop()


async def test_visitors_are_rate_limited_with_a_clear_error(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    visitor = Visitor(server_url, token)
    await visitor.start_session()
    await visitor.connect()
    for i in range(12):
        await visitor.send(f"spam {i}")
    error = await visitor.expect("error")
    assert error["code"] == "rate_limited" and "too fast" in error["message"]
    await visitor.close()


async def test_agent_writes_over_the_socket_idempotently_and_bad_frames_get_errors(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    visitor = Visitor(server_url, token)
    await visitor.start_session()
    await visitor.connect()
    await visitor.send("hello?")
    conversation_id = (await visitor.expect("ack"))["conversation_id"]
    agent = Agent(server_url, workspace.admin_email)
    await agent.login()
    await agent.connect()
    try:
        for _ in range(2):
            await agent.send_over_socket(conversation_id, "Hi there", client_id="agent-1")
            ack = await agent.expect("ack")
            assert ack["message"]["seq"] == 2
        assert (await visitor.wait_for_body("Hi there"))["author_type"] == "agent"
        await agent.send_over_socket(999999, "lost?", client_id="agent-2")
        assert (await agent.expect("error"))["field"] == "conversation_id"
        await agent.send_over_socket(conversation_id, "", client_id="agent-3")
        assert (await agent.expect("error"))["field"] == "body"
    finally:
        await visitor.close()
        await agent.close()
