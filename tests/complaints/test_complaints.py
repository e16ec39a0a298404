"""Complaints: raised from a contact, conversation, low review or survey score; worked to resolution; rate."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import update

from frontdesk.complaints.models import Complaint
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.segments.test_segment_pages import _sign_in


async def test_a_complaint_is_worked_to_resolution_and_shows_on_the_contact_timeline(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    contact_id = await workspace.contact(name="Carla")
    agents = (await client.get("/api/v1/agents", headers=h)).json()
    owner_id = agents[0]["id"]
    raised = await client.post(
        "/api/v1/complaints",
        json={
            "contact_id": contact_id,
            "summary": "Parcel arrived broken",
            "category": "delivery",
            "severity": "high",
            "owner_id": owner_id,
        },
        headers=h,
    )
    assert raised.status_code == 201, raised.text
    complaint = raised.json()
    assert (complaint["status"], complaint["source"], complaint["owner_name"]) == ("open", "api", "Admin")
    assert complaint["due_at"] > complaint["created_at"]  # the workspace's default of 7 days
    complaint_id = complaint["id"]

    not_without_resolution = await client.patch(
        f"/api/v1/complaints/{complaint_id}", json={"status": "resolved"}, headers=h
    )
    assert not_without_resolution.status_code == 422
    assert not_without_resolution.json()["errors"][0]["field"] == "resolution"
    working = await client.patch(f"/api/v1/complaints/{complaint_id}", json={"status": "in_progress"}, headers=h)
    assert working.json()["status"] == "in_progress"
    resolved = await client.patch(
        f"/api/v1/complaints/{complaint_id}",
        json={"status": "resolved", "resolution": "Sent a replacement and a voucher"},
        headers=h,
    )
    body = resolved.json()
    assert (body["status"], body["resolution"]) == ("resolved", "Sent a replacement and a voucher")
    assert body["resolved_at"] is not None and body["overdue"] is False
    assert [event["kind"] for event in body["history"]] == ["raised", "changed", "changed"]
    assert body["history"][1]["data"]["changes"]["status"] == ["open", "in_progress"]

    timeline = (await client.get(f"/api/v1/contacts/{contact_id}/timeline", headers=h)).json()["items"]
    summaries = [entry["summary"] for entry in timeline]
    assert "Complaint raised: Parcel arrived broken" in summaries
    assert "Complaint resolved: Parcel arrived broken" in summaries

    foreign_owner = await other_workspace.add_agent(Role.agent)
    other_agents = (await client.get("/api/v1/agents", headers=other_workspace.headers)).json()
    stranger = next(a["id"] for a in other_agents if a["email"] == foreign_owner)
    moved = await client.patch(f"/api/v1/complaints/{complaint_id}", json={"owner_id": stranger}, headers=h)
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "owner_id"
    two_origins = await client.post(
        "/api/v1/complaints", json={"contact_id": contact_id, "review_id": 1, "summary": "x"}, headers=h
    )
    assert two_origins.status_code == 422
    naive_due = await client.post(
        "/api/v1/complaints",
        json={"contact_id": contact_id, "summary": "x", "due_at": "2026-12-01T10:00:00"},
        headers=h,
    )
    assert naive_due.status_code == 422 and naive_due.json()["errors"][0]["field"] == "due_at"
    listed = (await client.get("/api/v1/complaints", params={"status": "resolved"}, headers=h)).json()["items"]
    assert [c["id"] for c in listed] == [complaint_id]


async def test_low_scores_are_suggested_until_a_complaint_is_raised_from_them(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    await workspace.product("TEA-1")
    unhappy = await workspace.contact(name="Uri")
    happy = await workspace.contact(name="Hana")
    await workspace.order("O-1", unhappy, "TEA-1")
    await workspace.order("O-2", happy, "TEA-1")
    low = await client.post(
        "/api/v1/reviews",
        json={"contact_id": unhappy, "sku": "TEA-1", "rating": 2, "title": "Stale", "body": "Tasted of dust"},
        headers=h,
    )
    await client.post(
        "/api/v1/reviews",
        json={"contact_id": happy, "sku": "TEA-1", "rating": 3, "title": "Fine", "body": "OK"},
        headers=h,
    )
    suggested = (await client.get("/api/v1/complaints/suggestions", headers=h)).json()
    assert [(s["source"], s["id"], s["score"]) for s in suggested] == [("review", low.json()["id"], 2)]

    # The threshold is the workspace's: at 3 stars the fine-but-not-great review is suggested too.
    await client.patch("/api/v1/feedback/settings", json={"complaint_star_threshold": 3}, headers=h)
    assert len((await client.get("/api/v1/complaints/suggestions", headers=h)).json()) == 2

    raised = await client.post(
        "/api/v1/complaints",
        json={"review_id": low.json()["id"], "summary": "Stale tea", "category": "product"},
        headers=h,
    )
    assert raised.status_code == 201
    assert (raised.json()["source"], raised.json()["contact_id"]) == ("review", unhappy)
    remaining = (await client.get("/api/v1/complaints/suggestions", headers=h)).json()
    assert [s["contact_id"] for s in remaining] == [happy]

    visitor_chat = await workspace.conversation("Where is my order?")
    from_chat = await client.post(
        "/api/v1/complaints", json={"conversation_id": visitor_chat, "summary": "Late"}, headers=h
    )
    chat = (await client.get(f"/api/v1/conversations/{visitor_chat}", headers=h)).json()
    assert (from_chat.json()["source"], from_chat.json()["contact_id"]) == ("conversation", chat["contact_id"])
    unknown_chat = await client.post(
        "/api/v1/complaints", json={"conversation_id": visitor_chat + 999, "summary": "Late"}, headers=h
    )
    assert unknown_chat.status_code == 422 and unknown_chat.json()["errors"][0]["field"] == "conversation_id"
    bad_threshold = await client.patch("/api/v1/feedback/settings", json={"complaint_star_threshold": 6}, headers=h)
    assert bad_threshold.status_code == 422


async def test_complaint_rate_per_100_orders_matches_a_hand_count(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Bea")
    # October: 3 orders count (a 4th is cancelled); November: 2 orders.
    for n, (day, status) in enumerate(
        [("2026-10-02", "completed"), ("2026-10-09", "completed"), ("2026-10-20", "refunded"),
         ("2026-10-25", "cancelled"), ("2026-11-03", "completed"), ("2026-11-20", "completed")]
    ):  # fmt: skip
        await workspace.order(f"O-{n}", buyer, "TEA-1", ordered_at=f"{day}T12:00:00Z", status=status)
    ids = []
    for summary in ("Broken lid", "Late", "Wrong tea"):
        created = await client.post("/api/v1/complaints", json={"contact_id": buyer, "summary": summary}, headers=h)
        ids.append(created.json()["id"])
    async with create_session_factory(workspace.engine)() as session:
        raised_on = [
            datetime(2026, 10, 10, tzinfo=UTC),
            datetime(2026, 11, 4, tzinfo=UTC),
            datetime(2026, 11, 21, tzinfo=UTC),
        ]
        for complaint_id, when in zip(ids, raised_on, strict=True):
            await session.execute(update(Complaint).where(Complaint.id == complaint_id).values(created_at=when))
        await session.commit()
    report = (await client.get("/api/v1/reports/complaint-rate", headers=h)).json()
    # By hand: 1 complaint / 3 orders in October = 33.33; 2 / 2 in November = 100; 3 / 5 overall = 60.
    assert (report["complaints"], report["orders"], report["rate"]) == (3, 5, 60.0)
    assert report["over_time"] == [
        {"period": "2026-10", "complaints": 1, "orders": 3, "rate": 33.33},
        {"period": "2026-11", "complaints": 2, "orders": 2, "rate": 100.0},
    ]
    november = await client.get("/api/v1/reports/complaint-rate", params={"since": "2026-11-01T00:00:00Z"}, headers=h)
    assert (november.json()["complaints"], november.json()["orders"]) == (2, 2)
    weekly = (await client.get("/api/v1/reports/complaint-rate", params={"period": "week"}, headers=h)).json()
    # Python's ISO calendar for the same dates: the database's week buckets agree with it.
    weeks = {row["period"]: (row["complaints"], row["orders"]) for row in weekly["over_time"]}
    assert weeks == {"2026-W40": (0, 1), "2026-W41": (1, 1), "2026-W43": (0, 1), "2026-W45": (1, 1), "2026-W47": (1, 1)}


async def test_an_agent_raises_a_complaint_from_the_conversation_view(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    conversation_id = await workspace.conversation("My parcel never came")
    csrf = await _sign_in(client, workspace)
    view = await client.get(f"/inbox/{conversation_id}")
    assert f'name="conversation_id" value="{conversation_id}"' in view.text
    raised = await client.post(
        "/complaints", data={"csrf_token": csrf, "conversation_id": str(conversation_id), "summary": "Lost parcel"}
    )
    assert raised.status_code == 303
    complaint = (await client.get("/api/v1/complaints", headers=workspace.headers)).json()["items"][0]
    assert (complaint["source"], complaint["conversation_id"], complaint["summary"]) == (
        "conversation", conversation_id, "Lost parcel"
    )  # fmt: skip
