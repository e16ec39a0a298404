"""A customer's owner: set through the API and the CSV import, validated, filtered by, and on the timeline."""

from __future__ import annotations

import csv
import io

import httpx

from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle


async def agent_id(client: httpx.AsyncClient, workspace: WorkspaceHandle, email: str) -> int:
    agents = (await client.get("/api/v1/agents", headers=workspace.headers)).json()
    return int(next(agent["id"] for agent in agents if agent["email"] == email))


async def new_agent(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> int:
    return await agent_id(client, workspace, await workspace.add_agent(Role.agent))


async def test_owner_is_set_read_changed_and_cleared_with_an_event_each_time(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    anna, ben = await new_agent(client, workspace), await new_agent(client, workspace)
    created = await client.post("/api/v1/contacts", json={"name": "Olga", "owner_id": anna}, headers=h)
    assert created.status_code == 201, created.text
    assert created.json()["owner_id"] == anna
    assert created.json()["owner"] == {"id": anna, "display_name": "Agent agent"}
    contact = created.json()["id"]
    changed = await client.patch(f"/api/v1/contacts/{contact}", json={"owner_id": ben}, headers=h)
    assert changed.status_code == 200 and changed.json()["owner_id"] == ben
    # A patch without owner_id leaves the owner alone; the same owner again records nothing.
    renamed = await client.patch(f"/api/v1/contacts/{contact}", json={"name": "Olga K", "owner_id": ben}, headers=h)
    assert renamed.json()["owner_id"] == ben
    cleared = await client.patch(f"/api/v1/contacts/{contact}", json={"owner_id": None}, headers=h)
    assert cleared.json()["owner_id"] is None and cleared.json()["owner"] is None
    timeline = (await client.get(f"/api/v1/contacts/{contact}/timeline", headers=h)).json()["items"]
    owner_events = [entry for entry in timeline if entry["kind"] == "owner_changed"]
    assert [(e["data"]["from"], e["data"]["to"]) for e in owner_events] == [(ben, None), (anna, ben)]
    latest = owner_events[0]["summary"]
    assert latest.startswith("Owner changed: Agent agent <") and latest.endswith("> → nobody")
    assert owner_events[1]["data"]["changes"]["owner"][1].startswith("Agent agent <")
    unowned = await client.post("/api/v1/contacts", json={"name": "Nobody's"}, headers=h)
    assert unowned.json()["owner_id"] is None and unowned.json()["owner"] is None


async def test_owner_must_be_an_active_agent_of_the_same_workspace(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    foreign = await new_agent(client, other_workspace)
    retired = await new_agent(client, workspace)
    await client.patch(f"/api/v1/agents/{retired}", json={"is_active": False}, headers=h)
    contact = (await client.post("/api/v1/contacts", json={"name": "Olga"}, headers=h)).json()["id"]
    for owner in (foreign, retired, 9_999_999, 0, "x"):
        created = await client.post("/api/v1/contacts", json={"name": "Mallory", "owner_id": owner}, headers=h)
        assert created.status_code == 422, (owner, created.text)
        assert created.json()["errors"][0]["field"] == "owner_id"
        patched = await client.patch(f"/api/v1/contacts/{contact}", json={"owner_id": owner}, headers=h)
        assert patched.status_code == 422, (owner, patched.text)
        assert patched.json()["errors"][0]["field"] == "owner_id"
    # The refused agent of another workspace is not named or described.
    refused = await client.patch(f"/api/v1/contacts/{contact}", json={"owner_id": foreign}, headers=h)
    assert "Rival" not in refused.text and other_workspace.admin_email not in refused.text
    names = (await client.get("/api/v1/contacts", headers=h)).json()["items"]
    assert [c["name"] for c in names] == ["Olga"]  # nothing half-written
    assert names[0]["owner_id"] is None


async def test_contacts_list_filters_by_owner_and_by_no_owner(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    anna, ben = await new_agent(client, workspace), await new_agent(client, workspace)
    annas = [await workspace.contact(name=f"Anna's {i}", owner_id=anna) for i in range(2)]
    bens = await workspace.contact(name="Ben's", owner_id=ben)
    nobodys = await workspace.contact(name="Nobody's")

    async def ids(**params: object) -> list[int]:
        response = await client.get("/api/v1/contacts", params=params, headers=h)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await ids(owner_id=anna) == annas[::-1]
    assert await ids(owner_id=ben) == [bens]
    assert await ids(unowned="true") == [nobodys]
    assert await ids(owner_id=anna, q="anna's 1") == [annas[1]]
    assert len(await ids()) == 4
    both = await client.get("/api/v1/contacts", params={"owner_id": anna, "unowned": "true"}, headers=h)
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "owner_id"
    bad = await client.get("/api/v1/contacts", params={"owner_id": "-1"}, headers=h)
    assert bad.status_code == 422


async def test_csv_import_sets_the_owner_by_e_mail_and_rejects_unknown_agents(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    anna_email = await workspace.add_agent(Role.agent)
    anna = await agent_id(client, workspace, anna_email)
    retired_email = await workspace.add_agent(Role.agent)
    retired = await agent_id(client, workspace, retired_email)
    await client.patch(f"/api/v1/agents/{retired}", json={"is_active": False}, headers=h)
    foreign_email = await other_workspace.add_agent(Role.agent)
    rows = [
        ["name", "emails", "owner"],
        ["Owned", "owned@example.com", anna_email.upper()],
        ["Unowned", "unowned@example.com", ""],
        ["Stranger", "stranger@example.com", "nobody@acme.example"],
        ["Foreign", "foreign@example.com", foreign_email],
        ["Retired", "retired@example.com", retired_email],
    ]
    text = "\n".join(",".join(row) for row in rows) + "\n"
    response = await client.post("/api/v1/contacts/import", files={"file": ("c.csv", text, "text/csv")}, headers=h)
    report = response.json()
    assert response.status_code == 200, response.text
    assert (report["created"], report["failed"]) == (2, 3)
    errors = {error["row"]: error for error in report["errors"]}
    assert set(errors) == {4, 5, 6}
    assert all(error["field"] == "owner" for error in errors.values())
    assert "nobody@acme.example" in errors[4]["message"]
    assert "deactivated" in errors[6]["message"]
    contacts = {c["name"]: c for c in (await client.get("/api/v1/contacts", headers=h)).json()["items"]}
    assert set(contacts) == {"Owned", "Unowned"}
    assert contacts["Owned"]["owner_id"] == anna and contacts["Unowned"]["owner_id"] is None
    # An atomic import with a bad owner writes nothing.
    atomic = await client.post(
        "/api/v1/contacts/import",
        params={"atomic": "true"},
        files={"file": ("c.csv", "name,owner\nNew,nobody@acme.example\n", "text/csv")},
        headers=h,
    )
    assert atomic.status_code == 422 and atomic.json()["report"]["errors"][0]["field"] == "owner"


async def test_export_writes_the_owner_column_the_import_reads(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    anna_email = await workspace.add_agent(Role.agent)
    await workspace.contact(
        name="Owned", emails=["owned@example.com"], owner_id=await agent_id(client, workspace, anna_email)
    )
    await workspace.contact(name="Unowned")
    exported = await client.get("/api/v1/segments/external/export", headers=h)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {row["name"]: row["owner"] for row in rows} == {"Owned": anna_email, "Unowned": ""}
    # The same file imports into a workspace that has an agent with that address.
    await other_workspace.add_agent(Role.agent)
    other_agents = (await client.get("/api/v1/agents", headers=other_workspace.headers)).json()
    text = exported.text.replace(anna_email, other_agents[-1]["email"])
    imported = await client.post(
        "/api/v1/contacts/import", files={"file": ("c.csv", text, "text/csv")}, headers=other_workspace.headers
    )
    assert imported.json()["created"] == 2, imported.text
    owned = (await client.get("/api/v1/contacts", params={"q": "owned@"}, headers=other_workspace.headers)).json()
    assert owned["items"][0]["owner_id"] == other_agents[-1]["id"]


async def test_merging_keeps_the_targets_owner_or_takes_the_duplicates(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    anna, ben = await new_agent(client, workspace), await new_agent(client, workspace)
    owned = await workspace.contact(name="Owned", owner_id=anna)
    duplicate = await workspace.contact(name="Owned too", owner_id=ben)
    merged = await client.post(f"/api/v1/contacts/{owned}/merge", json={"duplicate_id": duplicate}, headers=h)
    assert merged.status_code == 200, merged.text
    assert merged.json()["owner_id"] == anna
    unowned = await workspace.contact(name="Unowned")
    duplicate = await workspace.contact(name="Unowned too", owner_id=ben)
    merged = await client.post(f"/api/v1/contacts/{unowned}/merge", json={"duplicate_id": duplicate}, headers=h)
    assert merged.json()["owner_id"] == ben
