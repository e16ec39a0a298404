"""The console's CSV import: upload, progress while it runs, the result after a reload, and the refused
rows as a CSV report; imports are seen only in their own workspace."""

from __future__ import annotations

import asyncio
import csv
import io
import re

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts.models import Contact
from frontdesk.db import create_session_factory
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

GOOD_AND_BAD = (
    "name,emails,country\n"
    "Zoë Adams,zoe@x.example,DE\n"
    "Bad Mail,not-an-email,DE\n"
    "Ann Berg,ann@x.example,XX\n"
    '"=HYPERLINK(""x"")",h@x.example,FR\n'
    "Bob Stone,bob@x.example,\n"
)


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/contacts/import")).text)


async def _upload(client: httpx.AsyncClient, token: str, text: str, **extra: str) -> httpx.Response:
    """As the page's script sends a file: the raw body, the name and the CSRF token in headers."""
    headers = {"Content-Type": "text/csv", "X-CSRF-Token": token, "X-File-Name": "customers.csv"}
    return await client.post("/contacts/import", params=extra, content=text.encode(), headers=headers)


async def _finished(client: httpx.AsyncClient, job_url: str) -> str:
    for _ in range(200):
        block = (await client.get(f"{job_url}/progress")).text
        if 'data-import-state="done"' in block:
            assert "hx-trigger" not in block  # the page stops polling
            return block
        assert 'hx-trigger="every 1s"' in block and "<progress" in block
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def _count(engine: AsyncEngine, workspace_id: int) -> int:
    async with create_session_factory(engine)() as session:
        return int(
            await session.scalar(select(func.count(Contact.id)).where(Contact.workspace_id == workspace_id)) or 0
        )


async def test_an_import_reports_progress_result_and_refused_rows(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, signed_in: str
) -> None:
    started = await _upload(client, signed_in, GOOD_AND_BAD)
    assert started.status_code == 303
    job_url = started.headers["location"]
    assert re.fullmatch(r"/contacts/import/[\w-]+", job_url)
    block = await _finished(client, job_url)
    assert "3 contacts imported, 2 rows refused." in block
    assert 'value="100"' in block
    assert await _count(engine, workspace.id) == 3
    # A reload shows the same result.
    page = await client.get(job_url)
    assert "3 contacts imported, 2 rows refused." in page.text and "customers.csv" in page.text
    report = await client.get(f"{job_url}/errors.csv")
    assert report.headers["content-type"].startswith("text/csv")
    assert 'filename="customers-errors.csv"' in report.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [row["row"] for row in rows] == ["3", "4"]
    assert rows[0]["field"].startswith("emails") and rows[1]["field"] == "country"
    assert all(row["message"] for row in rows)
    # The list of recent imports on the import page names it.
    assert "customers.csv" in (await client.get("/contacts/import")).text


async def test_all_or_nothing_imports_nothing_when_a_row_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, signed_in: str
) -> None:
    started = await _upload(client, signed_in, GOOD_AND_BAD, atomic="on")
    block = await _finished(client, started.headers["location"])
    assert "Nothing imported: 2 rows refused" in block
    assert await _count(engine, workspace.id) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "Choose a CSV file"), ("name\n", "no rows below it"), ("\x00\x01binary", "cannot be imported")],
)
async def test_a_file_that_cannot_be_imported_is_refused_at_once(
    content: str, message: str, client: httpx.AsyncClient, signed_in: str
) -> None:
    if content:
        response = await _upload(client, signed_in, content)
    else:
        response = await client.post("/contacts/import", data={"csrf_token": signed_in, "file": ""})
    assert response.status_code == 422 and message in response.text


async def test_a_bad_header_stops_the_import_with_its_reason(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, signed_in: str
) -> None:
    started = await _upload(client, signed_in, "name,favourite_colour\nAnn,blue\n")
    block = await _finished(client, started.headers["location"])
    assert "Stopped:" in block and "favourite_colour" in block and "Nothing was imported" in block
    assert await _count(engine, workspace.id) == 0


async def test_another_workspace_cannot_see_an_import(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, signed_in: str
) -> None:
    started = await _upload(client, signed_in, GOOD_AND_BAD)
    job_url = started.headers["location"]
    await _finished(client, job_url)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        await login(other, other_workspace.admin_email)
        for path in (job_url, f"{job_url}/progress", f"{job_url}/errors.csv"):
            assert (await other.get(path)).status_code == 404
        assert "customers.csv" not in (await other.get("/contacts/import")).text


async def test_an_upload_without_the_forms_token_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, signed_in: str
) -> None:
    headers = {"Content-Type": "text/csv", "X-File-Name": "customers.csv"}
    response = await client.post("/contacts/import", content=GOOD_AND_BAD.encode(), headers=headers)
    assert response.status_code == 403
    assert await _count(engine, workspace.id) == 0


async def test_the_plain_form_imports_without_a_script(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, signed_in: str
) -> None:
    """A browser running no script posts the form as multipart: the guard admits it for this page only."""
    started = await client.post(
        "/contacts/import",
        data={"csrf_token": signed_in},
        files={"file": ("shop.csv", GOOD_AND_BAD.encode(), "text/csv")},
    )
    assert started.status_code == 303, started.text
    block = await _finished(client, started.headers["location"])
    assert "3 contacts imported, 2 rows refused." in block
    assert await _count(engine, workspace.id) == 3
