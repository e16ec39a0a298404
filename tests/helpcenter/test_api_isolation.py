"""Another workspace's help center through the API: every operation with an id is 404 and changes nothing;
listings and search show only the caller's own articles."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import WorkspaceHandle

# Sent with B's admin key and A's ids ({article_id}, {collection_id}); each must be a 404 changing nothing.
HELP_FOREIGN_ID_CASES: list[tuple[str, str, Any]] = [
    ("GET", "/api/v1/help/collections/{collection_id}", None),
    ("PATCH", "/api/v1/help/collections/{collection_id}", {"names": {"en": "Hijacked"}}),
    ("DELETE", "/api/v1/help/collections/{collection_id}", None),
    ("GET", "/api/v1/help/articles/{article_id}", None),
    ("PATCH", "/api/v1/help/articles/{article_id}", {"position": 9}),
    ("DELETE", "/api/v1/help/articles/{article_id}", None),
    ("POST", "/api/v1/help/articles/{article_id}/translations", {"locale": "de", "title": "Hijacked"}),
    ("GET", "/api/v1/help/articles/{article_id}/translations/en", None),
    ("PATCH", "/api/v1/help/articles/{article_id}/translations/en", {"title": "Hijacked"}),
    ("DELETE", "/api/v1/help/articles/{article_id}/translations/en", None),
    ("POST", "/api/v1/help/articles/{article_id}/translations/en/publish", None),
    ("POST", "/api/v1/help/articles/{article_id}/translations/en/unpublish", None),
    ("GET", "/api/v1/help/articles/{article_id}/translations/en/revisions", None),
    ("POST", "/api/v1/help/articles/{article_id}/translations/en/revisions/1/restore", None),
]


async def _victim(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> dict[str, int]:
    a = workspace.headers
    collection = await client.post("/api/v1/help/collections", json={"names": {"en": "Secret shelf"}}, headers=a)
    article = await client.post(
        "/api/v1/help/articles",
        json={
            "locale": "en",
            "title": "Secret returns",
            "body": "Secret text",
            "collection_id": collection.json()["id"],
        },
        headers=a,
    )
    article_id = article.json()["id"]
    await client.post(f"/api/v1/help/articles/{article_id}/translations/en/publish", headers=a)
    return {"article_id": article_id, "collection_id": collection.json()["id"]}


async def _snapshot(client: httpx.AsyncClient, workspace: WorkspaceHandle, ids: dict[str, int]) -> list[Any]:
    a = workspace.headers
    article = f"/api/v1/help/articles/{ids['article_id']}"
    return [
        (await client.get(f"/api/v1/help/collections/{ids['collection_id']}", headers=a)).json(),
        (await client.get(article, headers=a)).json(),
        (await client.get(f"{article}/translations/en/revisions", headers=a)).json(),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body"), HELP_FOREIGN_ID_CASES, ids=[f"{m} {p}" for m, p, _ in HELP_FOREIGN_ID_CASES]
)
async def test_another_workspaces_articles_and_collections_are_not_found(
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    method: str,
    path: str,
    body: Any,
) -> None:
    ids = await _victim(client, workspace)
    before = await _snapshot(client, workspace, ids)
    response = await client.request(method, path.format(**ids), json=body, headers=other_workspace.headers)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Secret" not in response.text
    assert await _snapshot(client, workspace, ids) == before


async def test_listings_search_and_references_stay_in_the_callers_workspace(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    ids = await _victim(client, workspace)
    b = other_workspace.headers
    assert (await client.get("/api/v1/help/collections", headers=b)).json() == []
    assert (await client.get("/api/v1/help/articles", headers=b)).json()["items"] == []
    assert (await client.get("/api/v1/help/search", params={"q": "secret returns"}, headers=b)).json()["items"] == []
    # A's collection named in B's article is not found (and no article is made).
    planted = await client.post(
        "/api/v1/help/articles",
        json={"locale": "en", "title": "Planted", "collection_id": ids["collection_id"]},
        headers=b,
    )
    assert planted.status_code == 404 and planted.json()["errors"][0]["field"] == "collection_id"
    own = await client.post("/api/v1/help/articles", json={"locale": "en", "title": "Own"}, headers=b)
    moved = await client.patch(
        f"/api/v1/help/articles/{own.json()['id']}", json={"collection_id": ids["collection_id"]}, headers=b
    )
    assert moved.status_code == 404
    in_a = (await client.get("/api/v1/help/articles", params={"collection_id": ids["collection_id"]}, headers=b)).json()
    assert in_a["items"] == []
    # The same slug in both workspaces is no clash.
    same = await client.post("/api/v1/help/articles", json={"locale": "en", "title": "Secret returns"}, headers=b)
    assert same.json()["translations"][0]["slug"] == "secret-returns"
