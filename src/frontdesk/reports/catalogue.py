"""Every report, in the order the console lists them."""

from __future__ import annotations

from typing import Any

from frontdesk.helpcenter import reports as helpcenter_reports
from frontdesk.reports import customers, feedback, support
from frontdesk.reports.registry import ReportDefinition

REPORTS: list[ReportDefinition[Any]] = [
    support.DEFINITION,
    customers.DEFINITION,
    feedback.DEFINITION,
    helpcenter_reports.DEFINITION,
]
REPORTS_BY_KEY = {report.key: report for report in REPORTS}
