from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.main import get_command
from typer.testing import CliRunner

from frontdesk.cli import app
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import login as sign_in

runner = CliRunner()


async def invoke(args: list[str]) -> Result:
    return await asyncio.to_thread(runner.invoke, app, args)


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    root = get_command(app)

    def walk(command: object, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def test_the_cli_has_the_commands_the_readme_promises() -> None:
    assert {" ".join(p) for p in _command_paths()} >= {
        "",
        "serve",
        "migrate",
        "workspace",
        "workspace create",
        "demo",
        "contacts",
        "contacts import",
        "contacts export",
        "orders import",
        "analytics refresh",
    }


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "frontdesk")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 4


@pytest.mark.usefixtures("cli_env")
async def test_workspace_create_json_prints_an_id_and_a_working_key(client: httpx.AsyncClient) -> None:
    result = await invoke(
        [
            "workspace",
            "create",
            "Candy Corner",
            "--admin-email",
            "owner@candy.example",
            "--admin-password",
            "sweet-and-long",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert isinstance(created["workspace_id"], int)
    response = await client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {created['api_key']}"})
    assert response.json()["id"] == created["workspace_id"]
    assert response.json()["name"] == "Candy Corner"


@pytest.mark.usefixtures("cli_env")
async def test_workspace_create_refuses_a_weak_password() -> None:
    result = await invoke(["workspace", "create", "X", "--admin-email", "a@b.example", "--admin-password", "short"])
    assert result.exit_code == 2
    assert "password" in result.output


@pytest.mark.usefixtures("cli_env")
async def test_demo_builds_a_varied_workspace_once(client: httpx.AsyncClient) -> None:
    result = await invoke(["demo"])
    assert result.exit_code == 0, result.output
    assert "admin@demo-shop.example" in result.output and "frontdesk-demo" in result.output
    again = await invoke(["demo"])
    assert "already exists" in again.output

    login = await sign_in(client, "admin@demo-shop.example", "frontdesk-demo")
    assert login.status_code == 303
    page = await client.get("/settings")
    assert "Sam Support" in page.text and "Ada Admin" in page.text
    listing = await client.get("/contacts")
    total = re.search(r"(\d+) contacts?</p>", listing.text)
    assert total, listing.text[:500]
    # The 240 generated, plus the chat visitors and referred friends who became contacts.
    assert 240 + 7 < int(total.group(1)) <= 240 + 40
    for query, minimum in [
        ("stage=customer", 50),
        ("stage=prospect", 50),
        ("market=b2b", 20),
        ("market=b2c", 50),
        ("audience=internal", 5),
    ]:
        filtered = await client.get(f"/contacts?{query}")
        match = re.search(r"(\d+) contacts?</p>", filtered.text)
        assert match, filtered.text[:500]
        count = int(match.group(1))
        assert count >= minimum, query

    segments = await client.get("/segments")
    sizes = {}
    for key in re.findall(r'hx-get="/segments/([a-z-]+)/size"', segments.text):
        cell = (await client.get(f"/segments/{key}/size")).text
        sizes[key] = int(re.search(r'data-count="(\d+)"', cell).group(1))  # type: ignore[union-attr]
    assert sizes["prospects"] > 50 and sizes["new"] > 10 and sizes["returning"] + sizes["regular"] > 10
    assert sizes["champions"] > 0 and sizes["all-range"] > 0


@pytest.mark.usefixtures("cli_env")
async def test_orders_import_then_analytics_refresh(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, tmp_path: Path
) -> None:
    await workspace.product("TEA-1")
    file = tmp_path / "orders.csv"
    file.write_text(
        "external_id,ordered_at,buyer_email,currency,sku,quantity,unit_price\n"
        "C-1,2026-09-01T10:00:00Z,cli@example.com,EUR,TEA-1,2,3.50\n"
        "C-2,2026-09-02T10:00:00Z,cli@example.com,EUR,TEA-9,1,3.50\n"
    )
    report = tmp_path / "errors.csv"
    result = await invoke(["orders", "import", str(file), "--workspace", str(workspace.id), "--report", str(report)])
    assert result.exit_code == 1, result.output  # one order was rejected
    assert "1 new" in result.output and "1 rejected" in result.output
    assert "TEA-9" in report.read_text()
    again = await invoke(["orders", "import", str(file), "--workspace", str(workspace.id)])
    assert "0 new, 1 already stored" in again.output
    refreshed = await invoke(["analytics", "refresh", "--workspace", str(workspace.id)])
    assert refreshed.exit_code == 0, refreshed.output
    orders = (await client.get("/api/v1/orders", headers=workspace.headers)).json()["items"]
    figures = (await client.get(f"/api/v1/contacts/{orders[0]['buyer_id']}/figures", headers=workspace.headers)).json()
    # One buyer is the whole population: every quintile is the first one.
    assert (figures["orders"], figures["total_spent"], figures["rfm_r"], figures["rfm_group"]) == (1, "7.00", 1, "Lost")
    missing = await invoke(["orders", "import", str(file), "--workspace", "999999"])
    assert missing.exit_code != 0 and "999999" in missing.output
