"""Macros: every action type checked on save, applied in order and atomically, from the API and the inbox."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from frontdesk.contacts.models import ContactTag
from frontdesk.conversations.models import Conversation, Message
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Agent, Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

API = "/api/v1/macros"


async def _macro(client: httpx.AsyncClient, workspace: WorkspaceHandle, actions: list[Any], name: str = "M") -> Any:
    response = await client.post(API, json={"name": name, "actions": actions}, headers=workspace.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _agent_id(client: httpx.AsyncClient, workspace: WorkspaceHandle, email: str) -> int:
    agents = (await client.get("/api/v1/agents", headers=workspace.headers)).json()
    return int(next(agent["id"] for agent in agents if agent["email"] == email))


async def _with_contact(workspace: WorkspaceHandle, conversation_id: int, **fields: Any) -> int:
    contact_id = await workspace.contact(**fields)
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(contact_id=contact_id)
        )
        await session.commit()
    return contact_id


async def _state(workspace: WorkspaceHandle, conversation_id: int) -> tuple[Any, ...]:
    async with create_session_factory(workspace.engine)() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        messages = (await session.scalars(select(Message.body).where(Message.conversation_id == conversation_id))).all()
        tags = (
            await session.scalars(select(ContactTag.tag).where(ContactTag.contact_id == conversation.contact_id))
        ).all()
        return (conversation.status, conversation.assignee_id, conversation.team_id, sorted(messages), sorted(tags))


async def test_a_macro_applies_every_action_type_in_order(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    email = await workspace.add_agent(Role.agent)
    agent_id = await _agent_id(client, workspace, email)
    conversation = await workspace.conversation("I want my money back")
    contact_id = await _with_contact(workspace, conversation, name="Ann Lee", first_name="Ann")
    macro = await _macro(
        client,
        workspace,
        [
            {"type": "reply", "body": "Hi {{contact.first_name}}, refund on its way. {{agent.name}}"},
            {"type": "note", "body": "Refund issued via PSP"},
            {"type": "tag", "tag": "Refund"},
            {"type": "team", "team": "sales"},
            {"type": "assign", "agent_id": agent_id},
            {"type": "status", "status": "resolved"},
        ],
        name="Refund done",
    )
    assert macro["summary"] == f"Reply, add a note, tag refund, move to sales, assign to agent {agent_id}, resolve"
    applied = await client.post(f"/api/v1/conversations/{conversation}/macros/{macro['id']}", headers=workspace.headers)
    assert applied.status_code == 200, applied.text
    read = applied.json()
    assert (read["status"], read["assignee_id"], read["team"]) == ("resolved", agent_id, "sales")
    messages = (await client.get(f"/api/v1/conversations/{conversation}/messages", headers=workspace.headers)).json()
    bodies = [m["body"] for m in messages["items"]]
    # Through an API key, {{agent.name}} is the key's name, as the author of any message it sends.
    reply_index = next(i for i, body in enumerate(bodies) if body.startswith("Hi Ann, refund on its way. "))
    assert "{{" not in bodies[reply_index] and not bodies[reply_index].endswith("our team")
    assert bodies.index("Refund issued via PSP") == reply_index + 1
    assert next(m for m in messages["items"] if m["body"] == "Refund issued via PSP")["kind"] == "note"
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)).json()
    assert contact["tags"] == ["refund"]
    # Applying it twice writes the reply again (a macro is an action, not a state) and changes nothing else.
    again = await client.post(f"/api/v1/conversations/{conversation}/macros/{macro['id']}", headers=workspace.headers)
    assert again.status_code == 200
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=workspace.headers)).json()
    assert contact["tags"] == ["refund"]


async def test_a_failing_action_rolls_back_the_whole_macro(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    conversation = await workspace.conversation("Help")
    await _with_contact(workspace, conversation, name="Ann Lee")
    # "assign me" from an API key fails after the reply, tag and status were written in the transaction.
    macro = await _macro(
        client,
        workspace,
        [
            {"type": "reply", "body": "On it"},
            {"type": "tag", "tag": "vip"},
            {"type": "status", "status": "pending"},
            {"type": "assign", "agent_id": "me"},
        ],
    )
    before = await _state(workspace, conversation)
    failed = await client.post(f"/api/v1/conversations/{conversation}/macros/{macro['id']}", headers=workspace.headers)
    assert failed.status_code == 422
    assert failed.json()["errors"][0]["field"] == "actions.3.agent_id"
    assert await _state(workspace, conversation) == before


async def test_an_agent_deactivated_since_saving_fails_the_macro_and_writes_nothing(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    email = await workspace.add_agent(Role.agent)
    agent_id = await _agent_id(client, workspace, email)
    conversation = await workspace.conversation("Help")
    macro = await _macro(
        client, workspace, [{"type": "reply", "body": "Hello"}, {"type": "assign", "agent_id": agent_id}]
    )
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Agent).where(Agent.id == agent_id).values(is_active=False))
        await session.commit()
    before = await _state(workspace, conversation)
    failed = await client.post(f"/api/v1/conversations/{conversation}/macros/{macro['id']}", headers=workspace.headers)
    assert failed.status_code == 422 and failed.json()["errors"][0]["field"] == "actions.1.agent_id"
    assert await _state(workspace, conversation) == before


@pytest.mark.parametrize(
    ("actions", "field"),
    [
        ([], "actions"),
        (["reply"], "actions.0"),
        ([{"type": "dance"}], "actions.0.type"),
        ([{"type": "reply"}], "actions.0.body"),
        ([{"type": "reply", "body": "  "}], "actions.0.body"),
        ([{"type": "reply", "body": "Hi {{contact.nickname}}"}], "actions.0.body"),
        ([{"type": "note", "body": 5}], "actions.0.body"),
        ([{"type": "tag", "tag": "no;semicolons"}], "actions.0.tag"),
        ([{"type": "tag", "tag": "x" * 51}], "actions.0.tag"),
        ([{"type": "status", "status": "closed"}], "actions.0.status"),
        ([{"type": "reply", "body": "ok"}, {"type": "team", "team": "billing"}], "actions.1.team"),
        ([{"type": "assign", "agent_id": "somebody"}], "actions.0.agent_id"),
        ([{"type": "assign", "agent_id": 99999999}], "actions.0.agent_id"),
        ([{"type": "assign", "agent_id": True}], "actions.0.agent_id"),
        ([{"type": "tag", "tag": "ok", "extra": 1}], "actions.0.extra"),
    ],
)
async def test_bad_actions_are_refused_on_save_naming_the_action_and_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, actions: list[Any], field: str
) -> None:
    response = await client.post(API, json={"name": "Bad", "actions": actions}, headers=workspace.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert (await client.get(API, headers=workspace.headers)).json()["items"] == []


async def test_another_workspaces_agent_cannot_be_assigned_by_a_macro(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    foreign_agent = await _agent_id(client, other_workspace, other_workspace.admin_email)
    response = await client.post(
        API, json={"name": "X", "actions": [{"type": "assign", "agent_id": foreign_agent}]}, headers=workspace.headers
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "actions.0.agent_id"


async def test_macro_crud_and_unique_names(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    macro = await _macro(client, workspace, [{"type": "status", "status": "resolved"}], name="Close")
    duplicate = await client.post(
        API, json={"name": "Close", "actions": [{"type": "tag", "tag": "x"}]}, headers=workspace.headers
    )
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "name"
    url = f"{API}/{macro['id']}"
    patched = await client.patch(url, json={"actions": [{"type": "tag", "tag": "Done"}]}, headers=workspace.headers)
    assert patched.status_code == 200 and patched.json()["actions"] == [{"type": "tag", "tag": "done"}]
    assert patched.json()["name"] == "Close"
    bad = await client.patch(url, json={"actions": [{"type": "status"}]}, headers=workspace.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "actions.0.status"
    assert (await client.get(url, headers=workspace.headers)).json()["actions"] == [{"type": "tag", "tag": "done"}]
    assert (await client.delete(url, headers=workspace.headers)).status_code == 204
    assert (await client.get(url, headers=workspace.headers)).status_code == 404


async def test_another_workspaces_macros_and_conversations_are_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    macro = await _macro(client, workspace, [{"type": "reply", "body": "Secret reply"}], name="Secret")
    conversation = await workspace.conversation("Secret question")
    own_macro = await _macro(client, other_workspace, [{"type": "status", "status": "resolved"}])
    own_conversation = await other_workspace.conversation("Mine")
    b = other_workspace.headers
    for method, url, body in (
        ("GET", f"{API}/{macro['id']}", None),
        ("PATCH", f"{API}/{macro['id']}", {"name": "Hijacked"}),
        ("DELETE", f"{API}/{macro['id']}", None),
        ("POST", f"/api/v1/conversations/{conversation}/macros/{own_macro['id']}", None),
        ("POST", f"/api/v1/conversations/{own_conversation}/macros/{macro['id']}", None),
    ):
        response = await client.request(method, url, json=body, headers=b)
        assert response.status_code == 404, (method, url)
        assert "Secret" not in response.text
    assert (await client.get(f"{API}/{macro['id']}", headers=workspace.headers)).json()["name"] == "Secret"
    read = (await client.get(f"/api/v1/conversations/{conversation}", headers=workspace.headers)).json()
    assert read["status"] == "open"


async def test_the_inbox_lists_and_applies_macros_as_the_signed_in_agent(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings/chat")).text)
    conversation = await workspace.conversation("Hello")
    admin_id = await _agent_id(client, workspace, workspace.admin_email)
    added = await client.post(
        "/settings/macros",
        data={"csrf_token": csrf, "name": "Take it", "reply": "Hi, {{agent.name}} here.", "assign": "me"},
    )
    assert added.status_code == 303
    listed = (await client.get(f"/inbox/{conversation}/macros.json")).json()
    assert listed == [{"id": listed[0]["id"], "name": "Take it", "summary": "Reply, assign to me"}]
    named = await _macro(client, workspace, [{"type": "assign", "agent_id": admin_id}], name="To the admin")
    assert named["summary"] == f"Assign to agent {admin_id}"
    menu = {item["name"]: item["summary"] for item in (await client.get(f"/inbox/{conversation}/macros.json")).json()}
    assert menu["To the admin"] == "Assign to Admin"  # the inbox names the agent
    await client.delete(f"{API}/{named['id']}", headers=workspace.headers)
    forged = await client.post(f"/inbox/{conversation}/macros/{listed[0]['id']}")
    assert forged.status_code == 403
    applied = await client.post(f"/inbox/{conversation}/macros/{listed[0]['id']}", headers={"X-CSRF-Token": csrf})
    assert applied.status_code == 204
    read = (await client.get(f"/api/v1/conversations/{conversation}", headers=workspace.headers)).json()
    assert read["assignee_id"] == admin_id and read["last_message"] == "Hi, Admin here."
    bad = await client.post("/settings/macros", data={"csrf_token": csrf, "name": "Empty"})
    assert bad.status_code == 422 and "actions" in bad.text
    edited = await client.post(
        f"/settings/macros/{listed[0]['id']}", data={"csrf_token": csrf, "name": "Close", "status": "resolved"}
    )
    assert edited.status_code == 303
    macro = (await client.get(f"{API}/{listed[0]['id']}", headers=workspace.headers)).json()
    assert (macro["name"], macro["actions"]) == ("Close", [{"type": "status", "status": "resolved"}])
    deleted = await client.post(f"/settings/macros/{listed[0]['id']}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert (await client.get(f"/inbox/{conversation}/macros.json")).json() == []
