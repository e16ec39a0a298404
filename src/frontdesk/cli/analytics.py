"""``frontdesk analytics``: recompute customer figures, stages, RFM scores and predictions, and fit the
purchase model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.cli.running import err, progress_bar, run_in_session
from frontdesk.commerce.figures import refresh_workspace
from frontdesk.success.clv import fit_and_store
from frontdesk.success.models import ClvModel
from frontdesk.success.refresh import SuccessRefresh, refresh_success
from frontdesk.workspaces.service import get_workspace

analytics_app = typer.Typer(help="Customer figures, lifecycle stages and RFM scores.", no_args_is_help=True)


@analytics_app.command("refresh")
def analytics_refresh(
    workspace: Annotated[int, typer.Option("--workspace", help="Workspace ID")],
) -> None:
    """Recompute every customer's figures, lifecycle stage and RFM scores as of now; refit the purchase model,
    score every customer's predictions and health, and run the playbooks."""

    async def work(session: AsyncSession) -> tuple[int, SuccessRefresh]:
        await get_workspace(session=session, workspace_id=workspace)
        with progress_bar("refreshing") as progress:
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

    changes, success = run_in_session(work)
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

    model = run_in_session(work)
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
