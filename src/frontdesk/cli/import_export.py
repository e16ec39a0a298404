"""``frontdesk contacts`` and ``frontdesk orders``: CSV imports with a progress bar and a report of rejected
rows, and the contacts export.

The imports share their file check, progress and error reporting, so they live together, apart from the
commands that do not read or write files.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk import csvinput
from frontdesk.cli.running import err, progress_bar, run_in_session
from frontdesk.commerce import importer as orders_importer
from frontdesk.commerce.schemas import OrderImportReport
from frontdesk.contacts import importer
from frontdesk.csvsafe import CsvWriter
from frontdesk.db import create_session_factory
from frontdesk.workspaces.service import get_workspace

contacts_app = typer.Typer(help="Import and export contacts.", no_args_is_help=True)
orders_app = typer.Typer(help="Import orders.", no_args_is_help=True)


def _engine_of(session: AsyncSession) -> AsyncEngine:
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the CLI's sessions are bound to an engine")
    return engine


ImportRun = Callable[[AsyncSession, Any, Any, Callable[[int], None]], Awaitable[Any]]


def _import_csv(file: Path, workspace: int, run: ImportRun, *, counts_done: bool) -> Any:
    """Run an importer over ``file`` with a progress bar; ``counts_done``: it reports rows done so far,
    else rows done since its last report. The whole file is checked first (``frontdesk.csvinput``): a file
    that is not UTF-8 CSV stops the command, naming the line, before anything is written."""

    async def work(session: AsyncSession) -> Any:
        await get_workspace(session=session, workspace_id=workspace)
        with file.open("rb") as binary, progress_bar("importing") as progress:
            total = csvinput.check(binary)
            task = progress.add_task("import", total=total)
            header, rows = csvinput.read(binary)

            def advance(n: int) -> None:
                if counts_done:
                    progress.update(task, completed=n)
                else:
                    progress.advance(task, n)

            return await run(session, header, rows, advance)

    return run_in_session(work)


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

    count = run_in_session(work)
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
