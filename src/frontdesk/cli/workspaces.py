"""``frontdesk workspace``: create a workspace (tenant) with its first admin."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.cli.running import err, run_in_session
from frontdesk.errors import InvalidInput
from frontdesk.reports.controls import zone_of
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_workspace

workspace_app = typer.Typer(help="Create and inspect workspaces (tenants).", no_args_is_help=True)


@workspace_app.command("create")
def workspace_create(
    name: Annotated[str, typer.Argument(help="The business's name, e.g. 'Acme Shop'")],
    admin_email: Annotated[str, typer.Option("--admin-email", help="E-mail of the first admin agent")],
    admin_password: Annotated[str, typer.Option("--admin-password", help="At least 10 characters")],
    admin_name: Annotated[str, typer.Option("--admin-name", help="Display name of the admin")] = "Admin",
    time_zone: Annotated[
        str, typer.Option("--time-zone", help="IANA zone where reports begin their days, e.g. Europe/Berlin")
    ] = "UTC",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts)")] = False,
) -> None:
    """Create a workspace with its first admin agent and an admin API key."""
    try:
        admin = AgentCreate(email=admin_email, password=admin_password, display_name=admin_name)
        zone = zone_of(time_zone, field="time_zone")
    except (ValueError, InvalidInput) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None

    async def work(session: AsyncSession) -> dict[str, Any]:
        workspace, agent, key = await do_create_workspace(session=session, name=name, admin=admin, time_zone=zone)
        await session.commit()
        return {
            "workspace_id": workspace.id,
            "name": workspace.name,
            "time_zone": workspace.time_zone,
            "admin_agent_id": agent.id,
            "admin_email": agent.email,
            "api_key": key,
        }

    result = run_in_session(work)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"Workspace {result['workspace_id']} ({result['name']}, time zone {result['time_zone']}) created.")
    typer.echo(f"Admin: {result['admin_email']}")
    typer.echo(f"API key (shown once, store it now): {result['api_key']}")
