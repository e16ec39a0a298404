"""Console: the home dashboard at ``/`` and a page per report, with its CSV download.

The report page reads its controls itself (not with the API's ``report_query``) so that a control a person
got wrong (a date cleared, an unknown time zone, a period ending before it begins, a rule that does not parse)
comes back as the same page, status 422, with the message next to the form and the values as typed, instead
of the generic error page. The numbers still come only from the report's ``ReportDefinition``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import QueryParams

from frontdesk.deps import DbSession
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.inputs import form_date
from frontdesk.reports import dashboard
from frontdesk.reports.catalogue import REPORTS, REPORTS_BY_KEY
from frontdesk.reports.charts import Chart
from frontdesk.reports.controls import Granularity, ReportControls, segment_members, time_zone_names
from frontdesk.reports.registry import ReportDefinition, ReportQuery, controls_for
from frontdesk.segments import service as segments
from frontdesk.web.console import ConsoleAgent, ConsoleUser, render, templates

router = APIRouter(include_in_schema=False)

GRANULARITY_NAMES = {Granularity.day: "Day", Granularity.week: "Week (ISO, Monday first)", Granularity.month: "Month"}


def format_figure(value: float | None, unit: str = "", *, show_unit: bool = True) -> str:
    """A figure as the pages print it: "—" for no value, thousands separated, at most 2 decimals (money
    always 2), then the unit. The figure itself was rounded where it is computed; this only writes it."""
    if value is None:
        return "—"
    if len(unit) == 3 and unit.isalpha() and unit.isupper():  # a currency code: major units, as money is written
        text = f"{value:,.2f}"
    elif float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit and show_unit else text


def chart_spec(chart: Chart) -> dict[str, Any]:
    """What charts.js draws, as the JSON block next to the canvas: the same numbers as the table."""
    return {
        "key": chart.key,
        "title": chart.title,
        "kind": chart.kind,
        "unit": chart.unit,
        "labels": list(chart.labels),
        "series": [{"name": series.name, "values": list(series.values)} for series in chart.series],
    }


templates.env.filters["figure"] = format_figure
templates.env.globals["chart_spec"] = chart_spec


def _definition(key: str, user: ConsoleUser) -> ReportDefinition[Any]:
    definition = REPORTS_BY_KEY.get(key)
    if definition is None:
        raise NotFound(f"no report {key!r}")
    user.principal.require(definition.role)
    return definition


def visible_reports(user: ConsoleUser) -> list[ReportDefinition[Any]]:
    return [report for report in REPORTS if user.can(report.role.value)]


def chosen_segment(params: QueryParams) -> str | None:
    """The one segment the form means. The form sends ``segment`` from its list and, when someone typed a rule,
    ``segment`` again from the rule field (charts.js drops the unused one, so with JavaScript the address holds
    one value, as the API takes it); without JavaScript a typed rule wins over the list."""
    chosen = [value.strip() for value in params.getlist("segment") if value.strip()]
    return chosen[-1] if chosen else None


def page_query(params: QueryParams) -> ReportQuery:
    """The controls as the report form sends them; ``InvalidInput`` naming the control that is wrong."""
    granularity_text = (params.get("granularity") or "").strip() or Granularity.month.value
    try:
        granularity = Granularity(granularity_text)
    except ValueError:
        raise InvalidInput("choose day, week or month", field="granularity") from None
    time_zone = (params.get("tz") or "").strip() or None
    if time_zone is not None and len(time_zone) > 64:
        raise InvalidInput("a time zone name has at most 64 characters", field="tz")
    segment = chosen_segment(params)
    if segment is not None and len(segment) > 2000:
        raise InvalidInput("a segment rule has at most 2,000 characters", field="segment")
    return ReportQuery(
        form_date(params.get("from"), field="from"),
        form_date(params.get("to"), field="to"),
        granularity,
        time_zone,
        segment,
    )


def controls_query(controls: ReportControls) -> str:
    """The query string that asks for exactly these controls (for the CSV link and the other reports)."""
    values = {
        "from": controls.first_day.isoformat(),
        "to": controls.last_day.isoformat(),
        "granularity": controls.granularity.value,
        "tz": controls.time_zone,
    }
    if controls.segment:
        values["segment"] = controls.segment
    return urlencode(values)


@router.get("/")
async def home(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    if not visible_reports(user):  # a viewer reads no report, so has no figure to see: the registry instead
        return RedirectResponse("/contacts", status_code=303)
    found = await dashboard.dashboard(
        session=session, workspace_id=user.principal.workspace_id, role=user.principal.role
    )
    return render(request, "pages/dashboard.html", user=user, dashboard=found, reports=visible_reports(user))


@router.get("/reports/{key}.csv", responses={200: {"content": {"text/csv": {}}}})
async def report_csv(key: str, request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    """The report's tables as one CSV file (``charts_csv``: the numbers of the page, for its controls)."""
    definition = _definition(key, user)
    query = page_query(request.query_params)
    controls = await controls_for(session=session, workspace_id=user.principal.workspace_id, query=query)
    text, headers = await definition.csv(session, controls)
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/reports/{key}")
async def report_page(key: str, request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    definition = _definition(key, user)
    workspace_id = user.principal.workspace_id
    saved, _ = await segments.list_saved(session=session, workspace_id=workspace_id, limit=200, cursor=None)
    context: dict[str, Any] = {
        "user": user,
        "definition": definition,
        "reports": visible_reports(user),
        "granularities": GRANULARITY_NAMES,
        "time_zones": time_zone_names(),
        "builtin_segments": segments.builtin_segments(),
        "saved_segments": saved,
    }
    params = request.query_params
    try:
        query = page_query(params)
        controls = await controls_for(session=session, workspace_id=workspace_id, query=query)
        await segment_members(session=session, controls=controls)  # an unknown segment or bad rule fails here
        report, charts = await definition.figures(session, controls)
    except InvalidInput as error:
        await session.rollback()  # nothing was written; the page only lists segments again from plain values
        field = error.errors[0]["field"] if error.errors else None
        typed = {name: params.get(name) or "" for name in ("from", "to", "granularity", "tz")}
        typed["segment"] = chosen_segment(params) or ""
        typed["granularity"] = typed["granularity"] or Granularity.month.value
        return render(
            request, "pages/report.html", status_code=422, **context, error=error.detail, error_field=field,
            form=typed, charts=[], report=None, controls=None, query="",
        )  # fmt: skip
    form = {
        "from": controls.first_day.isoformat(),
        "to": controls.last_day.isoformat(),
        "granularity": controls.granularity.value,
        "tz": controls.time_zone,
        "segment": controls.segment or "",
    }
    return render(
        request, "pages/report.html", **context, error=None, error_field=None, form=form, charts=charts,
        report=report, controls=controls, query=controls_query(controls),
    )  # fmt: skip
