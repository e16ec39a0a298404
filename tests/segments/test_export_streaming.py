"""A large CSV export streams without holding the database: a real server keeps answering other requests.

The serving process on SQLite has one database connection (``single_sqlite_writer``). An export that kept a
session open while the client downloads would hold that connection, and every other request would wait for
the whole download.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Awaitable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts import importer
from frontdesk.db import create_session_factory
from tests.factories import WorkspaceHandle

CONTACTS = 20_000
PROMPT_SECONDS = 1.0


async def _import_contacts(engine: AsyncEngine, workspace_id: int) -> None:
    rows = ((n + 2, [f"Export {n:05d}", f"export{n}@x.example", "external"]) for n in range(CONTACTS))
    async with create_session_factory(engine)() as session:
        report = await importer.import_rows(
            session=session,
            workspace_id=workspace_id,
            header=["name", "emails", "audience"],
            rows=rows,
            atomic=False,
            actor="test",
        )
    assert report.created == CONTACTS, report.errors[:3]


async def _timed(request: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await request
    return time.perf_counter() - started, response


async def test_other_requests_are_served_promptly_while_a_large_export_streams(
    engine: AsyncEngine, workspace: WorkspaceHandle, server_url: str
) -> None:
    await _import_contacts(engine, workspace.id)
    headers = workspace.headers
    latencies: list[float] = []
    created: list[int] = []
    async with (
        httpx.AsyncClient(base_url=server_url, timeout=30) as exporter,
        httpx.AsyncClient(base_url=server_url, timeout=30, headers=headers) as other,
    ):

        async def other_requests(label: str) -> None:
            elapsed, response = await _timed(other.post("/api/v1/contacts", json={"name": f"During export {label}"}))
            assert response.status_code == 201, response.text
            created.append(response.json()["id"])
            latencies.append(elapsed)
            elapsed, response = await _timed(other.get(f"/api/v1/contacts/{created[-1]}"))
            assert response.status_code == 200, response.text
            latencies.append(elapsed)

        async with exporter.stream("GET", "/api/v1/segments/external/export", headers=headers) as response:
            assert response.status_code == 200
            chunks = response.aiter_text()
            text = [await anext(chunks)]
            # The export has begun and its client is not reading: the server is between two pages.
            for n in range(3):
                await other_requests(f"paused {n}")

            async def download() -> None:
                async for chunk in chunks:
                    text.append(chunk)
                    await asyncio.sleep(0.002)  # a client slower than the server

            downloading = asyncio.create_task(download())
            n = 0
            while not downloading.done():
                await other_requests(f"streaming {n}")
                n += 1
            await downloading
    assert n >= 3, "the export ended before requests could be made during it"
    assert max(latencies) < PROMPT_SECONDS, sorted(latencies)[-5:]
    rows = list(csv.DictReader(io.StringIO("".join(text))))
    ids = [int(row["id"]) for row in rows]
    assert len(ids) == len(set(ids)) == CONTACTS, "every contact exactly once"
    assert {row["name"] for row in rows} == {f"Export {n:05d}" for n in range(CONTACTS)}
    assert not set(created) & set(ids), "contacts created after the export began are not in it"
    assert ids == sorted(ids, reverse=True)
