"""CSV import through the CLI and the API: bad rows are reported by row and field; --atomic writes nothing."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from frontdesk.cli import app
from frontdesk.contacts.models import Contact, ContactEmail
from tests.factories import WorkspaceHandle

GOOD_AND_BAD = """name,emails,phones,country,region,kind,vat_number,tags,stage
Anna Berg,anna@berg.example,+46701234567,SE,SE-AB,person,,vip;newsletter,customer
Bad Mail,not-an-email,,,,person,,,
Candy GmbH,orders@candy.example,,DE,,organisation,DE136695976,wholesale,customer
Bad Vat AG,vat@bad.example,,DE,,organisation,DE000000000,,
Second Anna,ANNA@berg.example,,,,person,,,
Bad Region,region@bad.example,,DE,FR-IDF,person,,,
"""

runner = CliRunner()


async def invoke(args: list[str]) -> Result:
    """The CLI runs its own event loop, so it runs on a thread of its own, as in a separate process."""
    return await asyncio.to_thread(runner.invoke, app, args)


async def _count(session: AsyncSession, workspace_id: int) -> int:
    return int(await session.scalar(select(func.count(Contact.id)).where(Contact.workspace_id == workspace_id)) or 0)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("cli_env")
async def test_cli_import_writes_good_rows_and_reports_bad_ones_by_row_and_field(
    tmp_path: Path, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    report = tmp_path / "errors.csv"
    result = await invoke(
        [
            "contacts",
            "import",
            str(_write(tmp_path, GOOD_AND_BAD)),
            "--workspace",
            str(workspace.id),
            "--report",
            str(report),
        ]
    )
    assert result.exit_code == 1, result.output
    assert "6 rows read, 2 contacts imported, 4 rejected" in result.output
    rows = list(csv.DictReader(report.open()))
    assert [(r["row"], r["field"]) for r in rows] == [
        ("3", "emails"),
        ("5", "vat_number"),
        ("6", "emails.0"),
        ("7", "region"),
    ]
    assert "also on row 2" in rows[2]["message"]
    assert await _count(session, workspace.id) == 2
    emails = set((await session.scalars(select(ContactEmail.email))).all())
    assert emails == {"anna@berg.example", "orders@candy.example"}


@pytest.mark.usefixtures("cli_env")
async def test_cli_atomic_import_writes_nothing_when_any_row_is_bad(
    tmp_path: Path, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    result = await invoke(
        [
            "contacts",
            "import",
            str(_write(tmp_path, GOOD_AND_BAD)),
            "--workspace",
            str(workspace.id),
            "--atomic",
            "--batch-size",
            "2",
        ]
    )
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert await _count(session, workspace.id) == 0


@pytest.mark.usefixtures("cli_env")
async def test_cli_atomic_import_of_a_clean_file_writes_everything(
    tmp_path: Path, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    lines = ["first_name,last_name,email,country"] + [f"P{i},L{i},p{i}@x.example,FR" for i in range(25)]
    result = await invoke(
        [
            "contacts",
            "import",
            str(_write(tmp_path, "\n".join(lines))),
            "--workspace",
            str(workspace.id),
            "--atomic",
            "--batch-size",
            "10",
        ]
    )
    assert result.exit_code == 0, result.output
    assert await _count(session, workspace.id) == 25


@pytest.mark.usefixtures("cli_env")
def test_cli_import_refuses_an_unknown_column_before_reading_rows(tmp_path: Path, workspace: WorkspaceHandle) -> None:
    result = runner.invoke(
        app, ["contacts", "import", str(_write(tmp_path, "name,shoe_size\nA,42\n")), "--workspace", str(workspace.id)]
    )
    assert result.exit_code == 2
    assert "unknown column 'shoe_size'" in result.output


@pytest.mark.usefixtures("cli_env")
def test_cli_import_into_a_missing_workspace_fails_cleanly(tmp_path: Path, workspace: WorkspaceHandle) -> None:
    result = runner.invoke(app, ["contacts", "import", str(_write(tmp_path, "name\nA\n")), "--workspace", "987654"])
    assert result.exit_code == 2
    assert "workspace 987654 not found" in result.output


@pytest.mark.usefixtures("cli_env")
async def test_import_skips_addresses_already_in_the_workspace(
    tmp_path: Path, workspace: WorkspaceHandle, session: AsyncSession
) -> None:
    existing = await workspace.contact(emails=["anna@berg.example"])
    result = await invoke(
        [
            "contacts",
            "import",
            str(_write(tmp_path, "name,emails\nAnna,Anna@Berg.example\nBob,bob@x.example\n")),
            "--workspace",
            str(workspace.id),
        ]
    )
    assert result.exit_code == 1
    assert f"already belongs to contact {existing}" in result.output.replace("\n", " ")
    assert await _count(session, workspace.id) == 2


@pytest.mark.usefixtures("cli_env")
async def test_export_then_import_into_another_workspace_round_trips(
    tmp_path: Path, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, client: httpx.AsyncClient
) -> None:
    await workspace.contact(
        kind="organisation",
        name='Org; "quoted", inc',
        emails=["o@x.example"],
        vat_number="NL004495445B01",
        is_reseller=True,
        tags=["a", "b"],
        country="NL",
    )
    await workspace.contact(
        first_name="Ünï",
        last_name="Cödé",
        phones=["+33612345678"],
        roles=["customer", "user"],
        audience="internal",
        department="Branch Lyon",
    )
    out = tmp_path / "export.csv"
    exported = await invoke(["contacts", "export", "--workspace", str(workspace.id), "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "2 contacts exported" in exported.output
    imported = await invoke(["contacts", "import", str(out), "--workspace", str(other_workspace.id)])
    assert imported.exit_code == 0, imported.output

    def comparable(items: list[dict[str, object]]) -> list[dict[str, object]]:
        drop = {"id", "created_at", "updated_at", "relationships"}
        return sorted(
            ({k: v for k, v in item.items() if k not in drop} for item in items), key=lambda c: str(c["name"])
        )

    original = (await client.get("/api/v1/contacts", headers=workspace.headers)).json()["items"]
    copy = (await client.get("/api/v1/contacts", headers=other_workspace.headers)).json()["items"]
    assert comparable(copy) == comparable(original)


async def test_api_import_reports_rows_and_fields(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    response = await client.post(
        "/api/v1/contacts/import", files={"file": ("c.csv", GOOD_AND_BAD, "text/csv")}, headers=workspace.headers
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["total_rows"], report["created"], report["failed"]) == (6, 2, 4)
    assert report["errors"][0] == {"row": 3, "field": "emails", "message": report["errors"][0]["message"]}


async def test_api_atomic_import_with_a_bad_row_is_a_422_and_writes_nothing(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    response = await client.post(
        "/api/v1/contacts/import",
        params={"atomic": "true"},
        files={"file": ("c.csv", GOOD_AND_BAD, "text/csv")},
        headers=workspace.headers,
    )
    assert response.status_code == 422
    assert response.json()["report"]["failed"] == 4
    assert (await client.get("/api/v1/contacts", headers=workspace.headers)).json()["items"] == []


@pytest.mark.parametrize(
    ("content", "field"), [(b"\xff\xfe\x00bad", "file"), (b"", "file"), (b"colour\nred\n", "colour")]
)
async def test_api_import_rejects_unreadable_files(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, content: bytes, field: str
) -> None:
    response = await client.post(
        "/api/v1/contacts/import", files={"file": ("c.csv", content, "text/csv")}, headers=workspace.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_imported_contacts_carry_an_import_entry_on_their_timeline(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await client.post(
        "/api/v1/contacts/import",
        files={"file": ("c.csv", "name\nTimeline Tess\n", "text/csv")},
        headers=workspace.headers,
    )
    contact = (await client.get("/api/v1/contacts", headers=workspace.headers)).json()["items"][0]
    items = (await client.get(f"/api/v1/contacts/{contact['id']}/timeline", headers=workspace.headers)).json()["items"]
    assert [(i["kind"], i["data"]) for i in items] == [("imported", {"row": 2})]
