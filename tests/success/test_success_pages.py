"""The Success page: at-risk customers by value at risk, the task tabs, completing and reassigning a task, and
the playbooks page."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from frontdesk.db import create_session_factory, utcnow
from frontdesk.success.models import CustomerHealth, CustomerPrediction, Playbook, PlaybookEpisode, SuccessTask
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.success.playbook_world import admin_id, agent_id, set_owner
from tests.workspaces.test_console_auth import csrf_of, login


async def sign_in(client: httpx.AsyncClient, email: str) -> str:
    assert (await login(client, email)).status_code == 303
    return csrf_of((await client.get("/success")).text)


def _prediction(contact_id: int, workspace_id: int, clv: float, p_alive: float) -> CustomerPrediction:
    return CustomerPrediction(
        contact_id=contact_id, workspace_id=workspace_id, frequency=2, recency_days=100, age_days=300,
        p_alive=p_alive, expected_purchases_90d=0.3, expected_purchases_365d=1.0,
        expected_order_value_minor=2000, clv_12m_minor=clv,
    )  # fmt: skip


@pytest.fixture
async def world(workspace: WorkspaceHandle) -> dict[str, int]:
    """Ann (health 20, 500.00 EUR CLV, 20% alive: 400 at risk), Bob (health 30, 1000.00, 90%: 100 at risk),
    Cay (in a playbook, nothing scored), Dee (healthy: not at risk); and three tasks."""
    ids = {name: await workspace.contact(name=name) for name in ("Ann", "Bob", "Cay", "Dee")}
    me, colleague = await admin_id(workspace), await agent_id(workspace)
    await set_owner(workspace, ids["Ann"], colleague)
    now = utcnow()
    async with create_session_factory(workspace.engine)() as session:
        playbook = Playbook(workspace_id=workspace.id, name="Quiet ones", rule="orders >= 1", task_title="Call")
        session.add(playbook)
        await session.flush()
        session.add_all(
            [
                CustomerHealth(contact_id=ids["Ann"], workspace_id=workspace.id, score=20,
                               reasons=["no order for 3 times their usual interval", "1 open complaint"]),
                CustomerHealth(contact_id=ids["Bob"], workspace_id=workspace.id, score=30, reasons=["low CSAT"]),
                CustomerHealth(contact_id=ids["Dee"], workspace_id=workspace.id, score=85, reasons=[]),
                _prediction(ids["Ann"], workspace.id, 50_000, 0.2),
                _prediction(ids["Bob"], workspace.id, 100_000, 0.9),
                _prediction(ids["Dee"], workspace.id, 900_000, 0.1),
                PlaybookEpisode(playbook_id=playbook.id, contact_id=ids["Cay"], workspace_id=workspace.id),
                SuccessTask(workspace_id=workspace.id, contact_id=ids["Ann"], title="Win Ann back", owner_id=me,
                            due_at=now - timedelta(days=2), created_by="test"),
                SuccessTask(workspace_id=workspace.id, contact_id=ids["Bob"], title="Check on Bob",
                            owner_id=colleague, due_at=now + timedelta(days=3), created_by="test"),
                SuccessTask(workspace_id=workspace.id, contact_id=ids["Dee"], title="Thank Dee", owner_id=me,
                            due_at=now - timedelta(days=9), created_by="test", status="done",
                            outcome="Called, offered 10% - ordered again", completed_at=now - timedelta(days=8)),
            ]
        )  # fmt: skip
        await session.commit()
    return {**ids, "me": me, "colleague": colleague}


async def _task_id(workspace: WorkspaceHandle, title: str) -> int:
    async with create_session_factory(workspace.engine)() as session:
        found = await session.scalar(select(SuccessTask.id).where(SuccessTask.title == title))
        assert found is not None
        return found


async def test_at_risk_customers_come_by_value_at_risk_with_health_and_owner(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, world: dict[str, int]
) -> None:
    await sign_in(client, workspace.admin_email)
    page = await client.get("/success")
    assert page.status_code == 200
    html = page.text
    risky = html.split('id="risk-h"')[1].split('id="tasks-h"')[0]
    order = [name for name in ("Ann", "Bob", "Cay") if f">{name}</a>" in risky]
    assert order == ["Ann", "Bob", "Cay"] and ">Dee</a>" not in risky
    assert risky.index(">Ann<") < risky.index(">Bob<") < risky.index(">Cay<")
    assert "no order for 3 times their usual interval" in risky and "1 open complaint" not in risky
    assert "400.00 EUR" in risky and "500.00 EUR" in risky and "20%" in risky and "100.00 EUR" in risky
    assert "Win Ann back" in risky  # Ann's open task
    assert '<a href="/success" aria-current="page">Success</a>' in html  # the nav link


@pytest.mark.parametrize(
    ("tab", "shown", "hidden"),
    [
        ("mine", ["Win Ann back"], ["Check on Bob", "Thank Dee"]),
        ("team", ["Win Ann back", "Check on Bob"], ["Thank Dee"]),
        ("overdue", ["Win Ann back"], ["Check on Bob", "Thank Dee"]),
        ("done", ["Thank Dee", "Called, offered 10% - ordered again"], ["Check on Bob"]),
    ],
)
async def test_task_tabs(
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    world: dict[str, int],
    tab: str,
    shown: list[str],
    hidden: list[str],
) -> None:
    await sign_in(client, workspace.admin_email)
    tasks = (await client.get("/success", params={"tab": tab})).text.split('id="tasks-h"')[1]
    for text in shown:
        assert text in tasks, text
    for text in hidden:
        assert text not in tasks, text


async def test_completing_a_task_needs_an_outcome_and_shows_it_under_done_and_on_the_timeline(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, world: dict[str, int]
) -> None:
    csrf = await sign_in(client, workspace.admin_email)
    task_id = await _task_id(workspace, "Win Ann back")
    url = f"/success/tasks/{task_id}/complete"
    htmx = {"HX-Request": "true"}
    refused = await client.post(url, data={"csrf_token": csrf, "outcome": "  ", "tab": "mine"}, headers=htmx)
    assert refused.status_code == 200 and 'role="alert"' in refused.text and "outcome" in refused.text
    assert 'data-status="open"' in refused.text
    assert (await client.post(url, data={"outcome": "no token"}, headers=htmx)).status_code == 403
    done = await client.post(
        url, data={"csrf_token": csrf, "outcome": "Ann ordered again", "tab": "mine"}, headers=htmx
    )
    assert 'data-status="done"' in done.text and "Ann ordered again" in done.text
    assert "Ann ordered again" in (await client.get("/success", params={"tab": "done"})).text
    assert "Win Ann back" not in (await client.get("/success", params={"tab": "mine"})).text.split('id="tasks-h"')[1]
    contact_page = (await client.get(f"/contacts/{world['Ann']}")).text
    assert "Success task done: Win Ann back" in contact_page and "Outcome: Ann ordered again" in contact_page
    assert "Success task created" not in contact_page  # made directly in the fixture, not through the service


async def test_plain_form_posts_redirect_back_to_the_tab_and_reassign(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, world: dict[str, int]
) -> None:
    csrf = await sign_in(client, workspace.admin_email)
    task_id = await _task_id(workspace, "Check on Bob")
    moved = await client.post(
        f"/success/tasks/{task_id}/assign", data={"csrf_token": csrf, "owner_id": str(world["me"]), "tab": "team"}
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/success?tab=team")
    assert "Check on Bob" in (await client.get("/success", params={"tab": "mine"})).text
    unassigned = await client.post(
        f"/success/tasks/{task_id}/assign", data={"csrf_token": csrf, "owner_id": ""}, headers={"HX-Request": "1"}
    )
    assert "Owner: unassigned" in unassigned.text
    foreign = await client.post(
        f"/success/tasks/{task_id}/assign", data={"csrf_token": csrf, "owner_id": "999999"}, headers={"HX-Request": "1"}
    )
    assert 'role="alert"' in foreign.text and "owner_id" in foreign.text


async def test_viewers_do_not_get_the_success_pages(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, world: dict[str, int]
) -> None:
    viewer = await workspace.add_agent(Role.viewer)
    assert (await login(client, viewer)).status_code == 303
    assert ">Success</a>" not in (await client.get("/contacts")).text
    assert (await client.get("/success")).status_code == 403
    assert (await client.get("/success/playbooks")).status_code == 403


async def test_another_workspaces_task_is_not_found_from_the_console(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, world: dict[str, int]
) -> None:
    csrf = await sign_in(client, other_workspace.admin_email)
    task_id = await _task_id(workspace, "Win Ann back")
    response = await client.post(f"/success/tasks/{task_id}/complete", data={"csrf_token": csrf, "outcome": "x"})
    assert response.status_code == 404
    assert "Ann" not in (await client.get("/success", params={"tab": "team"})).text


async def test_admin_creates_and_pauses_a_playbook_and_agents_only_read(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await sign_in(client, workspace.admin_email)
    form = {"csrf_token": csrf, "name": "Lapsing", "rule": "orders >= 3 and days_since_last_order > 60",
            "task_title": "Call them", "owner_rule": "round_robin", "due_in_days": "4", "is_active": "on"}  # fmt: skip
    bad = await client.post("/success/playbooks", data={**form, "rule": "ordrs >= 3"})
    assert bad.status_code == 422 and "rule:" in bad.text and "ordrs" in bad.text
    created = await client.post("/success/playbooks", data=form)
    assert (created.status_code, created.headers["location"]) == (303, "/success/playbooks")
    page = (await client.get("/success/playbooks")).text
    assert "Lapsing" in page and "orders &gt;= 3 and days_since_last_order &gt; 60" in page and "active" in page
    async with create_session_factory(workspace.engine)() as session:
        playbook = await session.scalar(select(Playbook))
        assert playbook is not None and playbook.owner_rule == "round_robin" and playbook.due_in_days == 4
    paused = await client.post(f"/success/playbooks/{playbook.id}", data={**form, "is_active": ""})
    assert paused.status_code == 303
    assert "paused" in (await client.get("/success/playbooks")).text
    agent = await workspace.add_agent(Role.agent)
    client.cookies.clear()
    agent_csrf = await sign_in(client, agent)
    agent_page = (await client.get("/success/playbooks")).text
    assert "Lapsing" in agent_page and "Create playbook" not in agent_page
    refused = await client.post("/success/playbooks", data={**form, "csrf_token": agent_csrf, "name": "Mine"})
    assert refused.status_code == 403


async def test_the_api_gives_the_same_at_risk_list_a_page_at_a_time(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, world: dict[str, int]
) -> None:
    url = "/api/v1/success/at-risk"
    everything = (await client.get(url, headers=workspace.headers)).json()
    assert (everything["total"], everything["currency"], everything["next_cursor"]) == (3, "EUR", None)
    ann, bob, cay = everything["items"]
    assert (ann["name"], ann["health"], ann["first_reason"]) == ("Ann", 20, "no order for 3 times their usual interval")
    assert (ann["clv_12m"], ann["value_at_risk"], ann["p_alive"]) == (500.0, pytest.approx(400.0), 0.2)
    assert (ann["owner_id"], ann["open_task_title"]) == (world["colleague"], "Win Ann back")
    assert (bob["name"], bob["value_at_risk"]) == ("Bob", pytest.approx(100.0))
    assert (cay["name"], cay["health"], cay["value_at_risk"]) == ("Cay", None, None)
    first = (await client.get(url, params={"limit": 2}, headers=workspace.headers)).json()
    rest = (
        await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=workspace.headers)
    ).json()
    assert [c["name"] for c in first["items"] + rest["items"]] == ["Ann", "Bob", "Cay"] and rest["next_cursor"] is None
    bad = await client.get(url, params={"cursor": "c29tZXRoaW5n"}, headers=workspace.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    viewer = await workspace.key_with_role(Role.viewer)
    assert (await client.get(url, headers=viewer)).status_code == 403
    assert (await client.get(url, headers=other_workspace.headers)).json()["items"] == []
