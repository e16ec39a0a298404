"""Console pages of the feedback side: build and send a survey, moderate reviews, work a complaint, referrals."""

from __future__ import annotations

import re

import httpx

from tests.factories import PASSWORD, WorkspaceHandle
from tests.workspaces.test_console_auth import login


async def _sign_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    response = await login(client, workspace.admin_email, PASSWORD)
    assert response.status_code == 303
    match = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/surveys")).text)
    assert match is not None
    return match.group(1)


async def test_console_builds_sends_and_reports_a_survey(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Ann", emails=["ann@example.com"])
    await workspace.order("O-1", buyer, "TEA-1")
    csrf = await _sign_in(client, workspace)
    missing = await client.post("/surveys", data={"csrf_token": csrf, "name": "", "segment": "lapsed"})
    assert missing.status_code == 422 and "name" in missing.text
    created = await client.post("/surveys", data={"csrf_token": csrf, "name": "Winter NPS", "segment": "lapsed"})
    assert created.status_code == 303
    survey_url = created.headers["location"]
    sent = await client.post(f"{survey_url}/send", data={"csrf_token": csrf})
    assert sent.status_code == 303
    page = await client.get(sent.headers["location"])
    assert "Sent to 1 new recipient" in page.text and "export the links" in page.text
    links = await client.get(f"{survey_url}/links.csv")
    link = links.text.splitlines()[1].split(",")[3]
    await client.post(
        link.replace("http://127.0.0.1:8000", ""), data={"score": "4", "comment": "Too slow, disappointed"}
    )
    results = await client.get(survey_url)
    assert "1 answer: 0 promoters" in results.text and "Too slow, disappointed" in results.text
    assert 'class="sentiment negative"' in results.text
    assert "-100.0" in (await client.get("/surveys/report")).text
    forged = await client.post(f"{survey_url}/send", data={"csrf_token": "forged"})
    assert forged.status_code == 403


async def test_console_moderates_reviews_and_works_complaints(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Bo")
    await workspace.order("O-1", buyer, "TEA-1")
    review = await client.post(
        "/api/v1/reviews",
        json={"contact_id": buyer, "sku": "TEA-1", "rating": 1, "title": "Bad", "body": "<b>Broken</b> seal"},
        headers=h,
    )
    review_id = review.json()["id"]
    csrf = await _sign_in(client, workspace)
    queue = await client.get("/reviews")
    assert "Broken seal" in queue.text and "<b>" not in queue.text
    no_reason = await client.post(
        f"/reviews/{review_id}/moderate", data={"csrf_token": csrf, "action": "rejected", "back": "pending"}
    )
    assert no_reason.status_code == 422 and "give the reason" in no_reason.text
    approved = await client.post(
        f"/reviews/{review_id}/moderate", data={"csrf_token": csrf, "action": "approved", "back": "pending"}
    )
    assert approved.status_code == 303
    await client.post(f"/reviews/{review_id}/moderate", data={"csrf_token": csrf, "reply": "We are sorry!"})
    read = (await client.get(f"/api/v1/reviews/{review_id}", headers=h)).json()
    assert (read["status"], read["reply"]) == ("approved", "We are sorry!")

    complaints = await client.get("/complaints")
    assert "Raise complaint" in complaints.text and "Bo gave 1" in complaints.text
    raised = await client.post(
        "/complaints", data={"csrf_token": csrf, "review_id": str(review_id), "summary": "Broken seal"}
    )
    assert raised.status_code == 303
    complaint_url = raised.headers["location"]
    unresolved = await client.post(complaint_url, data={"csrf_token": csrf, "status": "resolved"})
    assert unresolved.status_code == 422 and "say how the complaint was resolved" in unresolved.text
    resolved = await client.post(
        complaint_url,
        data={"csrf_token": csrf, "status": "resolved", "resolution": "Refunded", "due_at": "2026-12-24"},
    )
    assert resolved.status_code == 303
    detail = await client.get(complaint_url)
    assert "Resolution:</strong> Refunded" in detail.text and "open → resolved" in detail.text
    timeline = await client.get(f"/contacts/{buyer}")
    assert "Complaint resolved: Broken seal" in timeline.text

    code = (await client.get(f"/api/v1/contacts/{buyer}/referral-code", headers=h)).json()["code"]
    await client.post("/api/v1/contacts", params={"referral_code": code}, json={"name": "Newbie"}, headers=h)
    referrals = await client.get("/referrals")
    assert referrals.status_code == 200 and "Newbie" in referrals.text and code in referrals.text
