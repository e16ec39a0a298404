"""``/api/v1/reports/...``: every report as JSON and as CSV, the cohort matrix and the dashboard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from frontdesk.deps import DbSession, require_role
from frontdesk.reports import customers, dashboard
from frontdesk.reports.catalogue import REPORTS
from frontdesk.reports.registry import ReportDefinition, ReportQuery, controls_for, report_query
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Query_ = Annotated[ReportQuery, Depends(report_query)]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "chart, series, label, value, unit; one row per number"}
}


def _add_report_routes(definition: ReportDefinition[Any]) -> None:
    # A default, not an Annotated alias: this module's annotations are strings, and a local alias would not resolve.
    reader: Any = require_role(definition.role)

    async def read(session: DbSession, query: Query_, principal: Principal = reader) -> Any:
        controls = await controls_for(session=session, workspace_id=principal.workspace_id, query=query)
        return await definition.compute(session, controls)

    async def read_csv(session: DbSession, query: Query_, principal: Principal = reader) -> Response:
        controls = await controls_for(session=session, workspace_id=principal.workspace_id, query=query)
        text, headers = await definition.csv(session, controls)
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)

    router.add_api_route(
        f"/{definition.key}",
        read,
        methods=["GET"],
        response_model=definition.schema,
        summary=definition.summary,
        operation_id=f"report_{definition.key}",
    )
    router.add_api_route(
        f"/{definition.key}.csv",
        read_csv,
        methods=["GET"],
        summary=f"{definition.summary}, as CSV",
        responses=CSV_RESPONSE,
        response_class=Response,
        operation_id=f"report_{definition.key}_csv",
    )


for _definition in REPORTS:
    _add_report_routes(_definition)

Admin = Annotated[Principal, require_role(Role.admin)]
Agent = Annotated[Principal, require_role(Role.agent)]


@router.get(
    "/cohorts",
    response_model=customers.CohortReport,
    summary="Retention cohorts: customers by month of first purchase, and how many bought in each later month",
)
async def cohort_report(session: DbSession, principal: Admin, query: Query_) -> customers.CohortReport:
    controls = await controls_for(session=session, workspace_id=principal.workspace_id, query=query)
    return await customers.cohorts(session, controls)


@router.get("/dashboard", response_model=dashboard.Dashboard, summary="The home dashboard's tiles")
async def read_dashboard(session: DbSession, principal: Agent) -> dashboard.Dashboard:
    return await dashboard.dashboard(session=session, workspace_id=principal.workspace_id, role=principal.role)
