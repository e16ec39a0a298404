from __future__ import annotations

import httpx

from tests.factories import WorkspaceHandle


async def test_list_read_reply_and_resolve(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    h = workspace.headers
    first = await workspace.conversation("Where is my order?", team="support")
    second = await workspace.conversation("Do you sell gift cards?", team="sales")
    listed = (await client.get("/api/v1/conversations", headers=h)).json()
    assert [c["id"] for c in listed["items"]] == [second, first]
    assert listed["items"][0]["unanswered"] and listed["items"][0]["last_message"] == "Do you sell gift cards?"
    sales = (await client.get("/api/v1/conversations", params={"team": "sales"}, headers=h)).json()["items"]
    assert [c["id"] for c in sales] == [second]

    reply = await client.post(
        f"/api/v1/conversations/{first}/messages", json={"body": "On its way!", "client_id": "r1"}, headers=h
    )
    assert reply.status_code == 201 and reply.json()["seq"] == 2
    again = await client.post(
        f"/api/v1/conversations/{first}/messages", json={"body": "On its way!", "client_id": "r1"}, headers=h
    )
    assert again.status_code == 200 and again.json()["id"] == reply.json()["id"]

    note = await client.post(
        f"/api/v1/conversations/{first}/messages", json={"body": "check DHL", "kind": "note"}, headers=h
    )
    assert note.status_code == 201
    visible = (
        await client.get(f"/api/v1/conversations/{first}/messages", params={"include_notes": "false"}, headers=h)
    ).json()
    assert [m["body"] for m in visible["items"]] == ["Where is my order?", "On its way!"]
    after = (await client.get(f"/api/v1/conversations/{first}/messages", params={"after_seq": 2}, headers=h)).json()
    assert [m["seq"] for m in after["items"]] == [3] and after["last_seq"] == 3

    resolved = await client.patch(f"/api/v1/conversations/{first}", json={"status": "resolved"}, headers=h)
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["status"] == "resolved" and not body["unanswered"]
    assert body["first_response_seconds"] is not None and body["resolution_seconds"] is not None
    log = (await client.get(f"/api/v1/conversations/{first}/messages", headers=h)).json()["items"]
    assert log[-1]["author_type"] == "system" and "resolved" in log[-1]["body"]


async def test_assignment_and_its_validation(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    h = workspace.headers
    conversation = await workspace.conversation()
    agents = (await client.get("/api/v1/agents", headers=h)).json()
    assigned = await client.patch(
        f"/api/v1/conversations/{conversation}", json={"assignee_id": agents[0]["id"]}, headers=h
    )
    assert assigned.json()["assignee_name"] == agents[0]["display_name"]
    mine = (await client.get("/api/v1/conversations", params={"assignee_id": agents[0]["id"]}, headers=h)).json()
    assert [c["id"] for c in mine["items"]] == [conversation]
    unassigned = (await client.get("/api/v1/conversations", params={"unassigned": "true"}, headers=h)).json()
    assert unassigned["items"] == []
    bad = await client.patch(f"/api/v1/conversations/{conversation}", json={"assignee_id": 999999}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "assignee_id"
    bad_team = await client.patch(f"/api/v1/conversations/{conversation}", json={"team": "marketing"}, headers=h)
    assert bad_team.status_code == 422 and bad_team.json()["errors"][0]["field"] == "team"
    empty = await client.patch(f"/api/v1/conversations/{conversation}", json={}, headers=h)
    assert empty.status_code == 422
    for body, field in [
        ({"body": ""}, "body"),
        ({"body": "x", "kind": "shout"}, "kind"),
        ({"body": "x", "client_id": "has spaces"}, "client_id"),
    ]:
        response = await client.post(f"/api/v1/conversations/{conversation}/messages", json=body, headers=h)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
