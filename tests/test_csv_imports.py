"""Every CSV import entry point (API and CLI, contacts and orders) answers any file with a clear 4xx / CLI error
or a report, never a 500 or a traceback, and stores exactly the rows its report says it stored."""

from __future__ import annotations

import asyncio
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from frontdesk.app import create_app
from frontdesk.cli import app as cli_app
from frontdesk.commerce.models import Order
from frontdesk.contacts import importer as contacts_importer
from frontdesk.contacts.models import Contact, ContactEvent
from frontdesk.db import create_session_factory
from frontdesk.settings import Settings
from tests.factories import WorkspaceHandle

ENTRY_POINTS = [
    "api contacts",
    "api contacts atomic",
    "api orders",
    "cli contacts",
    "cli contacts atomic",
    "cli orders",
]
CONTACT_COLUMNS = ["name", "emails", "phones", "country", "vat_number", "tags", "kind"]
ORDER_COLUMNS = ["external_id", "ordered_at", "buyer_email", "currency", "sku", "quantity", "unit_price"]


@dataclass
class Outcome:
    status: int  # HTTP status, or the CLI's exit code
    detail: str
    report: dict[str, Any] | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Stored:
    contacts: int
    orders: int
    event_id: int


async def _stored(engine: AsyncEngine, workspace_id: int) -> Stored:
    async with create_session_factory(engine)() as session:
        contacts = await session.scalar(select(func.count(Contact.id)).where(Contact.workspace_id == workspace_id))
        orders = await session.scalar(select(func.count(Order.id)).where(Order.workspace_id == workspace_id))
        event_id = await session.scalar(select(func.max(ContactEvent.id)))
    return Stored(int(contacts or 0), int(orders or 0), int(event_id or 0))


async def _imported_lines(engine: AsyncEngine, workspace_id: int, after_event: int) -> list[int]:
    async with create_session_factory(engine)() as session:
        rows = await session.scalars(
            select(ContactEvent.data).where(
                ContactEvent.workspace_id == workspace_id,
                ContactEvent.kind == "imported",
                ContactEvent.id > after_event,
            )
        )
        return [int(data["row"]) for data in rows.all()]


def _cli_report(output: str, entry: str) -> dict[str, Any] | None:
    if entry.endswith("orders"):
        match = re.search(r"(\d+) rows, \d+ orders read: (\d+) new, .*?(\d+) rejected", output)
        return {"total_rows": int(match[1]), "created": int(match[2]), "failed": int(match[3])} if match else None
    match = re.search(r"(\d+) rows read, (\d+) contacts (would have been )?imported, (\d+) rejected", output)
    if not match:
        return None
    created = 0 if match[3] else int(match[2])
    return {"total_rows": int(match[1]), "created": created, "failed": int(match[4])}


async def run_import(
    entry: str, content: bytes, *, client: httpx.AsyncClient, workspace: WorkspaceHandle, tmp_path: Path
) -> Outcome:
    atomic = entry.endswith("atomic")
    kind = "orders" if entry.endswith("orders") else "contacts"
    if entry.startswith("api"):
        response = await client.post(
            f"/api/v1/{kind}/import",
            params={"atomic": "true"} if atomic else {},
            files={"file": ("upload.csv", content, "text/csv")},
            headers=workspace.headers,
        )
        body = response.json()
        if response.status_code == 200:
            return Outcome(200, "", body, [dict(e) for e in body["errors"]])
        assert response.headers["content-type"] == "application/problem+json", response.text
        report = body.get("report")
        return Outcome(response.status_code, body["detail"], report, body.get("errors") or [])
    file = tmp_path / "upload.csv"
    file.write_bytes(content)
    report_file = tmp_path / "report.csv"
    report_file.unlink(missing_ok=True)
    args = [kind, "import", str(file), "--workspace", str(workspace.id), "--report", str(report_file)]
    if atomic:
        args.append("--atomic")
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output, result.output
    errors = list(csv.DictReader(report_file.open(encoding="utf-8", newline=""))) if report_file.exists() else []
    return Outcome(result.exit_code, result.output, _cli_report(result.output, entry), errors)


async def _check_stored_is_reported(
    entry: str, outcome: Outcome, engine: AsyncEngine, workspace_id: int, before: Stored
) -> None:
    after = await _stored(engine, workspace_id)
    refused = outcome.status >= 400 or outcome.status == 2
    if refused and outcome.report is None:
        assert after == Stored(before.contacts, before.orders, after.event_id), "a refused file stored something"
        return
    assert outcome.report is not None, outcome.detail
    created = outcome.report["created"]
    if entry.endswith("orders"):
        assert after.orders - before.orders == created
        assert after.contacts >= before.contacts  # buyers named by e-mail are created with their orders
        return
    assert after.orders == before.orders
    assert after.contacts - before.contacts == created
    lines = await _imported_lines(engine, workspace_id, before.event_id)
    assert len(lines) == created
    rejected = {int(error["row"]) for error in outcome.errors if error.get("field") != "import"}
    assert not set(lines) & rejected, "a row reported as rejected was stored"
    if "stored_through_row" in outcome.report:
        assert all(line <= outcome.report["stored_through_row"] for line in lines)
    if entry.endswith("atomic") and outcome.report["failed"]:
        assert created == 0


# --- the files the issue names ------------------------------------------------------------------------------

CONTACTS_HEADER = b"name,emails\n"
ORDERS_HEADER = ",".join(ORDER_COLUMNS).encode() + b"\n"
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "latin-1": ("name\nAnn\nJosé Müller\n".encode("latin-1"), "line 3, character 4 (byte 13, 0xE9) is not UTF-8"),
    "windows-1252": ("name\nAnn\n“Smart” quotes\n".encode("cp1252"), "line 3, character 1 (byte 10, 0x93)"),
    "utf-16 with BOM": ("name\nAnn\n".encode("utf-16"), "the file is UTF-16 text"),
    "binary garbage": (bytes(range(256)) * 8, "is a NUL character"),
    "quote in the middle of a quoted cell": (b'name\n"Ann"x\n', "line 2: the file is not valid CSV"),
    "NUL byte": (b"name,emails\nAnn,ann\x00@x.example\n", "line 2, character 8 is a NUL character"),
    "cell over the csv limit": (b"name\nAnn\n" + b"x" * 200_000 + b"\n", "line 3: a cell is longer than 131072"),
    "unclosed quote": (b'name\nAnn\n"Bob\nCy\n', "line 3: a quoted cell of this row is never closed"),
    "empty": (b"", "the file is empty"),
    "a column without a name": (b"name,,emails\nAnn,,a@x.example\n", "column 2 has no name in the header line"),
    "blank lines only": (b"\r\n\r\n", "the file is empty"),
    "header only (contacts)": (CONTACTS_HEADER, "a header line but no rows"),
    "header only (orders)": (ORDERS_HEADER, "a header line but no rows"),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("case", list(BAD_FILES))
async def test_a_broken_file_is_refused_by_name_and_stores_nothing(
    entry: str,
    case: str,
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    engine: AsyncEngine,
    cli_env: None,
    tmp_path: Path,
) -> None:
    content, expected = BAD_FILES[case]
    before = await _stored(engine, workspace.id)
    outcome = await run_import(entry, content, client=client, workspace=workspace, tmp_path=tmp_path)
    assert outcome.status == (422 if entry.startswith("api") else 2), outcome.detail
    assert expected in " ".join(outcome.detail.split()), outcome.detail
    if entry.startswith("api"):
        assert outcome.errors[0]["field"] == "file"
    await _check_stored_is_reported(entry, outcome, engine, workspace.id, before)


@pytest.mark.parametrize("entry", ["api contacts", "cli contacts"])
async def test_a_100_megabyte_cell_is_refused(
    entry: str,
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    engine: AsyncEngine,
    cli_env: None,
    tmp_path: Path,
) -> None:
    content = b"name\nAnn\n" + b"x" * (100 * 1024 * 1024) + b"\n"
    before = await _stored(engine, workspace.id)
    outcome = await run_import(entry, content, client=client, workspace=workspace, tmp_path=tmp_path)
    # The API refuses a file larger than max_upload_bytes (50 MB) before reading it; the CLI reads the cell.
    expected = "larger than" if entry.startswith("api") else "line 3: a cell is longer than 131072"
    assert outcome.status in (422, 2) and expected in outcome.detail, outcome.detail
    await _check_stored_is_reported(entry, outcome, engine, workspace.id, before)


@pytest.mark.parametrize("entry", ["api contacts", "cli contacts", "api orders", "cli orders"])
async def test_old_mac_line_ends_import_like_any_other(
    entry: str,
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    engine: AsyncEngine,
    cli_env: None,
    tmp_path: Path,
) -> None:
    await workspace.product("TEA-1")
    if entry.endswith("contacts"):
        content = b"name,emails\rAnn,ann@x.example\rBob,bob@x.example\r"
    else:
        content = ORDERS_HEADER.replace(b"\n", b"\r") + (
            b"M-1,2026-09-01T10:00:00Z,ann@x.example,EUR,TEA-1,2,3.50\r"
            b"M-2,2026-09-02T10:00:00Z,bob@x.example,EUR,TEA-1,1,3.50\r"
        )
    before = await _stored(engine, workspace.id)
    outcome = await run_import(entry, content, client=client, workspace=workspace, tmp_path=tmp_path)
    assert outcome.status in (0, 200), outcome.detail
    assert outcome.report is not None and outcome.report["created"] == 2 and outcome.report["total_rows"] == 2
    await _check_stored_is_reported(entry, outcome, engine, workspace.id, before)


@pytest.mark.parametrize("entry", ["api contacts", "cli contacts", "api orders", "cli orders"])
async def test_a_row_wider_than_the_header_is_rejected_by_row_and_column(
    entry: str,
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    engine: AsyncEngine,
    cli_env: None,
    tmp_path: Path,
) -> None:
    await workspace.product("TEA-1")
    if entry.endswith("contacts"):
        content = b"name,emails\nAnn,ann@x.example\nBob,bob@x.example,surprise\nCy\n"
    else:
        content = ORDERS_HEADER + (
            b"R-1,2026-09-01T10:00:00Z,ann@x.example,EUR,TEA-1,2,3.50\n"
            b"R-2,2026-09-02T10:00:00Z,bob@x.example,EUR,TEA-1,1,3.50,surprise\n"
            b"R-3,2026-09-02T10:00:00Z,cy@x.example,EUR,TEA-1,1\n"  # short: the missing price is the error
        )
    before = await _stored(engine, workspace.id)
    outcome = await run_import(entry, content, client=client, workspace=workspace, tmp_path=tmp_path)
    assert outcome.status in (1, 200), outcome.detail
    wide = [error for error in outcome.errors if str(error["row"]) == "3"]
    assert wide and wide[0]["field"] == ("column 3" if entry.endswith("contacts") else "column 8"), outcome.errors
    assert "cells but the header names" in wide[0]["message"]
    assert outcome.report is not None and outcome.report["created"] == (2 if entry.endswith("contacts") else 1)
    await _check_stored_is_reported(entry, outcome, engine, workspace.id, before)


# --- any bytes at all ---------------------------------------------------------------------------------------

_CLEAN = ["Ann", "Bob", "Cy Dee", "José", "日本", "a1@x.example", "b2@x.example", "c3@x.example", "DE", "SE",
          "DE136695976", "+46701234567", "person", "organisation", "vip", "2026-09-01T10:00:00Z", "EUR", "TEA-1",
          "1", "2", "3.50", "O-1", "O-2", "O-3"]  # fmt: skip
_ODD = [" ", ",", '"', "'", ";", "=1+1", "@", "-", "+", "\t", "\r", "\n", "\r\n", "\x1b", "not-an-email",
        "XX", "2026-13-45", "XYZ", "0", "-3", "1e309", "99999999999999999999999", "TEA-9", "x" * 400]  # fmt: skip
_cells = st.one_of(
    st.sampled_from(_CLEAN),
    st.lists(st.sampled_from(_CLEAN * 3 + _ODD), min_size=1, max_size=3).map("".join),
    st.just(""),
)
_FITTING = {
    "name": ["Ann", "Bob", "Cy Dee", "José"],
    "emails": ["a1@x.example", "b2@x.example", "c3@x.example;d4@x.example"],
    "buyer_email": ["a1@x.example", "b2@x.example"],
    "phones": ["+46701234567"],
    "country": ["DE", "SE"],
    "vat_number": ["DE136695976"],
    "tags": ["vip", "vip;new"],
    "kind": ["person", "organisation"],
    "external_id": ["O-1", "O-2", "O-3", "O-4"],
    "ordered_at": ["2026-09-01T10:00:00Z", "2026-09-02 11:00:00+02:00"],
    "currency": ["EUR", "SEK"],
    "sku": ["TEA-1"],
    "quantity": ["1", "2"],
    "unit_price": ["3.50", "12"],
}


def _cell_for(column: str) -> st.SearchStrategy[str]:
    """Mostly a value that fits the column, sometimes any cell."""
    choices = _FITTING.get(column, ["x"]) * 8 + [""]
    return st.sampled_from(choices).flatmap(lambda value: st.just(value) if value else _cells)


_contact_header = st.lists(st.sampled_from(CONTACT_COLUMNS[1:]), max_size=4, unique=True).map(
    lambda columns: ["name", *columns]
)
_order_header = st.permutations(ORDER_COLUMNS).map(list)
_any_header = st.lists(_cells, min_size=1, max_size=3)


@st.composite
def csv_files(draw: st.DrawFn, kind: str) -> bytes:
    """Mostly CSV that gets past the header (so rows are stored and rejected), sometimes broken in any way."""
    damage = draw(st.sampled_from(["none"] * 6 + ["any header", "other encoding", "changed byte", "any bytes"]))
    if damage == "any bytes":
        return draw(st.binary(max_size=300))
    known = _order_header if kind == "orders" else _contact_header
    header = draw(_any_header if damage == "any header" else known)
    fitting = st.tuples(*(_cell_for(column) for column in header)).map(list)
    row = st.sampled_from([True] * 5 + [False]).flatmap(
        lambda fits: fitting if fits else st.lists(_cells, max_size=len(header) + 2)
    )
    rows = draw(st.lists(row, min_size=1, max_size=8))
    line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = line_end.join(",".join(cells) for cells in [header, *rows]) + draw(st.sampled_from(["", line_end]))
    text = text.replace("O-", f"O{draw(st.integers(0, 2**32))}-")  # new orders, not ones an earlier example stored
    encodings = ["latin-1", "cp1252", "utf-16", "utf-8-sig"] if damage == "other encoding" else ["utf-8"]
    content = text.encode(draw(st.sampled_from(encodings)), errors="replace")
    if damage == "changed byte":
        at = draw(st.integers(0, len(content) - 1))
        content = content[:at] + bytes([draw(st.integers(0, 255))]) + content[at + 1 :]
    return content


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_bytes_get_a_clear_answer_and_stored_rows_are_the_reported_ones(
    entry: str,
    data: st.DataObject,
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    engine: AsyncEngine,
    cli_env: None,
    tmp_path: Path,
) -> None:
    content = data.draw(csv_files("orders" if entry.endswith("orders") else "contacts"), label="file")
    await workspace.product("TEA-1")
    before = await _stored(engine, workspace.id)
    outcome = await run_import(entry, content, client=client, workspace=workspace, tmp_path=tmp_path)
    allowed = {200, 422} if entry.startswith("api") else {0, 1, 2}
    assert outcome.status in allowed, (outcome.status, outcome.detail)
    stored_some = bool(outcome.report and outcome.report["created"])
    event(f"answer {outcome.status}, {'rows stored' if stored_some else 'nothing stored'}")
    await _check_stored_is_reported(entry, outcome, engine, workspace.id, before)


# --- an import that stops half-way --------------------------------------------------------------------------

FIVE_CONTACTS = b"name,emails\n" + b"".join(f"P{n},p{n}@x.example\n".encode() for n in range(5))


@pytest.fixture
def second_batch_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails while the second batch of contacts is written (a lost connection, a full disk)."""
    real = contacts_importer._write_batch
    calls = 0

    async def failing(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(contacts_importer, "_write_batch", failing)


@pytest.mark.usefixtures("second_batch_fails")
@pytest.mark.parametrize("atomic", [False, True], ids=["batches", "atomic"])
async def test_an_api_import_that_stops_half_way_reports_the_rows_it_stored(
    atomic: bool, engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle
) -> None:
    app = create_app(settings.model_copy(update={"import_batch_size": 2}), engine=engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        before = await _stored(engine, workspace.id)
        response = await client.post(
            "/api/v1/contacts/import",
            params={"atomic": str(atomic).lower()},
            files={"file": ("c.csv", FIVE_CONTACTS, "text/csv")},
            headers=workspace.headers,
        )
    assert response.status_code == 500
    lines = await _imported_lines(engine, workspace.id, before.event_id)
    if atomic:  # one transaction: nothing of it is left, and there is nothing to report
        assert lines == []
        return
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "rows up to line 3 were stored" in body["detail"]
    assert body["report"]["complete"] is False and body["report"]["stored_through_row"] == 3
    assert sorted(lines) == [2, 3] and body["report"]["created"] == 2


@pytest.mark.usefixtures("second_batch_fails", "cli_env")
@pytest.mark.parametrize("atomic", [False, True], ids=["batches", "atomic"])
async def test_a_cli_import_that_stops_half_way_still_writes_its_report(
    atomic: bool, engine: AsyncEngine, workspace: WorkspaceHandle, tmp_path: Path
) -> None:
    file = tmp_path / "contacts.csv"
    file.write_bytes(FIVE_CONTACTS)
    report = tmp_path / "report.csv"
    args = ["contacts", "import", str(file), "--workspace", str(workspace.id), "--batch-size", "2"]
    args += ["--report", str(report), *(["--atomic"] if atomic else [])]
    before = await _stored(engine, workspace.id)
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)  # a crash, not bad input: it is not hidden
    lines = await _imported_lines(engine, workspace.id, before.event_id)
    stopped = list(csv.DictReader(report.open(encoding="utf-8", newline="")))[-1]
    assert stopped["field"] == "import"
    if atomic:
        assert lines == []
        assert "no rows were stored" in stopped["message"] and "no contacts were stored" in result.output
    else:
        assert sorted(lines) == [2, 3]
        assert stopped["row"] == "3" and "rows up to line 3 were stored" in stopped["message"]
        assert "contacts up to line 3 were stored" in " ".join(result.output.split())
