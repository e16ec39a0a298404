"""The help center report's details in the console: what the registry's tables cannot show.

``/reports/help-center`` (the reports registry) draws the figures, tables and the CSV. This page, linked from
it, lists the same report (``reports.DEFINITION``, computed once per request) with what does not fit a table
of numbers: each search's last date, links to the articles voted "no" in the editor, and example questions of
each content gap. The questions are visitors' own words, so it needs the report's role (agents and above).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from frontdesk.deps import DbSession
from frontdesk.errors import InvalidInput
from frontdesk.helpcenter.gaps import QUESTION_CAP
from frontdesk.helpcenter.reports import DEFINITION
from frontdesk.reports.pages import controls_query, page_query
from frontdesk.reports.registry import controls_for
from frontdesk.web.console import ConsoleAgent, render

router = APIRouter(include_in_schema=False)


@router.get("/reports/help-center/details")
async def help_report_details(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    user.principal.require(DEFINITION.role)
    try:
        query = page_query(request.query_params)
        controls = await controls_for(session=session, workspace_id=user.principal.workspace_id, query=query)
    except InvalidInput as error:
        return render(
            request,
            "pages/help_report_details.html",
            status_code=422,
            user=user,
            error=error.detail,
            report=None,
            controls=None,
            query="",
            question_cap=QUESTION_CAP,
        )
    report = await DEFINITION.compute(session, controls)
    return render(
        request,
        "pages/help_report_details.html",
        user=user,
        error=None,
        report=report,
        controls=controls,
        query=controls_query(controls),
        question_cap=QUESTION_CAP,
    )
