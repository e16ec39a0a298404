"""Getting an install running: ``serve``, ``migrate`` and ``demo``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.cli.running import err, run_in_session
from frontdesk.db import migrate_url
from frontdesk.demo import DEMO_ADMIN_EMAIL, DEMO_AGENT_EMAIL, DEMO_PASSWORD, do_create_demo
from frontdesk.settings import get_settings


def shown_url(url: str) -> str:
    """``url`` as it may appear in a terminal or a log: with its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable FRONTDESK_DATABASE_URL)"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info, debug or trace (trace shows WebSocket frames)")
    ] = "info",
) -> None:
    """Migrate the database, then serve the console and the API."""
    settings = get_settings()
    database = shown_url(settings.database_url)
    try:
        migrate_url(settings.database_url)
    except (OSError, SQLAlchemyError) as exc:
        password = make_url(settings.database_url).password
        reason = str(exc).replace(str(password), "***") if password else str(exc)
        err.print(f"[red]error:[/red] cannot prepare the database {database}: {reason}", markup=False)
        raise typer.Exit(1) from None
    err.print(f"Frontdesk on [bold]http://{host}:{port}[/bold]  (database: {database})")
    # Chat frames are small JSON: compressing each costs more CPU on both ends than it saves on the wire.
    uvicorn.run(
        "frontdesk.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        ws_per_message_deflate=False,
    )


def migrate_command() -> None:
    """Upgrade the database to the newest schema (Alembic ``upgrade head``)."""
    migrate_url(get_settings().database_url)
    err.print("[green]database is up to date[/green]")


def demo(
    contacts: Annotated[int, typer.Option(help="How many contacts to generate", min=1, max=100_000)] = 240,
) -> None:
    """Create the "Demo Shop" workspace with two agents and varied contacts (once; re-running keeps it)."""

    async def work(session: AsyncSession) -> Any:
        with err.status("Creating the demo workspace…"):
            result = await do_create_demo(session=session, contacts=contacts)
            await session.commit()
        return result

    result = run_in_session(work)
    state = (
        f"created with {result.contacts} contacts, {result.orders} orders, {result.conversations} chats, "
        + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in result.feedback.items())
        if result.created
        else "already exists"
    )
    err.print(f"Demo Shop (workspace {result.workspace_id}) {state}.")
    err.print(
        f"Sign in as [bold]{DEMO_ADMIN_EMAIL}[/bold] (admin) or [bold]{DEMO_AGENT_EMAIL}[/bold] (agent), "
        f"password [bold]{DEMO_PASSWORD}[/bold]"
    )
