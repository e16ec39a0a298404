"""What the ``frontdesk`` commands share: the error console, running work in one database session (domain
errors end the command cleanly) and the progress bar.

Separate from the commands so each command group can use it without importing the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import create_engine, create_session_factory, migrate
from frontdesk.errors import DomainError
from frontdesk.settings import get_settings

err = Console(stderr=True)
T = TypeVar("T")


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]], *, migrate_first: bool = True) -> T:
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


def progress_bar(label: str) -> Progress:
    """A bar with rows done of the total and the time remaining, drawn on the error console."""
    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err)
