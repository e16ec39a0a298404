"""Referrals: a code per customer; new contacts and first orders attributed once; rate and top referrers."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.factories import WorkspaceHandle


def _order(external_id: str, buyer_id: int, day: str) -> dict[str, object]:
    return {
        "external_id": external_id,
        "buyer_id": buyer_id,
        "currency": "EUR",
        "ordered_at": f"{day}T12:00:00Z",
        "lines": [{"sku": "TEA-1", "quantity": 1, "unit_price": "10.00"}],
    }


async def test_attribution_refuses_self_referral_and_double_counting_and_the_rate_matches_a_hand_count(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    await workspace.product("TEA-1")
    rita = await workspace.contact(name="Rita Referrer")
    sam = await workspace.contact(name="Sam Other")
    carl = await workspace.contact(name="Carl Customer")
    await workspace.order("R-1", rita, "TEA-1", ordered_at="2026-01-05T12:00:00Z")
    await workspace.order("S-1", sam, "TEA-1", ordered_at="2026-01-06T12:00:00Z")
    await workspace.order("C-1", carl, "TEA-1", ordered_at="2026-03-01T12:00:00Z")

    code = await client.get(f"/api/v1/contacts/{rita}/referral-code", headers=h)
    assert code.status_code == 200, code.text
    rita_code = code.json()["code"]
    assert len(rita_code) == 8 and code.json()["link"] == f"http://127.0.0.1:8000/?ref={rita_code}"
    assert (await client.get(f"/api/v1/contacts/{rita}/referral-code", headers=h)).json()["code"] == rita_code
    sam_code = (await client.get(f"/api/v1/contacts/{sam}/referral-code", headers=h)).json()["code"]

    # A new contact arriving with Rita's code (lower case, as typed) is hers, and buys in July.
    ann = await client.post(
        "/api/v1/contacts", params={"referral_code": rita_code.lower()}, json={"name": "Ann"}, headers=h
    )
    assert ann.status_code == 201 and ann.headers["referral"] == f"counted; referrer={rita}"
    ann_id = ann.json()["id"]
    assert (await client.post("/api/v1/orders", json=_order("A-1", ann_id, "2026-07-01"), headers=h)).status_code == 201
    # Bob's first order comes with the code.
    bob = await workspace.contact(name="Bob")
    bob_order = await client.post(
        "/api/v1/orders", params={"referral_code": rita_code}, json=_order("B-1", bob, "2026-07-02"), headers=h
    )
    assert bob_order.status_code == 201 and bob_order.headers["referral"].startswith("counted")
    retried = await client.post(
        "/api/v1/orders", params={"referral_code": rita_code}, json=_order("B-1", bob, "2026-07-02"), headers=h
    )
    assert retried.status_code == 200  # the same order again: stored once, counted once
    # Carl bought before: his next order with the code is stored but not counted.
    carl_order = await client.post(
        "/api/v1/orders", params={"referral_code": rita_code}, json=_order("C-2", carl, "2026-07-03"), headers=h
    )
    assert carl_order.status_code == 201
    assert carl_order.headers["referral"] == "not counted; already a customer before this code"
    # Rita cannot refer herself: the order is refused and not stored.
    own = await client.post(
        "/api/v1/orders", params={"referral_code": rita_code}, json=_order("R-2", rita, "2026-07-04"), headers=h
    )
    assert own.status_code == 422 and own.json()["errors"][0] == {
        "field": "referral_code", "message": "a customer cannot refer themselves"
    }  # fmt: skip
    assert (await client.get("/api/v1/orders", params={"contact_id": rita}, headers=h)).json()["items"][0][
        "external_id"
    ] == "R-1"
    # Ann cannot be counted a second time, for Sam.
    twice = await client.post("/api/v1/referrals", json={"referral_code": sam_code, "contact_id": ann_id}, headers=h)
    assert twice.status_code == 409 and "already referred by another customer" in twice.json()["detail"]
    again = await client.post("/api/v1/referrals", json={"referral_code": rita_code, "contact_id": ann_id}, headers=h)
    assert again.status_code == 200
    unknown = await client.post("/api/v1/contacts", params={"referral_code": "NOPE1234"}, json={"name": "X"}, headers=h)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "referral_code"
    assert (await client.get("/api/v1/contacts", params={"q": "X"}, headers=h)).json()["items"] == []
    # Dora is a new customer who came on her own.
    dora = await workspace.contact(name="Dora")
    await client.post("/api/v1/orders", json=_order("D-1", dora, "2026-07-05"), headers=h)

    # By hand, since July: new customers Ann, Bob, Dora (Carl's first order was in March) = 3, referred 2 = 66.67.
    summer = (await client.get("/api/v1/reports/referrals", params={"since": "2026-06-01T00:00:00Z"}, headers=h)).json()
    assert (summer["new_customers"], summer["referred_new_customers"], summer["referral_rate"]) == (3, 2, 66.67)
    # All time: Rita, Sam, Carl, Ann, Bob, Dora = 6 new customers, 2 referred = 33.33.
    report = (await client.get("/api/v1/reports/referrals", headers=h)).json()
    assert (report["new_customers"], report["referred_new_customers"], report["referral_rate"]) == (6, 2, 33.33)
    assert report["referred_contacts"] == 2
    top = report["top_referrers"]
    assert [(t["contact_id"], t["code"], t["referred"], t["became_customers"]) for t in top] == [
        (rita, rita_code, 2, 2)
    ]
    assert Decimal(top[0]["revenue"]) == Decimal("20.00")
    listed = (await client.get("/api/v1/referrals", headers=h)).json()["items"]
    assert [(r["referred_name"], r["referrer_name"]) for r in listed] == [
        ("Bob", "Rita Referrer"),
        ("Ann", "Rita Referrer"),
    ]


async def test_erasing_a_referrer_keeps_the_referral_rate_and_every_count_of_the_report(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    h = workspace.headers
    await workspace.product("TEA-1")
    rita = await workspace.contact(name="Rita Referrer")
    sam = await workspace.contact(name="Sam Other")
    codes = {
        c: (await client.get(f"/api/v1/contacts/{c}/referral-code", headers=h)).json()["code"] for c in (rita, sam)
    }
    referred = []
    for name, referrer in (("Ann", rita), ("Bob", rita), ("Cid", sam)):
        contact = await client.post(
            "/api/v1/contacts", params={"referral_code": codes[referrer]}, json={"name": name}, headers=h
        )
        referred.append(contact.json()["id"])
    dee = await workspace.contact(name="Dee Direct")
    # The referrers were customers long before; the range's new customers are Ann, Bob, Cid and Dee.
    for n, buyer in enumerate((rita, sam)):
        await workspace.order(f"OLD-{n}", buyer, "TEA-1", ordered_at="2026-01-05T12:00:00Z")
    for n, buyer in enumerate([*referred, dee]):
        await workspace.order(f"NEW-{n}", buyer, "TEA-1", ordered_at="2026-07-01T12:00:00Z")
    in_range = {"since": "2026-06-01T00:00:00Z"}
    before = (await client.get("/api/v1/reports/referrals", params=in_range, headers=h)).json()
    assert (before["referral_rate"], before["referred_new_customers"], before["new_customers"]) == (75.0, 3, 4)

    assert (await client.delete(f"/api/v1/contacts/{rita}", headers=h)).status_code == 204

    after = (await client.get("/api/v1/reports/referrals", params=in_range, headers=h)).json()
    for figure in ("referral_rate", "referred_new_customers", "new_customers", "referred_contacts"):
        assert after[figure] == before[figure], figure
    # Top referrers are people: Rita's referrals still count above, under nobody's name here.
    assert [t["name"] for t in after["top_referrers"]] == ["Sam Other"]
    listed = (await client.get("/api/v1/referrals", headers=h)).json()["items"]
    assert sorted((r["referrer_name"], r["referred_name"], r["code"]) for r in listed) == [
        ("Erased customer", "Ann", ""),
        ("Erased customer", "Bob", ""),
        ("Sam Other", "Cid", codes[sam]),
    ]
