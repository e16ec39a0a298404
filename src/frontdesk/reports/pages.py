"""Console: the home dashboard at ``/`` and a page per report, with its CSV download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from frontdesk.deps import DbSession
from frontdesk.errors import NotFound
from frontdesk.reports import dashboard
from frontdesk.reports.api import attachment
from frontdesk.reports.catalogue import REPORTS, REPORTS_BY_KEY
from frontdesk.reports.charts import charts_csv
from frontdesk.reports.controls import Granularity, time_zone_names
from frontdesk.reports.registry import ReportDefinition, ReportQuery, controls_for, report_query
from frontdesk.segments import service as segments
from frontdesk.web.console import ConsoleAgent, ConsoleUser, render

router = APIRouter(include_in_schema=False)
Query_ = Annotated[ReportQuery, Depends(report_query)]


def _definition(key: str, user: ConsoleUser) -> ReportDefinition[Any]:
    definition = REPORTS_BY_KEY.get(key)
    if definition is None:
        raise NotFound(f"no report {key!r}")
    user.principal.require(definition.role)
    return definition


def visible_reports(user: ConsoleUser) -> list[ReportDefinition[Any]]:
    return [report for report in REPORTS if user.can(report.role.value)]


@router.get("/")
async def home(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    found = await dashboard.dashboard(
        session=session, workspace_id=user.principal.workspace_id, role=user.principal.role
    )
    return render(request, "pages/dashboard.html", user=user, dashboard=found, reports=visible_reports(user))


@router.get("/reports/{key}.csv", responses={200: {"content": {"text/csv": {}}}})
async def report_csv(key: str, session: DbSession, user: ConsoleAgent, query: Query_) -> Response:
    definition = _definition(key, user)
    controls = await controls_for(session=session, workspace_id=user.principal.workspace_id, query=query)
    _, charts = await definition.figures(session, controls)
    filename = f"{definition.key}-{controls.first_day}-{controls.last_day}.csv"
    return Response(charts_csv(charts), media_type="text/csv; charset=utf-8", headers=attachment(filename))


@router.get("/reports/{key}")
async def report_page(key: str, request: Request, session: DbSession, user: ConsoleAgent, query: Query_) -> Any:
    definition = _definition(key, user)
    workspace_id = user.principal.workspace_id
    controls = await controls_for(session=session, workspace_id=workspace_id, query=query)
    report, charts = await definition.figures(session, controls)
    saved, _ = await segments.list_saved(session=session, workspace_id=workspace_id, limit=200, cursor=None)
    return render(
        request,
        "pages/report.html",
        user=user,
        definition=definition,
        report=report,
        charts=charts,
        controls=controls,
        granularities=list(Granularity),
        time_zones=time_zone_names(),
        segments=segments.builtin_segments() + saved,
        reports=visible_reports(user),
        csv_url=f"/reports/{key}.csv" + (f"?{request.url.query}" if request.url.query else ""),
    )
