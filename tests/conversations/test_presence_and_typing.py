"""Presence counts every console of an agent; frames naming a conversation are checked against the workspace."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations import routing
from frontdesk.db import create_session_factory
from tests.conversations.chat_clients import Agent, Visitor, allow_site
from tests.factories import WorkspaceHandle


async def online(engine: AsyncEngine, workspace_id: int) -> list[int]:
    async with create_session_factory(engine)() as session:
        return await routing.online_agent_ids(session=session, workspace_id=workspace_id)


async def wait_until_online(engine: AsyncEngine, workspace_id: int, expected: bool, seconds: float = 5.0) -> None:
    """Polls the database (presence is a row there, written by the server process)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while bool(await online(engine, workspace_id)) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"online should be {expected}"
        await asyncio.sleep(0.1)


async def test_an_agent_stays_online_while_any_of_their_consoles_is_connected(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    first, second = Agent(server_url, workspace.admin_email), Agent(server_url, workspace.admin_email)
    for console in (first, second):
        await console.login()
        await console.connect()
    try:
        await wait_until_online(engine, workspace.id, True)
        await first.close()  # one tab closes
        await asyncio.sleep(0.5)
        assert await online(engine, workspace.id), "the other console is still connected"
        await second.close()
        await wait_until_online(engine, workspace.id, False)
    finally:
        await first.close()
        await second.close()


async def test_frames_naming_another_workspaces_conversation_are_refused_and_not_published(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    theirs = Visitor(server_url, await allow_site(engine, other_workspace.id))
    ours = Visitor(server_url, await allow_site(engine, workspace.id))
    conversation_of: dict[Visitor, int] = {}
    for visitor in (theirs, ours):
        await visitor.start_session()
        await visitor.connect()
        await visitor.send("hello", team="support")
        conversation_of[visitor] = (await visitor.expect("ack"))["conversation_id"]
    agent = Agent(server_url, workspace.admin_email)
    await agent.login()
    await agent.connect()
    try:
        for conversation_id in (conversation_of[theirs], 2**70, "1", None):
            await agent.socket.send(json.dumps({"type": "typing", "conversation_id": conversation_id}))
            assert (await agent.expect("error"))["field"] == "conversation_id"
        for conversation_id in (conversation_of[theirs], 2**70, "1"):
            await agent.send_over_socket(conversation_id, "hijack", client_id=f"x-{conversation_id}")
            assert (await agent.expect("error"))["field"] == "conversation_id"
        await agent.socket.send(json.dumps({"type": "typing", "conversation_id": conversation_of[ours]}))
        assert (await ours.expect("typing"))["author_type"] == "agent"  # the same frame works in one's own
        await asyncio.sleep(0.3)
        heard = list(theirs.events._queue)  # type: ignore[attr-defined]
        assert all(event["type"] != "typing" for event in heard)
        assert [body for _, _, body in theirs.transcript()] == ["hello"]  # their own line only
    finally:
        for client in (theirs, ours, agent):
            await client.close()
