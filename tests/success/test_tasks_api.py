"""The success API: playbooks (admins write, agents read) and tasks (list filters, pages, complete, reopen)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.success.playbook_world import admin_id, agent_id, join_success_team, set_agent

API = "/api/v1/success"
SOON = (datetime.now(UTC) + timedelta(days=2)).isoformat()
PAST = (datetime.now(UTC) - timedelta(days=2)).isoformat()


def _field(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["errors"][0]["field"])


async def test_admin_creates_reads_updates_and_deletes_a_playbook(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    created = await client.post(
        f"{API}/playbooks",
        json={"name": "Lapsing", "rule": "orders>=2 and days_since_last_order>90", "task_title": "Call"},
        headers=h,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["rule"] == "orders >= 2 and days_since_last_order > 90"  # stored in canonical form
    assert (body["owner_rule"], body["due_in_days"], body["is_active"], body["open_episodes"]) == (
        "customer_owner", 3, True, 0
    )  # fmt: skip
    agent = await workspace.key_with_role(Role.agent)
    assert (await client.get(f"{API}/playbooks", headers=agent)).json()["items"][0]["name"] == "Lapsing"
    assert (await client.get(f"{API}/playbooks/{body['id']}", headers=agent)).status_code == 200
    changed = await client.patch(
        f"{API}/playbooks/{body['id']}", json={"is_active": False, "owner_rule": "round_robin"}, headers=h
    )
    assert (changed.json()["is_active"], changed.json()["owner_rule"]) == (False, "round_robin")
    assert (await client.delete(f"{API}/playbooks/{body['id']}", headers=h)).status_code == 204
    assert (await client.get(f"{API}/playbooks/{body['id']}", headers=h)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule": "ordrs >= 2"}, "rule"),
        ({"rule": "orders >="}, "rule"),
        ({"owner_rule": "whoever"}, "owner_rule"),
        ({"due_in_days": 366}, "due_in_days"),
        ({"due_in_days": -1}, "due_in_days"),
        ({"task_title": ""}, "task_title"),
        ({"name": ""}, "name"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_playbooks_are_refused_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, body: dict[str, object], field: str
) -> None:
    data = {"name": "P", "rule": "orders >= 1", "task_title": "Call", **body}
    assert _field(await client.post(f"{API}/playbooks", json=data, headers=workspace.headers)) == field


async def test_playbook_rule_errors_say_where(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    response = await client.post(
        f"{API}/playbooks", json={"name": "P", "rule": "orders >= 1 and ordrs < 2", "task_title": "T"},
        headers=workspace.headers,
    )  # fmt: skip
    assert "ordrs" in response.json()["errors"][0]["message"]
    duplicate = {"name": "Same", "rule": "orders >= 1", "task_title": "T"}
    assert (await client.post(f"{API}/playbooks", json=duplicate, headers=workspace.headers)).status_code == 201
    again = await client.post(f"{API}/playbooks", json=duplicate, headers=workspace.headers)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "name"


async def test_agents_cannot_write_playbooks_and_viewers_cannot_see_tasks(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    agent = await workspace.key_with_role(Role.agent)
    viewer = await workspace.key_with_role(Role.viewer)
    body = {"name": "P", "rule": "orders >= 1", "task_title": "T"}
    assert (await client.post(f"{API}/playbooks", json=body, headers=agent)).status_code == 403
    assert (await client.get(f"{API}/tasks", headers=viewer)).status_code == 403
    assert (await client.get(f"{API}/tasks", headers=agent)).status_code == 200


async def test_run_a_playbook_now(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await workspace.product("TEA-1")
    contact = await workspace.contact(name="Buyer")
    await workspace.order("O-1", contact, "TEA-1")
    created = await client.post(
        f"{API}/playbooks", json={"name": "P", "rule": "orders >= 1", "task_title": "Welcome call"},
        headers=workspace.headers,
    )  # fmt: skip
    url = f"{API}/playbooks/{created.json()['id']}/run"
    assert (await client.post(url, headers=workspace.headers)).json() == {"tasks_created": 1}
    assert (await client.post(url, headers=workspace.headers)).json() == {"tasks_created": 0}
    assert (await client.get(url.removesuffix("/run"), headers=workspace.headers)).json()["open_episodes"] == 1


async def test_an_agent_creates_completes_and_reopens_a_task_and_the_timeline_tells(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    contact = await workspace.contact(name="Carla Customer")
    owner = await agent_id(workspace)
    created = await client.post(
        f"{API}/tasks", json={"contact_id": contact, "title": "Offer a discount", "owner_id": owner, "due_at": SOON},
        headers=h,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    task = created.json()
    assert (task["contact_name"], task["status"], task["overdue"], task["owner_id"]) == (
        "Carla Customer", "open", False, owner
    )  # fmt: skip
    url = f"{API}/tasks/{task['id']}"
    assert _field(await client.patch(url, json={"status": "done"}, headers=h)) == "outcome"
    assert _field(await client.patch(url, json={"outcome": "Called"}, headers=h)) == "outcome"
    done = await client.patch(url, json={"status": "done", "outcome": "Called, offered 10% - ordered again"}, headers=h)
    assert done.json()["status"] == "done" and done.json()["completed_at"] is not None
    reopened = await client.patch(url, json={"status": "open"}, headers=h)
    assert (reopened.json()["status"], reopened.json()["completed_at"]) == ("open", None)
    timeline = (await client.get(f"/api/v1/contacts/{contact}/timeline", headers=h)).json()["items"]
    entries = [(e["kind"], e["summary"]) for e in timeline if e["kind"].startswith("task_")]
    assert entries == [
        ("task_reopened", "Success task reopened: Offer a discount"),
        ("task_completed", "Success task done: Offer a discount"),
        ("task_created", "Success task created: Offer a discount"),
    ]
    completed = next(e for e in timeline if e["kind"] == "task_completed")
    assert completed["data"]["outcome"] == "Called, offered 10% - ordered again"
    assert (await client.delete(url, headers=await workspace.key_with_role(Role.agent))).status_code == 403
    assert (await client.delete(url, headers=h)).status_code == 204
    assert (await client.get(url, headers=h)).status_code == 404


async def test_task_owner_and_contact_must_belong_to_the_workspace(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    contact = await workspace.contact(name="Mine")
    foreign_contact = await other_workspace.contact(name="Theirs")
    foreign_agent = await agent_id(other_workspace)
    viewer = await agent_id(workspace, Role.viewer)
    gone = await agent_id(workspace)
    await set_agent(workspace, gone, is_active=False)
    base = {"contact_id": contact, "title": "T", "due_at": SOON}
    assert _field(await client.post(f"{API}/tasks", json={**base, "contact_id": foreign_contact}, headers=h)) == (
        "contact_id"
    )
    for owner in (foreign_agent, viewer, gone):
        assert _field(await client.post(f"{API}/tasks", json={**base, "owner_id": owner}, headers=h)) == "owner_id"
    assert _field(await client.post(f"{API}/tasks", json={**base, "due_at": "2026-01-01T00:00:00"}, headers=h)) == (
        "due_at"
    )
    task = (await client.post(f"{API}/tasks", json=base, headers=h)).json()
    url = f"{API}/tasks/{task['id']}"
    assert _field(await client.patch(url, json={"owner_id": foreign_agent}, headers=h)) == "owner_id"
    assert _field(await client.patch(url, json={"title": None}, headers=h)) == "title"
    assert _field(await client.patch(url, json={"status": "later"}, headers=h)) == "status"
    me = await admin_id(workspace)
    assert (await client.patch(url, json={"owner_id": me}, headers=h)).json()["owner_id"] == me
    assert (await client.patch(url, json={"owner_id": None}, headers=h)).json()["owner_id"] is None


async def test_task_filters_and_pages(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    h = workspace.headers
    first, second = await workspace.contact(name="First"), await workspace.contact(name="Second")
    anna, ben = await agent_id(workspace), await agent_id(workspace)
    await join_success_team(workspace, anna, ben)
    made = []
    for n, (contact, owner, due) in enumerate(
        [(first, anna, PAST), (first, ben, SOON), (second, anna, SOON), (second, None, PAST), (second, ben, SOON)]
    ):
        body = {"contact_id": contact, "title": f"Task {n}", "owner_id": owner, "due_at": due}
        made.append((await client.post(f"{API}/tasks", json=body, headers=h)).json()["id"])
    await client.patch(f"{API}/tasks/{made[4]}", json={"status": "done", "outcome": "Sorted"}, headers=h)

    async def titles(**params: object) -> list[str]:
        response = await client.get(f"{API}/tasks", params=params, headers=h)
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["items"]]

    assert await titles() == ["Task 4", "Task 3", "Task 2", "Task 1", "Task 0"]
    assert await titles(owner_id=anna) == ["Task 2", "Task 0"]
    assert await titles(unassigned="true") == ["Task 3"]
    assert await titles(status="done") == ["Task 4"]
    assert await titles(status="open", owner_id=ben) == ["Task 1"]
    assert await titles(overdue="true") == ["Task 3", "Task 0"]
    assert await titles(contact_id=first) == ["Task 1", "Task 0"]
    page = (await client.get(f"{API}/tasks", params={"limit": 2}, headers=h)).json()
    seen = [t["title"] for t in page["items"]]
    while page["next_cursor"]:
        page = (await client.get(f"{API}/tasks", params={"limit": 2, "cursor": page["next_cursor"]}, headers=h)).json()
        seen += [t["title"] for t in page["items"]]
    assert seen == ["Task 4", "Task 3", "Task 2", "Task 1", "Task 0"]
    # An API key is nobody: "mine" needs a signed-in agent.
    assert _field(await client.get(f"{API}/tasks", params={"mine": "true"}, headers=h)) == "mine"
    assert _field(await client.get(f"{API}/tasks", params={"status": "pending"}, headers=h)) == "status"
    assert _field(await client.get(f"{API}/tasks", params={"cursor": "nonsense"}, headers=h)) == "cursor"
    assert _field(await client.get(f"{API}/tasks", params={"unassigned": "true", "owner_id": anna}, headers=h)) == (
        "unassigned"
    )


async def test_another_workspaces_tasks_and_playbooks_are_not_found_and_not_listed(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    a, b = workspace.headers, other_workspace.headers
    contact = await workspace.contact(name="Secret Customer")
    task = (
        await client.post(f"{API}/tasks", json={"contact_id": contact, "title": "Secret", "due_at": SOON}, headers=a)
    ).json()
    playbook = (
        await client.post(
            f"{API}/playbooks", json={"name": "Secret", "rule": "orders >= 1", "task_title": "Secret"}, headers=a
        )
    ).json()
    cases = [
        ("GET", f"{API}/tasks/{task['id']}", None),
        ("PATCH", f"{API}/tasks/{task['id']}", {"status": "done", "outcome": "planted"}),
        ("DELETE", f"{API}/tasks/{task['id']}", None),
        ("GET", f"{API}/playbooks/{playbook['id']}", None),
        ("PATCH", f"{API}/playbooks/{playbook['id']}", {"name": "Hijacked"}),
        ("POST", f"{API}/playbooks/{playbook['id']}/run", None),
        ("DELETE", f"{API}/playbooks/{playbook['id']}", None),
    ]
    for method, url, body in cases:
        response = await client.request(method, url, json=body, headers=b)
        assert response.status_code == 404, (method, url, response.text)
        assert "Secret" not in response.text
    assert (await client.get(f"{API}/tasks", headers=b)).json()["items"] == []
    assert (await client.get(f"{API}/tasks", params={"contact_id": contact}, headers=b)).json()["items"] == []
    assert (await client.get(f"{API}/playbooks", headers=b)).json()["items"] == []
    # B's task about A's contact is refused, and A's records are unchanged.
    planted = {"contact_id": contact, "title": "planted", "due_at": SOON}
    assert _field(await client.post(f"{API}/tasks", json=planted, headers=b)) == "contact_id"
    assert (await client.get(f"{API}/tasks/{task['id']}", headers=a)).json() == task
    assert (await client.get(f"{API}/playbooks/{playbook['id']}", headers=a)).json()["name"] == "Secret"
