"""/api/v1/help: collections and articles written, published and searched through the API, with roles."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.helpcenter.models import HelpCenter, HelpSearch
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import ApiKeyCreate
from frontdesk.workspaces.service import do_create_api_key
from tests.factories import WorkspaceHandle


async def _key(workspace: WorkspaceHandle, role: Role, scopes: list[str] | None = None) -> dict[str, str]:
    async with create_session_factory(workspace.engine)() as session:
        _, key = await do_create_api_key(
            session=session,
            workspace_id=workspace.id,
            data=ApiKeyCreate(name=f"{role} key", role=role, scopes=scopes),
            actor="test",
        )
        await session.commit()
    return {"Authorization": f"Bearer {key}"}


async def test_an_article_is_written_published_found_and_withdrawn(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    h = await _key(workspace, Role.editor)
    collection = await client.post(
        "/api/v1/help/collections", json={"names": {"en": "Returns", "de": "Rücksendungen"}}, headers=h
    )
    assert collection.status_code == 201, collection.text
    collection_id = collection.json()["id"]
    assert collection.json()["slug"] == "returns"

    created = await client.post(
        "/api/v1/help/articles",
        json={
            "locale": "en",
            "title": "How returns work",
            "body": "Send the parcel back within **30 days**.",
            "description": "Returning an order",
            "collection_id": collection_id,
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    article = created.json()
    article_id = article["id"]
    (english,) = article["translations"]
    assert english["status"] == "draft" and english["slug"] == "how-returns-work"
    assert english["published"] is None and english["url"] is None
    assert english["updated_by"].endswith("editor key")  # the key, in the history

    # A draft is not found by search.
    found = await client.get("/api/v1/help/search", params={"q": "returns"}, headers=h)
    assert found.json()["items"] == []

    published = await client.post(f"/api/v1/help/articles/{article_id}/translations/en/publish", headers=h)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    assert "<strong>30 days</strong>" in published.json()["published"]["html"]
    assert published.json()["url"].endswith("/en/articles/how-returns-work")

    german = await client.post(
        f"/api/v1/help/articles/{article_id}/translations",
        json={"locale": "de", "title": "Rücksendungen", "body": "Innerhalb von 30 Tagen."},
        headers=h,
    )
    assert german.status_code == 201 and german.json()["slug"] == "rucksendungen"

    changed = await client.patch(
        f"/api/v1/help/articles/{article_id}/translations/en",
        json={"title": "How returns work, step by step"},
        headers=h,
    )
    assert changed.json()["status"] == "changed"
    assert changed.json()["published"]["title"] == "How returns work"

    listing = (await client.get("/api/v1/help/articles", params={"status": "changed"}, headers=h)).json()
    assert [item["id"] for item in listing["items"]] == [article_id]
    assert [t["locale"] for t in listing["items"][0]["translations"]] == ["en", "de"]
    assert (await client.get("/api/v1/help/articles", params={"status": "published"}, headers=h)).json()["items"] == []
    in_collection = await client.get("/api/v1/help/articles", params={"collection_id": collection_id}, headers=h)
    assert len(in_collection.json()["items"]) == 1

    found = (await client.get("/api/v1/help/search", params={"q": "returns", "locale": "en"}, headers=h)).json()
    assert [hit["article_id"] for hit in found["items"]] == [article_id]
    assert found["items"][0]["title"] == "How returns work"  # the published copy, not the working one
    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(HelpSearch)) == 0  # not a visitor's search

    revisions = (await client.get(f"/api/v1/help/articles/{article_id}/translations/en/revisions", headers=h)).json()
    assert [r["action"] for r in revisions] == ["saved", "published", "created"]
    restored = await client.post(f"/api/v1/help/articles/{article_id}/translations/en/revisions/1/restore", headers=h)
    assert restored.json()["title"] == "How returns work"

    withdrawn = await client.post(f"/api/v1/help/articles/{article_id}/translations/en/unpublish", headers=h)
    assert withdrawn.json()["status"] == "draft"
    assert (await client.get("/api/v1/help/search", params={"q": "returns"}, headers=h)).json()["items"] == []

    moved = await client.patch(f"/api/v1/help/articles/{article_id}", json={"collection_id": None}, headers=h)
    assert moved.json()["collection_id"] is None
    kept = await client.patch(f"/api/v1/help/articles/{article_id}", json={"position": 3}, headers=h)
    assert kept.json()["collection_id"] is None and kept.json()["position"] == 3

    gone = await client.delete(f"/api/v1/help/articles/{article_id}/translations/de", headers=h)
    assert gone.status_code == 204
    read = (await client.get(f"/api/v1/help/articles/{article_id}", headers=h)).json()
    assert [t["locale"] for t in read["translations"]] == ["en"]
    assert (await client.delete(f"/api/v1/help/articles/{article_id}", headers=h)).status_code == 204
    assert (await client.get(f"/api/v1/help/articles/{article_id}", headers=h)).status_code == 404

    renamed = await client.patch(
        f"/api/v1/help/collections/{collection_id}", json={"names": {"en": "Returns and refunds"}}, headers=h
    )
    assert renamed.json()["names"] == {"en": "Returns and refunds"}
    assert len((await client.get("/api/v1/help/collections", headers=h)).json()) == 1
    assert (await client.delete(f"/api/v1/help/collections/{collection_id}", headers=h)).status_code == 204
    assert (await client.get(f"/api/v1/help/collections/{collection_id}", headers=h)).status_code == 404


async def test_pages_follow_the_cursor(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    h = workspace.headers
    ids = []
    for n in range(3):
        created = await client.post("/api/v1/help/articles", json={"locale": "en", "title": f"Article {n}"}, headers=h)
        ids.append(created.json()["id"])
    first = (await client.get("/api/v1/help/articles", params={"limit": 2}, headers=h)).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    second = (
        await client.get("/api/v1/help/articles", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h)
    ).json()
    assert [item["id"] for item in second["items"]] == [ids[0]] and second["next_cursor"] is None


async def test_roles_and_scopes(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    editor = await _key(workspace, Role.editor)
    created = await client.post(
        "/api/v1/help/articles", json={"locale": "en", "title": "Shipping times"}, headers=editor
    )
    article_id = created.json()["id"]

    agent = await _key(workspace, Role.agent)
    read = await client.get(f"/api/v1/help/articles/{article_id}", headers=agent)
    assert read.status_code == 200 and read.json()["translations"][0]["status"] == "draft"  # agents read drafts
    refused = await client.post(f"/api/v1/help/articles/{article_id}/translations/en/publish", headers=agent)
    assert refused.status_code == 403 and "editor" in refused.text
    assert (
        await client.post("/api/v1/help/collections", json={"names": {"en": "X"}}, headers=agent)
    ).status_code == 403

    viewer = await _key(workspace, Role.viewer)
    assert (await client.get("/api/v1/help/articles", headers=viewer)).status_code == 403

    read_only = await _key(workspace, Role.admin, scopes=["help:read"])
    assert (await client.get("/api/v1/help/articles", headers=read_only)).status_code == 200
    denied = await client.post(f"/api/v1/help/articles/{article_id}/translations/en/publish", headers=read_only)
    assert denied.status_code == 403 and "help:write" in denied.text
    other_scope = await _key(workspace, Role.admin, scopes=["contacts:read"])
    assert (await client.get("/api/v1/help/search", params={"q": "x"}, headers=other_scope)).status_code == 403

    published = await client.post(f"/api/v1/help/articles/{article_id}/translations/en/publish", headers=editor)
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert (await client.get("/api/v1/help/articles", headers={})).status_code == 401


async def test_bad_input_names_the_field(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    h = workspace.headers
    cases = [
        ("POST", "/api/v1/help/articles", {"locale": "fr", "title": "Bonjour"}, 422, "locale"),
        ("POST", "/api/v1/help/articles", {"locale": "en", "title": ""}, 422, "title"),
        ("POST", "/api/v1/help/articles", {"locale": "en", "title": "x", "slug": "Not A Slug"}, 422, "slug"),
        ("POST", "/api/v1/help/articles", {"locale": "en", "title": "x", "collection_id": 999}, 404, "collection_id"),
        ("POST", "/api/v1/help/collections", {"names": {"en": "  "}}, 422, "names"),
        ("POST", "/api/v1/help/collections", {"names": {"xx": "Name"}}, 422, "names.xx"),
    ]
    for method, path, body, status, field in cases:
        response = await client.request(method, path, json=body, headers=h)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [error["field"] for error in response.json()["errors"]], (body, response.json())
    await client.post("/api/v1/help/articles", json={"locale": "en", "title": "Taken", "slug": "taken"}, headers=h)
    clash = await client.post("/api/v1/help/articles", json={"locale": "en", "title": "x", "slug": "taken"}, headers=h)
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "slug"
    unknown = await client.get("/api/v1/help/search", params={"q": "x", "locale": "fr"}, headers=h)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "locale"
    assert (await client.get("/api/v1/help/articles", params={"cursor": "nonsense"}, headers=h)).status_code == 422


async def test_urls_use_the_custom_domain_when_the_help_center_has_one(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    h = await _key(workspace, Role.editor)
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="help.acme.example"))
    created = await client.post("/api/v1/help/articles", json={"locale": "en", "title": "How returns work"}, headers=h)
    article_id = created.json()["id"]
    published = await client.post(f"/api/v1/help/articles/{article_id}/translations/en/publish", headers=h)
    url = "http://help.acme.example/en/articles/how-returns-work"
    assert published.json()["url"] == url
    assert (await client.get(f"/api/v1/help/articles/{article_id}", headers=h)).json()["translations"][0]["url"] == url
    found = (await client.get("/api/v1/help/search", params={"q": "returns"}, headers=h)).json()
    assert [item["url"] for item in found["items"]] == [url]
