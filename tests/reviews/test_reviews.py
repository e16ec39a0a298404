"""Reviews: only on a completed order of the product, one per buyer and product, moderated, then public."""

from __future__ import annotations

import httpx

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_session_factory
from tests.factories import WorkspaceHandle


async def _site_key(workspace: WorkspaceHandle) -> str:
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        await session.commit()
        return settings.widget_token


async def _shop(workspace: WorkspaceHandle) -> dict[str, int]:
    await workspace.product("TEA-1")
    await workspace.product("CUP-1")
    ids = {
        "ann": await workspace.contact(first_name="Ann", last_name="Archer"),
        "bob": await workspace.contact(name="Bob Baker"),
        "cat": await workspace.contact(name="Cat"),
    }
    ids["ann_order"] = await workspace.order("O-1", ids["ann"], "TEA-1")
    ids["bob_order"] = await workspace.order("O-2", ids["bob"], "TEA-1", "CUP-1")
    ids["cat_order"] = await workspace.order("O-3", ids["cat"], "TEA-1", status="refunded")
    return ids


def _review(contact_id: int, sku: str, rating: int = 5, **fields: object) -> dict[str, object]:
    return {"contact_id": contact_id, "sku": sku, "rating": rating, "title": "Lovely", "body": "Great tea.", **fields}


async def test_a_review_needs_a_completed_order_of_that_product(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    ids = await _shop(workspace)
    h = workspace.headers
    never_bought = await client.post("/api/v1/reviews", json=_review(ids["ann"], "CUP-1"), headers=h)
    assert never_bought.status_code == 422
    assert never_bought.json()["errors"][0] == {
        "field": "sku", "message": "a review needs a completed order of this product by this customer"
    }  # fmt: skip
    refunded = await client.post("/api/v1/reviews", json=_review(ids["cat"], "TEA-1"), headers=h)
    assert refunded.status_code == 422
    unknown_sku = await client.post("/api/v1/reviews", json=_review(ids["ann"], "NOPE"), headers=h)
    assert unknown_sku.json()["errors"][0]["field"] == "sku"
    bad = await client.post("/api/v1/reviews", json=_review(ids["ann"], "TEA-1", rating=6), headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rating"
    only_markup = await client.post("/api/v1/reviews", json=_review(ids["ann"], "TEA-1", body="<b></b>"), headers=h)
    assert only_markup.status_code == 422 and only_markup.json()["errors"][0]["field"] == "body"
    ok = await client.post("/api/v1/reviews", json=_review(ids["ann"], "TEA-1"), headers=h)
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert (body["status"], body["verified_purchase"], body["order_id"]) == ("pending", True, ids["ann_order"])
    assert body["sentiment"] > 0.05


async def test_one_review_per_buyer_and_product_editing_sends_it_back_to_the_queue(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    ids = await _shop(workspace)
    h = workspace.headers
    first = (await client.post("/api/v1/reviews", json=_review(ids["bob"], "TEA-1"), headers=h)).json()
    approved = await client.patch(f"/api/v1/reviews/{first['id']}", json={"status": "approved"}, headers=h)
    assert approved.json()["status"] == "approved" and approved.json()["moderated_by"]
    edited = await client.post(
        "/api/v1/reviews", json=_review(ids["bob"], "TEA-1", rating=2, body="Went stale fast."), headers=h
    )
    assert edited.status_code == 200
    assert (edited.json()["id"], edited.json()["rating"], edited.json()["status"]) == (first["id"], 2, "pending")
    listed = (await client.get("/api/v1/reviews", params={"sku": "TEA-1"}, headers=h)).json()["items"]
    assert len(listed) == 1


async def test_moderation_states_and_what_the_public_sees(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    ids = await _shop(workspace)
    h = workspace.headers
    ann = (await client.post("/api/v1/reviews", json=_review(ids["ann"], "TEA-1", rating=5), headers=h)).json()
    bob = (
        await client.post(
            "/api/v1/reviews",
            json=_review(
                ids["bob"], "TEA-1", rating=2, title="<i>Meh</i>", body="Bitter<script>alert(1)</script>\nSorry"
            ),
            headers=h,
        )
    ).json()
    assert (bob["title"], bob["body"]) == ("Meh", "Bitter\nSorry")
    spam = (await client.post("/api/v1/reviews", json=_review(ids["bob"], "CUP-1", rating=1), headers=h)).json()
    queue = (await client.get("/api/v1/reviews", params={"status": "pending"}, headers=h)).json()["items"]
    assert {r["id"] for r in queue} == {ann["id"], bob["id"], spam["id"]}

    no_reason = await client.patch(f"/api/v1/reviews/{spam['id']}", json={"status": "rejected"}, headers=h)
    assert no_reason.status_code == 422
    rejected = await client.patch(
        f"/api/v1/reviews/{spam['id']}", json={"status": "rejected", "rejection_reason": "Not about the cup"}, headers=h
    )
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == ("rejected", "Not about the cup")
    await client.patch(f"/api/v1/reviews/{ann['id']}", json={"status": "approved"}, headers=h)
    replied = await client.patch(
        f"/api/v1/reviews/{bob['id']}", json={"status": "approved", "reply": "Sorry! Try brewing 3 minutes."}, headers=h
    )
    assert replied.json()["reply"] == "Sorry! Try brewing 3 minutes."
    queue = (await client.get("/api/v1/reviews", params={"status": "pending"}, headers=h)).json()["items"]
    assert queue == []

    site_key = await _site_key(workspace)
    public = await client.get(f"/api/v1/public/{site_key}/products/TEA-1/reviews")  # no key
    assert public.status_code == 200 and public.headers["access-control-allow-origin"] == "*"
    data = public.json()
    assert (data["average"], data["count"]) == (3.5, 2)
    assert data["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert [(r["author"], r["verified_purchase"]) for r in data["items"]] == [("Bob B.", True), ("Ann A.", True)]
    assert data["items"][0]["body_html"] == "Bitter<br>Sorry" and data["items"][0]["reply"].startswith("Sorry!")
    cups = (await client.get(f"/api/v1/public/{site_key}/products/CUP-1/reviews")).json()
    assert (cups["count"], cups["average"], cups["items"]) == (0, None, [])  # rejected stays private

    page = await client.get(f"/reviews/{site_key}/TEA-1")
    assert page.status_code == 200 and "3.5" in page.text and "Verified purchase" in page.text
    assert "<script>" not in page.text and "Not about the cup" not in page.text
    other_key = await _site_key(other_workspace)
    assert (await client.get(f"/api/v1/public/{other_key}/products/TEA-1/reviews")).status_code == 404
    assert (await client.get("/api/v1/public/fdw_nope/products/TEA-1/reviews")).status_code == 404


async def test_the_review_link_opens_the_buyers_order_and_cannot_be_forged_or_moved(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    ids = await _shop(workspace)
    h = workspace.headers
    link = await client.post(f"/api/v1/orders/{ids['bob_order']}/review-link", headers=h)
    assert link.status_code == 200, link.text
    token = link.json()["url"].rsplit("/r/", 1)[1]
    refunded = await client.post(f"/api/v1/orders/{ids['cat_order']}/review-link", headers=h)
    assert refunded.status_code == 422
    foreign = await client.post(f"/api/v1/orders/{ids['bob_order']}/review-link", headers=other_workspace.headers)
    assert foreign.status_code == 404

    page = await client.get(f"/r/{token}")
    assert page.status_code == 200 and "Tea-1" in page.text and "Cup-1" in page.text
    tea_id = (await client.get("/api/v1/products", headers=h)).json()["items"][0]["id"]
    saved = await client.post(
        f"/r/{token}", data={"product_id": str(tea_id), "rating": "4", "title": "Good", "body": "Nice and fresh"}
    )
    assert saved.status_code == 200 and "Your review is saved" in saved.text
    again = await client.post(
        f"/r/{token}", data={"product_id": str(tea_id), "rating": "5", "title": "Better", "body": "Even better"}
    )
    assert again.status_code == 200
    reviews = (await client.get("/api/v1/reviews", params={"contact_id": ids["bob"]}, headers=h)).json()["items"]
    assert [(r["rating"], r["title"], r["order_id"]) for r in reviews] == [(5, "Better", ids["bob_order"])]
    no_stars = await client.post(f"/r/{token}", data={"product_id": str(tea_id), "title": "x", "body": "y"})
    assert no_stars.status_code == 422 and "Choose from 1 to 5 stars" in no_stars.text

    payload, signature = token.split(".")
    for forged in (f"{payload}.{signature[::-1]}", f"{payload[:-1]}.{signature}", "x.y"):
        assert (await client.get(f"/r/{forged}")).status_code == 404
    # A product that is not in the order cannot be slipped in through the link.
    other_product = await workspace.product("POT-1")
    slipped = await client.post(
        f"/r/{token}", data={"product_id": str(other_product), "rating": "5", "title": "x", "body": "y"}
    )
    assert slipped.status_code == 404
