"""Orders from CSV: importing the same file twice stores nothing twice; bad rows are reported by row and field."""

from __future__ import annotations

import httpx

from tests.factories import WorkspaceHandle

HEADER = "external_id,ordered_at,buyer_email,buyer_name,status,currency,sku,quantity,unit_price\n"
FILE = HEADER + (
    "S-1,2026-10-01T09:00:00Z,ada@example.com,Ada,completed,EUR,TEA-1,2,4.50\n"
    "S-1,2026-10-01T09:00:00Z,ada@example.com,Ada,completed,EUR,CUP-1,1,12.00\n"
    "S-2,2026-10-02T09:00:00Z,bob@example.com,Bob,completed,EUR,TEA-1,1,4.50\n"
    "S-3,2026-10-03T09:00:00Z,ada@example.com,Ada,completed,EUR,NOPE,1,1.00\n"
    "S-4,not a date,ada@example.com,Ada,completed,EUR,TEA-1,1,1.00\n"
)


async def _import(client: httpx.AsyncClient, workspace: WorkspaceHandle, text: str) -> dict:  # type: ignore[type-arg]
    response = await client.post(
        "/api/v1/orders/import", files={"file": ("orders.csv", text, "text/csv")}, headers=workspace.headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_importing_twice_stores_each_order_once_and_reports_bad_rows(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1", "Tea")
    await workspace.product("CUP-1", "Cups")
    first = await _import(client, workspace, FILE)
    assert (first["total_rows"], first["orders"], first["created"], first["failed"]) == (5, 4, 2, 2)
    assert [(e["row"], e["external_id"], e["field"]) for e in first["errors"]] == [
        (5, "S-3", "lines.0.sku"),
        (6, "S-4", "ordered_at"),
    ]
    second = await _import(client, workspace, FILE)
    assert (second["created"], second["unchanged"], second["failed"]) == (0, 2, 2)
    orders = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"]
    assert sorted((o["external_id"], o["total"]) for o in orders) == [("S-1", "21.00"), ("S-2", "4.50")]
    ada = next(o["buyer_id"] for o in orders if o["external_id"] == "S-1")
    figures = (await client.get(f"/api/v1/contacts/{ada}/figures", headers=workspace.headers)).json()
    assert (figures["orders"], figures["total_spent"], figures["ranges"]) == (1, "21.00", ["Cups", "Tea"])
    assert figures["rfm_r"] is not None  # an import ends with the RFM refresh
    refunds = HEADER + "S-1,2026-10-01T09:00:00Z,ada@example.com,Ada,refunded,EUR,TEA-1,2,4.50\n"
    third = await _import(client, workspace, refunds)
    assert (third["created"], third["status_changed"]) == (0, 1)
    figures = (await client.get(f"/api/v1/contacts/{ada}/figures", headers=workspace.headers)).json()
    assert (figures["orders"], figures["lifecycle"]) == (0, "prospect")


async def test_a_file_without_the_needed_columns_is_refused(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    response = await client.post(
        "/api/v1/orders/import",
        files={"file": ("o.csv", "external_id,sku\nX,TEA\n", "text/csv")},
        headers=workspace.headers,
    )
    assert response.status_code == 422
    assert "missing columns" in response.json()["detail"] and response.json()["errors"][0]["field"] == "file"
