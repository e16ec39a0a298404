"""Console: ``/reports/purchase-model``, the stored purchase model and its calibration/holdout check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from frontdesk.db import utcnow
from frontdesk.deps import DbSession
from frontdesk.errors import InvalidInput
from frontdesk.inputs import form_date
from frontdesk.reports.controls import zone_of
from frontdesk.reports.pages import visible_reports
from frontdesk.success.calibration import calibration_chart, calibration_report
from frontdesk.success.models import ClvModel
from frontdesk.web.console import ConsoleAgent, render
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import get_workspace

router = APIRouter(include_in_schema=False)


@router.get("/reports/purchase-model")
async def purchase_model_page(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    user.principal.require(Role.admin)
    workspace_id = user.principal.workspace_id
    workspace = await get_workspace(session=session, workspace_id=workspace_id)
    today = utcnow().astimezone(zone_of(workspace.time_zone)).date()
    stored = await session.get(ClvModel, workspace_id)
    context: dict[str, Any] = {"user": user, "reports": visible_reports(user), "model": stored, "today": today}
    params = request.query_params
    typed = {name: (params.get(name) or "").strip() for name in ("split", "end")}
    try:
        split, end = form_date(params.get("split"), field="split"), form_date(params.get("end"), field="end")
        report = await calibration_report(session=session, workspace_id=workspace_id, split=split, end=end)
    except InvalidInput as error:
        field = error.errors[0]["field"] if error.errors else None
        return render(
            request, "pages/purchase_model.html", status_code=422, **context, error=error.detail,
            error_field=field, form=typed, report=None, chart=None,
        )  # fmt: skip
    form = {"split": report.split.isoformat(), "end": report.end.isoformat()}
    return render(
        request, "pages/purchase_model.html", **context, error=None, error_field=None, form=form, report=report,
        chart=calibration_chart(report),
    )  # fmt: skip
