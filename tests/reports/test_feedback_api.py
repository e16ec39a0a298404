"""``GET /api/v1/reports/feedback`` and its CSV: the numbers, the controls, roles, bad input, isolation, and
the older endpoints agreeing with the report (one definition per figure)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
from sqlalchemy import update

from frontdesk.commerce.schemas import ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.complaints.models import Complaint
from frontdesk.db import create_session_factory
from frontdesk.reviews.models import Review
from frontdesk.surveys.models import Survey, SurveyRecipient
from frontdesk.workspaces.models import Role, Workspace
from tests.factories import WorkspaceHandle

PARAMS = {"from": "2026-01-01", "to": "2026-03-31", "granularity": "month"}


async def answer(workspace: WorkspaceHandle, contact_id: int | None, score: int, at: datetime) -> None:
    async with create_session_factory(workspace.engine)() as session:
        survey = Survey(workspace_id=workspace.id, name=f"NPS {at}", segment="all", created_by="test")
        session.add(survey)
        await session.flush()
        session.add(
            SurveyRecipient(
                workspace_id=workspace.id,
                survey_id=survey.id,
                contact_id=contact_id,
                score=score,
                answered_at=at,
                first_answered_at=at,
            )
        )
        await session.commit()


async def complain(client: httpx.AsyncClient, workspace: WorkspaceHandle, contact_id: int, at: datetime) -> None:
    created = await client.post(
        "/api/v1/complaints", json={"contact_id": contact_id, "summary": "Late"}, headers=workspace.headers
    )
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Complaint).where(Complaint.id == created.json()["id"]).values(created_at=at))
        await session.commit()


async def _shop(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> dict[str, int]:
    """Two customers, three orders (one cancelled), one complaint and three answers, in January-February."""
    await workspace.product("TEA-1")
    bea = await workspace.contact(name="Bea", country="DE")
    cy = await workspace.contact(name="Cy", country="FR")
    await workspace.order("O-1", bea, "TEA-1", ordered_at="2026-01-10T12:00:00Z")
    await workspace.order("O-2", cy, "TEA-1", ordered_at="2026-02-10T12:00:00Z")
    await workspace.order("O-3", cy, "TEA-1", ordered_at="2026-02-11T12:00:00Z", status="cancelled")
    await complain(client, workspace, bea, datetime(2026, 2, 3, tzinfo=UTC))
    await answer(workspace, bea, 10, datetime(2026, 1, 5, tzinfo=UTC))
    await answer(workspace, cy, 7, datetime(2026, 1, 6, tzinfo=UTC))
    await answer(workspace, None, 3, datetime(2026, 2, 6, tzinfo=UTC))  # an erased recipient's answer counts
    return {"bea": bea, "cy": cy}


async def test_the_feedback_report_counts_a_small_shop_by_hand(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _shop(client, workspace)
    response = await client.get("/api/v1/reports/feedback", params=PARAMS, headers=workspace.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["labels"] == ["2026-01", "2026-02", "2026-03"]
    # January: a promoter and a passive (NPS 50); February: a detractor (-100); together 0 of 3.
    assert [row["nps"] for row in report["nps_by_bucket"]] == [50.0, -100.0, None]
    assert report["nps"] == {"answers": 3, "promoters": 1, "passives": 1, "detractors": 1, "nps": 0.0}
    # One complaint per 2 orders placed and not cancelled: 50 per 100 overall, 100 in February.
    assert report["complaints"] == {"complaints": 1, "orders": 2, "rate": 50.0}
    assert [row["rate"] for row in report["complaints_by_bucket"]] == [0.0, 100.0, None]
    assert report["referrals"] == {"new_customers": 2, "referred": 0, "rate": 0.0}
    assert report["reviews"] == {"reviews": 0, "average": None} and report["reviews_by_product"] == []
    german = await client.get(
        "/api/v1/reports/feedback", params={**PARAMS, "segment": 'country = "DE"'}, headers=workspace.headers
    )
    assert german.json()["nps"]["answers"] == 1 and german.json()["complaints"]["rate"] == 100.0


async def test_the_older_endpoints_give_the_report_s_numbers(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _shop(client, workspace)
    h = workspace.headers
    report = (await client.get("/api/v1/reports/feedback", params=PARAMS, headers=h)).json()
    period = {"since": "2026-01-01T00:00:00Z", "until": "2026-04-01T00:00:00Z"}
    nps = (await client.get("/api/v1/reports/nps", params=period, headers=h)).json()
    assert nps["overall"] == report["nps"]
    assert [row["nps"] for row in nps["over_time"]] == [row["nps"] for row in report["nps_by_bucket"][:2]]
    rate = (await client.get("/api/v1/reports/complaint-rate", params=period, headers=h)).json()
    assert (rate["complaints"], rate["orders"], rate["rate"]) == tuple(report["complaints"].values())
    referrals = (await client.get("/api/v1/reports/referrals", params=period, headers=h)).json()
    assert referrals["referral_rate"] == report["referrals"]["rate"]
    assert referrals["new_customers"] == report["referrals"]["new_customers"]


async def test_local_days_follow_the_workspace_time_zone_unless_tz_is_given(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Workspace).where(Workspace.id == workspace.id).values(time_zone="Europe/Berlin"))
        await session.commit()
    # 23:30 UTC on January 31 is 00:30 on February 1 in Berlin.
    await answer(workspace, None, 10, datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    berlin = (await client.get("/api/v1/reports/feedback", params=PARAMS, headers=workspace.headers)).json()
    assert berlin["time_zone"] == "Europe/Berlin"
    assert [row["answers"] for row in berlin["nps_by_bucket"]] == [0, 1, 0]
    utc = await client.get("/api/v1/reports/feedback", params={**PARAMS, "tz": "UTC"}, headers=workspace.headers)
    assert [row["answers"] for row in utc.json()["nps_by_bucket"]] == [1, 0, 0]


async def test_the_csv_holds_the_numbers_of_the_json(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await _shop(client, workspace)
    response = await client.get("/api/v1/reports/feedback.csv", params=PARAMS, headers=workspace.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "chart,series,label,value,unit"
    assert "nps,NPS,2026-02,-100.0," in lines
    assert "complaint-rate,Complaint rate,2026-03,,%" in lines  # no orders: no rate, not 0
    assert "complaint-rate,Orders,2026-02,1,%" in lines


async def test_only_admins_read_the_feedback_report(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    for role in (Role.agent, Role.viewer):
        headers = await workspace.key_with_role(role)
        assert (await client.get("/api/v1/reports/feedback", headers=headers)).status_code == 403
        assert (await client.get("/api/v1/reports/feedback.csv", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/reports/feedback")).status_code == 401
    default = await client.get("/api/v1/reports/feedback", headers=workspace.headers)
    assert default.status_code == 200 and len(default.json()["labels"]) == 12  # twelve months by default


async def test_bad_controls_are_422s_naming_the_field(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    cases = {
        "to": {"from": "2026-03-01", "to": "2026-02-01"},
        "tz": {"tz": "Mars/Olympus"},
        "granularity": {"granularity": "fortnight"},
        "segment": {"segment": "no such ((segment"},
        "from": {"from": "2026-13-01"},
    }
    for field, params in cases.items():
        for path in ("/api/v1/reports/feedback", "/api/v1/reports/feedback.csv"):
            response = await client.get(path, params=params, headers=workspace.headers)
            assert response.status_code == 422, (path, params, response.text)
            assert response.json()["errors"][0]["field"] == field, (path, params, response.text)


async def test_another_workspace_s_feedback_is_not_counted(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await _shop(client, other_workspace)
    report = (await client.get("/api/v1/reports/feedback", params=PARAMS, headers=workspace.headers)).json()
    assert report["nps"]["answers"] == 0 and report["complaints"] == {"complaints": 0, "orders": 0, "rate": None}
    assert report["referrals"]["new_customers"] == 0


async def test_an_empty_period_shows_zeros_and_no_rates(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await _shop(client, workspace)
    empty = {"from": "2025-01-01", "to": "2025-01-21", "granularity": "week"}
    report = (await client.get("/api/v1/reports/feedback", params=empty, headers=workspace.headers)).json()
    assert report["labels"] == ["2025-W01", "2025-W02", "2025-W03", "2025-W04"]
    assert all(row == {"complaints": 0, "orders": 0, "rate": None} for row in report["complaints_by_bucket"])
    assert all(row["answers"] == 0 and row["nps"] is None for row in report["nps_by_bucket"])


async def test_product_names_in_the_csv_cannot_run_as_formulas(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    hostile = '=HYPERLINK("http://evil.example")'
    async with create_session_factory(workspace.engine)() as session:
        product = await do_upsert_product(
            session=session, workspace_id=workspace.id, data=ProductCreate(sku="EVIL-1", name=hostile, range="R")
        )
        session.add(
            Review(
                workspace_id=workspace.id,
                product_id=product.id,
                contact_id=None,
                order_id=None,
                rating=4,
                title="T",
                body="B",
                status="approved",
                created_at=datetime(2026, 2, 1, tzinfo=UTC),
            )
        )
        await session.commit()
    report = (await client.get("/api/v1/reports/feedback", params=PARAMS, headers=workspace.headers)).json()
    assert report["reviews_by_product"] == [
        {"product_id": product.id, "sku": "EVIL-1", "name": hostile, "reviews": 1, "average": 4.0}
    ]
    response = await client.get("/api/v1/reports/feedback.csv", params=PARAMS, headers=workspace.headers)
    cells = {cell for row in csv.reader(io.StringIO(response.text)) for cell in row}
    assert f"'{hostile} (EVIL-1)" in cells and f"{hostile} (EVIL-1)" not in cells
