"""The ``frontdesk`` command: serve, migrate, create workspaces, load demo data, import contacts and orders."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk import csvinput
from frontdesk.commerce import importer as orders_importer
from frontdesk.commerce.figures import refresh_workspace
from frontdesk.commerce.schemas import OrderImportReport
from frontdesk.contacts import importer
from frontdesk.csvsafe import CsvWriter
from frontdesk.db import create_engine, create_session_factory, migrate, migrate_url
from frontdesk.demo import DEMO_ADMIN_EMAIL, DEMO_AGENT_EMAIL, DEMO_PASSWORD, do_create_demo
from frontdesk.errors import DomainError, InvalidInput
from frontdesk.reports.controls import zone_of
from frontdesk.settings import get_settings
from frontdesk.success.clv import fit_and_store
from frontdesk.success.models import ClvModel
from frontdesk.success.refresh import SuccessRefresh, refresh_success
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_workspace, get_workspace

# No local variables in tracebacks: they would print settings and URLs with their passwords.
app = typer.Typer(
    help="Frontdesk: a self-hosted customer platform.", no_args_is_help=True, pretty_exceptions_show_locals=False
)
workspace_app = typer.Typer(help="Create and inspect workspaces (tenants).", no_args_is_help=True)
contacts_app = typer.Typer(help="Import and export contacts.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
orders_app = typer.Typer(help="Import orders.", no_args_is_help=True)
analytics_app = typer.Typer(help="Customer figures, lifecycle stages and RFM scores.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")
app.add_typer(orders_app, name="orders")
app.add_typer(analytics_app, name="analytics")

err = Console(stderr=True)
T = TypeVar("T")


def shown_url(url: str) -> str:
    """``url`` as it may appear in a terminal or a log: with its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable FRONTDESK_DATABASE_URL)"


def _run(work: Callable[[AsyncSession], Awaitable[T]], *, migrate_first: bool = True) -> T:
    """Run ``work`` in one session against ``FRONTDESK_DATABASE_URL``; domain errors end the command cleanly."""

    async def main() -> T:
        engine = create_engine(get_settings().database_url)
        try:
            if migrate_first:
                await migrate(engine)
            async with create_session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        field = f" ({exc.errors[0]['field']})" if exc.errors else ""
        err.print(f"[red]error{field}:[/red] {exc.detail}")
        raise typer.Exit(2) from None


@app.command()
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


@app.command("migrate")
def migrate_command() -> None:
    """Upgrade the database to the newest schema (Alembic ``upgrade head``)."""
    migrate_url(get_settings().database_url)
    err.print("[green]database is up to date[/green]")


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

    result = _run(work)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"Workspace {result['workspace_id']} ({result['name']}, time zone {result['time_zone']}) created.")
    typer.echo(f"Admin: {result['admin_email']}")
    typer.echo(f"API key (shown once, store it now): {result['api_key']}")


@app.command()
def demo(
    contacts: Annotated[int, typer.Option(help="How many contacts to generate", min=1, max=100_000)] = 240,
) -> None:
    """Create the "Demo Shop" workspace with two agents and varied contacts (once; re-running keeps it)."""

    async def work(session: AsyncSession) -> Any:
        with err.status("Creating the demo workspace…"):
            result = await do_create_demo(session=session, contacts=contacts)
            await session.commit()
        return result

    result = _run(work)
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


def _engine_of(session: AsyncSession) -> AsyncEngine:
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the CLI's sessions are bound to an engine")
    return engine


def _import_progress(label: str) -> Progress:
    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err)


ImportRun = Callable[[AsyncSession, Any, Any, Callable[[int], None]], Awaitable[Any]]


def _import_csv(file: Path, workspace: int, run: ImportRun, *, counts_done: bool) -> Any:
    """Run an importer over ``file`` with a progress bar; ``counts_done``: it reports rows done so far,
    else rows done since its last report. The whole file is checked first (``frontdesk.csvinput``): a file
    that is not UTF-8 CSV stops the command, naming the line, before anything is written."""

    async def work(session: AsyncSession) -> Any:
        await get_workspace(session=session, workspace_id=workspace)
        with file.open("rb") as binary, _import_progress("importing") as progress:
            total = csvinput.check(binary)
            task = progress.add_task("import", total=total)
            header, rows = csvinput.read(binary)

            def advance(n: int) -> None:
                if counts_done:
                    progress.update(task, completed=n)
                else:
                    progress.advance(task, n)

            return await run(session, header, rows, advance)

    return _run(work)


def _print_errors(errors: list[Any], failed: int, noun: str) -> None:
    if not errors:
        return
    table = Table(title=f"{failed} {noun} rejected", show_lines=False)
    for column in ("row", "field", "problem"):
        table.add_column(column)
    for error in errors[:50]:
        table.add_row(str(error.row), error.field, error.message)
    err.print(table)
    if len(errors) > 50:
        err.print(f"… and {len(errors) - 50} more (use --report FILE for all of them)")


def _print_report(report: Any) -> None:
    _print_errors(report.errors, report.failed, "rows")
    written = report.created
    verb = "would have been " if report.atomic and report.failed else ""
    err.print(f"{report.total_rows} rows read, {written} contacts {verb}imported, {report.failed} rejected.")
    if report.atomic and report.failed:
        err.print("[yellow]--atomic: nothing was written because some rows are invalid.[/yellow]")


def _row(error: Any) -> int:
    return int(error.row)


def _print_stopped(stored_through_row: int, noun: str) -> None:
    if stored_through_row:
        err.print(
            f"[yellow]The import stopped: {noun} up to line {stored_through_row} were stored (except the rejected "
            f"ones), none after it. Fix the cause and import the rows after line {stored_through_row}.[/yellow]"
        )
    else:
        err.print(f"[yellow]The import stopped; no {noun} were stored.[/yellow]")


def _write_report(path: Path, header: list[str], rows: Iterable[list[Any]], stopped_after: int | None) -> None:
    """Every rejected row; when the import stopped half-way, a last line says up to which line rows were stored."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = CsvWriter(out)
        writer.writerow(header)
        writer.writerows(rows)
        if stopped_after is not None:
            stored = f"rows up to line {stopped_after} were stored" if stopped_after else "no rows were stored"
            message = f"the import stopped: {stored} (except the rows listed above), none after it"
            writer.writerow([stopped_after, *([""] * (len(header) - 3)), "import", message])


@contacts_app.command("import")
def contacts_import(
    file: Annotated[Path, typer.Argument(help="CSV file with a header line", exists=True, dir_okay=False)],
    workspace: Annotated[int, typer.Option("--workspace", help="Workspace ID")],
    atomic: Annotated[bool, typer.Option("--atomic", help="Write nothing if any row is invalid")] = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Write every row error to this CSV")] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per database batch", min=1)] = 2000,
) -> None:
    """Import contacts from CSV. Columns: name, first_name, last_name, emails, phones, country, region,
    kind, audience, department, market, stage, roles, tags, vat_number, eori_number, is_reseller and
    attributes.KEY; list columns separate values with ';'. Exits 1 when a row was rejected."""

    progress = importer.ImportProgress(atomic=atomic)

    def run(session: AsyncSession, header: Any, rows: Any, advance: Callable[[int], None]) -> Awaitable[Any]:
        return importer.import_rows(
            session=session,
            workspace_id=workspace,
            header=header,
            rows=rows,
            atomic=atomic,
            actor="cli:import",
            batch_size=batch_size,
            on_progress=advance,
            progress=progress,
        )

    try:
        report = _import_csv(file, workspace, run, counts_done=False)
        _print_report(report)
    finally:
        # Also when the import stopped half-way (an error, Ctrl-C): the report says which rows were stored.
        if not progress.complete:
            _print_stopped(progress.stored_through_row, "contacts")
        if report_file is not None:
            errors = progress.report().errors
            _write_report(report_file, ["row", "field", "message"], ([e.row, e.field, e.message] for e in errors),
                          None if progress.complete else progress.stored_through_row)  # fmt: skip
    if report.failed:
        raise typer.Exit(1)


@contacts_app.command("export")
def contacts_export(
    workspace: Annotated[int, typer.Option("--workspace", help="Workspace ID")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; default: stdout")] = None,
) -> None:
    """Export every contact of a workspace as CSV, in the format `contacts import` reads."""

    async def work(session: AsyncSession) -> int:
        await get_workspace(session=session, workspace_id=workspace)
        stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        count = -1
        try:
            writer = CsvWriter(stream)
            with Progress(
                TextColumn("[bold]exporting"), MofNCompleteColumn(), console=err, disable=output is None
            ) as progress:
                task = progress.add_task("export", total=None)
                factory = create_session_factory(_engine_of(session))
                async for row in importer.export_rows(factory=factory, workspace_id=workspace):
                    writer.writerow(row)
                    count += 1
                    progress.advance(task)
        finally:
            if output:
                stream.close()
        return count

    count = _run(work)
    err.print(f"{count} contacts exported" + (f" to {output}" if output else ""))


@orders_app.command("import")
def orders_import(
    file: Annotated[Path, typer.Argument(help="CSV file with a header line", exists=True, dir_okay=False)],
    workspace: Annotated[int, typer.Option("--workspace", help="Workspace ID")],
    report_file: Annotated[Path | None, typer.Option("--report", help="Write every order error to this CSV")] = None,
    batch_size: Annotated[int, typer.Option(help="Orders per database batch", min=1)] = 5000,
) -> None:
    """Import orders from CSV, one row per order line. Columns: external_id, ordered_at, buyer_email or
    buyer_id, buyer_name, recipient_email or recipient_id, channel, status, currency, for_resale, sku,
    quantity, unit_price. Rows with the same external_id, one after another, are one order. Sending an
    order again never counts it twice; a changed status (refunded, cancelled) is applied. Exits 1 when an
    order was rejected."""

    progress = OrderImportReport(total_rows=0, orders=0, failed=0, errors=[])

    def run(session: AsyncSession, header: Any, rows: Any, advance: Callable[[int], None]) -> Awaitable[Any]:
        return orders_importer.import_orders(
            session=session,
            workspace_id=workspace,
            header=header,
            rows=rows,
            actor="cli:import",
            batch_size=batch_size,
            on_progress=advance,
            report=progress,
        )

    try:
        report = _import_csv(file, workspace, run, counts_done=True)
        _print_errors(report.errors, report.failed, "orders")
        err.print(
            f"{report.total_rows} rows, {report.orders} orders read: {report.created} new, {report.unchanged} "
            f"already stored, {report.status_changed} with a new status, {report.failed} rejected."
        )
    finally:
        if not progress.complete:
            _print_stopped(progress.stored_through_row, "orders")
        if report_file is not None:
            rows = ([e.row, e.external_id or "", e.field, e.message] for e in sorted(progress.errors, key=_row))
            _write_report(report_file, ["row", "external_id", "field", "message"], rows,
                          None if progress.complete else progress.stored_through_row)  # fmt: skip
    if report.failed:
        raise typer.Exit(1)


@analytics_app.command("refresh")
def analytics_refresh(
    workspace: Annotated[int, typer.Option("--workspace", help="Workspace ID")],
) -> None:
    """Recompute every customer's figures, lifecycle stage and RFM scores as of now; refit the purchase model,
    score every customer's predictions and health, and run the playbooks."""

    async def work(session: AsyncSession) -> tuple[int, SuccessRefresh]:
        await get_workspace(session=session, workspace_id=workspace)
        with _import_progress("refreshing") as progress:
            task = progress.add_task("refresh", total=5)
            changes = await refresh_workspace(
                session=session,
                workspace_id=workspace,
                progress=lambda done, _total: progress.update(task, completed=done),
            )
            success = await refresh_success(
                session=session,
                workspace_id=workspace,
                progress=lambda done, _total: progress.update(task, completed=2 + done),
            )
        await session.commit()
        return changes, success

    changes, success = _run(work)
    err.print(f"Figures, stages and RFM scores refreshed; {changes} customers changed stage.")
    if success.clv.problem:
        err.print(f"[yellow]Purchase model not refitted:[/yellow] {success.clv.problem}")
    err.print(
        f"{success.clv.scored} customers' predictions and {success.health_scored} health scores written; "
        f"{success.tasks_created} playbook tasks created."
    )


@analytics_app.command("fit")
def analytics_fit(
    workspace: Annotated[int, typer.Option("--workspace", help="Workspace ID")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Fit as of this ISO time (e.g. 2026-06-30T23:59:59+02:00): later orders are "
            "left out and T runs up to it. Default: now.",
        ),
    ] = None,
) -> None:
    """Fit the purchase model (BG/NBD and Gamma-Gamma) on the workspace's completed orders and store it."""
    cutoff = _parse_as_of(as_of)

    async def work(session: AsyncSession) -> ClvModel:
        await get_workspace(session=session, workspace_id=workspace)
        with err.status("fitting the purchase model"):
            model = await fit_and_store(session=session, workspace_id=workspace, as_of=cutoff)
        await session.commit()
        return model

    model = _run(work)
    err.print(
        f"Fitted as of {model.as_of.isoformat()} on {model.customers} customers ({model.repeat_customers} repeat): "
        f"BG/NBD r={model.r:.4g} alpha={model.alpha:.4g} a={model.a:.4g} b={model.b:.4g}; "
        f"Gamma-Gamma p={model.p:.4g} q={model.q:.4g} gamma={model.gamma:.4g}; "
        f"log-likelihood {model.log_likelihood:.1f}."
    )


def _parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error (--as-of):[/red] {text!r} is not an ISO time such as 2026-06-30T23:59:59+02:00")
        raise typer.Exit(2) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


if __name__ == "__main__":
    app()
