"""widget_config: the look from the settings, the agents shown, "usually replies in" and each team's hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select, update

from frontdesk.conversations.models import ChatSettings, Conversation, Presence, Team
from frontdesk.conversations.routing import do_set_presence, ensure_default_teams
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.conversations.widget_config import initials, median_reply_seconds, reply_time_seconds, widget_config
from frontdesk.db import create_session_factory, utcnow
from frontdesk.workspaces.models import Agent, Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


async def _config(workspace: WorkspaceHandle) -> dict[str, Any]:
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        config = await widget_config(session=session, settings=settings)
        await session.commit()
        return config


async def _agents(workspace: WorkspaceHandle, count: int) -> list[int]:
    emails = [await workspace.add_agent(Role.agent) for _ in range(count)]
    async with create_session_factory(workspace.engine)() as session:
        await ensure_default_teams(session=session, workspace_id=workspace.id)
        await session.commit()
        rows = list((await session.scalars(select(Agent.id).where(Agent.email.in_(emails)).order_by(Agent.id))).all())
        for number, agent_id in enumerate(rows):
            await session.execute(update(Agent).where(Agent.id == agent_id).values(display_name=f"Agent {number}"))
        await session.commit()
        return rows


async def test_the_look_comes_from_the_settings(workspace: WorkspaceHandle) -> None:
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        settings.color, settings.position, settings.language = "#ff0066", "left", "de"
        settings.launcher_text, settings.launcher_icon = "Fragen?", "wave"
        settings.welcome_message, settings.offline_message = "Hallo!", "Wir sind offline."
        await session.commit()
    config = await _config(workspace)
    assert {key: config[key] for key in ("color", "position", "language", "launcher_text", "launcher_icon")} == {
        "color": "#ff0066", "position": "left", "language": "de", "launcher_text": "Fragen?", "launcher_icon": "wave",
    }  # fmt: skip
    assert (config["greeting"], config["offline_message"]) == ("Hallo!", "Wir sind offline.")
    assert set(config) == {
        "color", "position", "launcher_text", "launcher_icon", "language", "greeting", "offline_message", "agents",
        "reply_time_seconds", "teams", "help",
    }  # fmt: skip


async def test_up_to_three_active_agents_online_first(workspace: WorkspaceHandle) -> None:
    ids = await _agents(workspace, 4)
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Agent).where(Agent.id == ids[0]).values(is_active=False))
        await session.execute(
            update(Agent)
            .where(Agent.id == ids[3])
            .values(display_name="Zoe Online", avatar_url="https://x.example/z.png")
        )
        online = await session.get(Agent, ids[3])
        assert online is not None
        await do_set_presence(session=session, agent=online, status=Presence.online)
        await session.commit()
    agents = (await _config(workspace))["agents"]
    assert len(agents) == 3
    assert agents[0] == {"name": "Zoe Online", "initials": "ZO", "avatar_url": "https://x.example/z.png"}
    assert "Agent 0" not in {agent["name"] for agent in agents}  # deactivated
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(
            update(ChatSettings).where(ChatSettings.workspace_id == workspace.id).values(show_agents=False)
        )
        await session.commit()
    assert (await _config(workspace))["agents"] == []


def test_initials() -> None:
    assert [initials(name) for name in ("Ann Lee", "ann", "Jean-Paul de la Tour", "  ", "Ö z")] == [
        "AL", "AN", "JD", "?", "ÖZ",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("seconds", "median"),
    [([10, 20, 30, 40, 1000], 30.0), ([60, 60, 120, 120, 600, 900], 120.0), ([1, 2, 3, 4], None), ([], None)],
)
def test_median_reply_seconds(seconds: list[int], median: float | None) -> None:
    start = utcnow()
    assert median_reply_seconds([(start, start + timedelta(seconds=s)) for s in seconds]) == median


async def test_reply_time_is_the_median_of_the_last_30_days_answered_conversations(
    workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    now = utcnow()
    answered = {45: 10, 40: 900, 20: 30, 10: 60, 5: 90, 2: 3000, 1: 120}  # days ago -> seconds to first answer
    for days_ago, seconds in answered.items():
        conversation = await workspace.conversation(f"Question {days_ago}")
        created = now - timedelta(days=days_ago)
        async with create_session_factory(workspace.engine)() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation)
                .values(created_at=created, first_response_at=created + timedelta(seconds=seconds))
            )
            await session.commit()
    await workspace.conversation("Never answered")
    await other_workspace.conversation("Elsewhere")
    async with create_session_factory(workspace.engine)() as session:
        # Within 30 days: 30, 60, 90, 3000, 120 -> median 90. The 45- and 40-day-old ones do not count.
        assert await reply_time_seconds(session=session, workspace_id=workspace.id) == 90.0
        assert await reply_time_seconds(session=session, workspace_id=other_workspace.id) is None
    assert (await _config(workspace))["reply_time_seconds"] == 90.0


async def test_teams_say_whether_they_are_open_and_online(workspace: WorkspaceHandle) -> None:
    ids = await _agents(workspace, 1)
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(
            update(Team).where(Team.workspace_id == workspace.id, Team.key == "sales").values(office_hours={"mon": []})
        )
        agent = await session.get(Agent, ids[0])
        assert agent is not None
        await do_set_presence(session=session, agent=agent, status=Presence.online)
        await session.commit()
    teams = (await _config(workspace))["teams"]
    assert teams["sales"] == {"name": "Sales", "open_now": False, "online": True}
    assert teams["support"] == {"name": "Support", "open_now": True, "online": True}
    assert teams["success"] == {"name": "Success", "open_now": True, "online": False}


async def test_widget_config_costs_a_few_queries(workspace: WorkspaceHandle) -> None:
    await _agents(workspace, 5)
    await _config(workspace)  # warms the reply-time cache, as every page load after the first finds it
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        event.listen(workspace.engine.sync_engine, "before_cursor_execute", count)
        try:
            await widget_config(session=session, settings=settings)
        finally:
            event.remove(workspace.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) <= 5, statements  # the fifth: the help center's suggestions (helpcenter.widget_help)


async def test_the_look_form_validates_and_saves(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings/chat")).text)
    look = {
        "csrf_token": csrf, "look": "1", "color": "#00AA55", "position": "left", "launcher_text": "Help?",
        "launcher_icon": "help", "language": "de", "welcome_message": "Hallo", "offline_message": "Später",
    }  # fmt: skip
    saved = await client.post("/settings/chat", data=look)
    assert saved.status_code == 303
    config = await _config(workspace)
    assert (config["color"], config["position"], config["language"], config["agents"]) == ("#00aa55", "left", "de", [])
    for field, bad in (("color", "red"), ("position", "top"), ("launcher_icon", "rocket"), ("language", "xx")):
        refused = await client.post("/settings/chat", data={**look, field: bad})
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text, field
    assert (await _config(workspace))["color"] == "#00aa55"
    viewer = await workspace.add_agent(Role.agent)
    await login(client, viewer)
    agent_csrf = csrf_of((await client.get("/settings/chat")).text)
    assert (await client.post("/settings/chat", data={**look, "csrf_token": agent_csrf})).status_code == 403


async def test_admins_set_agent_pictures_to_http_urls_only(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    ids = await _agents(workspace, 1)
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings/chat")).text)
    url = f"/settings/chat/agents/{ids[0]}/avatar"
    for bad in ("javascript:alert(1)", "ftp://x.example/a.png", "https://x.example/a b.png"):
        refused = await client.post(url, data={"csrf_token": csrf, "avatar_url": bad})
        assert refused.status_code == 422, bad
    assert (
        await client.post(url, data={"csrf_token": csrf, "avatar_url": "https://cdn.example/a.png"})
    ).status_code == 303
    async with create_session_factory(workspace.engine)() as session:
        agent = await session.get(Agent, ids[0])
        assert agent is not None and agent.avatar_url == "https://cdn.example/a.png"


async def test_the_preview_page_carries_the_unsaved_look_and_may_be_framed_by_the_console_only(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    preview = await client.get(
        "/settings/chat/preview", params={"color": "#123456", "language": "de", "launcher_text": "<b>x</b>"}
    )
    assert preview.status_code == 200
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert 'data-preview="true"' in preview.text and "&#34;#123456&#34;" in preview.text
    assert "<b>x</b>" not in preview.text and "<script>" not in preview.text
    half_typed = await client.get("/settings/chat/preview", params={"color": "#12"})
    assert "&#34;#2456d3&#34;" in half_typed.text  # an invalid value shows the saved one
    settings_page = await client.get("/settings/chat")
    assert settings_page.headers["x-frame-options"] == "DENY"
