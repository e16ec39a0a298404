from __future__ import annotations

import httpx

from tests.factories import WorkspaceHandle


async def test_created_contact_reads_back_with_canonical_values(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    body = {
        "kind": "person",
        "first_name": "Anna",
        "last_name": "Müller",
        "emails": ["Anna.Mueller@Example.COM"],
        "phones": ["030 1234567"],
        "country": "de",
        "region": "de-by",
        "market": "b2c",
        "stage": "prospect",  # accepted: what every new contact is (tests/contacts/test_stage.py)
        "roles": ["customer", "consumer"],
        "tags": ["VIP", "newsletter"],
    }
    created = await client.post("/api/v1/contacts", json=body, headers=workspace.headers)
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["name"] == "Anna Müller"
    assert contact["emails"] == ["Anna.Mueller@example.com"]
    assert contact["phones"] == ["+49301234567"]
    assert (contact["country"], contact["region"]) == ("DE", "DE-BY")
    assert contact["tags"] == ["newsletter", "vip"]
    assert contact["stage"] == "prospect"
    read = await client.get(f"/api/v1/contacts/{contact['id']}", headers=workspace.headers)
    assert read.json() == contact


async def test_organisation_keeps_vat_eori_and_reseller_flag(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    response = await client.post(
        "/api/v1/contacts",
        json={
            "kind": "organisation",
            "name": "Candy Wholesale GmbH",
            "vat_number": "DE 136 695 976",
            "eori_number": "DE123456789012345",
            "is_reseller": True,
            "market": "b2b",
        },
        headers=workspace.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["vat_number"], body["eori_number"], body["is_reseller"]) == (
        "DE136695976",
        "DE123456789012345",
        True,
    )


async def test_patch_changes_only_the_fields_sent_and_records_them_on_the_timeline(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    contact_id = await workspace.contact(first_name="Ben", last_name="Smith", emails=["ben@example.com"], country="GB")
    response = await client.patch(
        f"/api/v1/contacts/{contact_id}", json={"last_name": "Jones", "market": "b2c"}, headers=workspace.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["market"], body["emails"], body["country"]) == (
        "Ben Jones",
        "b2c",
        ["ben@example.com"],
        "GB",
    )
    timeline = (await client.get(f"/api/v1/contacts/{contact_id}/timeline", headers=workspace.headers)).json()
    changed = timeline["items"][0]
    assert changed["kind"] == "updated"
    assert changed["data"]["changes"]["last_name"] == ["Smith", "Jones"]
    assert changed["data"]["changes"]["market"] == [None, "b2c"]
    assert "stage" not in changed["data"]["changes"]


async def test_patch_with_null_clears_an_optional_field(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    contact_id = await workspace.contact(country="FR", region="FR-IDF")
    response = await client.patch(f"/api/v1/contacts/{contact_id}", json={"region": None}, headers=workspace.headers)
    assert response.json()["region"] is None
    assert response.json()["country"] == "FR"


async def test_list_pages_through_every_contact_once_newest_first(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    ids = [await workspace.contact() for _ in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/contacts", params=params, headers=workspace.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)


async def test_list_filters_by_search_tag_stage_audience_market_and_country(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    anna = await workspace.contact(
        name="Anna Berg", emails=["anna@berg.example"], tags=["vip"], country="SE", market="b2c"
    )
    await workspace.product("TEA")
    await workspace.order("A-1", anna, "TEA")  # her completed order makes her a customer
    await workspace.contact(name="Bob Stone", emails=["bob@stone.example"], country="DE", market="b2b")
    finance = await workspace.contact(name="Finance Team", audience="internal", department="Finance")

    async def ids(**params: str) -> list[int]:
        response = await client.get("/api/v1/contacts", params=params, headers=workspace.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(q="BERG") == [anna]
    assert await ids(q="anna@berg") == [anna]
    assert await ids(tag="VIP") == [anna]
    assert await ids(stage="customer") == [anna]
    assert await ids(audience="internal") == [finance]
    assert await ids(market="b2c") == [anna]
    assert await ids(country="se") == [anna]
    assert await ids(q="nobody") == []


async def test_notes_appear_on_the_timeline_newest_first(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    contact_id = await workspace.contact()
    for body in ("first", "second"):
        response = await client.post(
            f"/api/v1/contacts/{contact_id}/notes", json={"body": body}, headers=workspace.headers
        )
        assert response.status_code == 201
    items = (await client.get(f"/api/v1/contacts/{contact_id}/timeline", headers=workspace.headers)).json()["items"]
    assert [item["body"] for item in items if item["kind"] == "note"] == ["second", "first"]
    assert items[-1]["kind"] == "created"


async def test_user_acts_for_organisation_and_customer_buys_for_consumer(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    organisation = await workspace.contact(kind="organisation", name="Toys Ltd")
    user = await workspace.contact(name="Uma User", roles=["user"])
    parent = await workspace.contact(name="Pat Parent", roles=["customer"])
    child = await workspace.contact(name="Kim Child", roles=["consumer"])

    linked = await client.post(
        f"/api/v1/contacts/{user}/relationships",
        json={"kind": "acts_for", "to_contact_id": organisation},
        headers=workspace.headers,
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["relationships"][0] | {"id": 0} == {
        "id": 0,
        "kind": "acts_for",
        "direction": "outgoing",
        "other_contact_id": organisation,
        "other_contact_name": "Toys Ltd",
    }
    bought = await client.post(
        f"/api/v1/contacts/{parent}/relationships",
        json={"kind": "buys_for", "to_contact_id": child},
        headers=workspace.headers,
    )
    assert bought.status_code == 201
    child_view = (await client.get(f"/api/v1/contacts/{child}", headers=workspace.headers)).json()
    assert [(r["kind"], r["direction"], r["other_contact_id"]) for r in child_view["relationships"]] == [
        ("buys_for", "incoming", parent)
    ]


async def test_only_a_person_acts_for_an_organisation(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    person = await workspace.contact(name="Uma User")
    other_person = await workspace.contact(name="Not An Org")
    response = await client.post(
        f"/api/v1/contacts/{person}/relationships",
        json={"kind": "acts_for", "to_contact_id": other_person},
        headers=workspace.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to_contact_id"


async def test_custom_attributes_are_typed_per_workspace(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    for definition in (
        {"key": "plan", "label": "Plan", "type": "choice", "choices": ["basic", "pro"]},
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "renews_on", "label": "Renews on", "type": "date"},
    ):
        assert (await client.post("/api/v1/attributes", json=definition, headers=workspace.headers)).status_code == 201
    ok = await client.post(
        "/api/v1/contacts",
        json={"name": "Typed", "attributes": {"plan": "pro", "seats": "12", "renews_on": "2027-01-31"}},
        headers=workspace.headers,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["attributes"] == {"plan": "pro", "seats": 12, "renews_on": "2027-01-31"}
    bad = await client.post(
        "/api/v1/contacts",
        json={"name": "Typed", "attributes": {"plan": "gold", "seats": "many", "colour": "red"}},
        headers=workspace.headers,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"attributes.plan", "attributes.seats", "attributes.colour"}


async def test_patch_merges_attributes_key_by_key_and_null_clears_lists(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    for key in ("plan", "team"):
        await client.post(
            "/api/v1/attributes", json={"key": key, "label": key, "type": "text"}, headers=workspace.headers
        )
    contact_id = await workspace.contact(tags=["vip"], attributes={"plan": "pro", "team": "red"})
    response = await client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"attributes": {"team": "blue", "plan": None}, "tags": None},
        headers=workspace.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["attributes"] == {"team": "blue"}
    assert response.json()["tags"] == []
