"""The contacts list's stage filter: the registry's two stages and the lifecycle stages that refine them.

A contact's registry stage is derived from its lifecycle stage (commerce/figures.py): ``prospect`` is the
lifecycle stage ``prospect``, ``customer`` is any other. So the filter offers the lifecycle stages, and keeps
``customer`` (any of them but prospect) for the API clients that filtered by it before. The lifecycle stages
are read through the segment field ``lifecycle``, the same definition segments and reports use.

Only the list routes (API and console) import this module: the registry's service stays free of commerce.
"""

from __future__ import annotations

import enum

from frontdesk.commerce.models import Lifecycle
from frontdesk.contacts.models import Stage
from frontdesk.segments.rules import Comparison, Rule


class StageFilter(enum.StrEnum):
    prospect = "prospect"  # never bought (lifecycle prospect)
    customer = "customer"  # has a completed order: any lifecycle stage below
    new = "new"
    returning = "returning"
    regular = "regular"
    occasional = "occasional"
    lapsed = "lapsed"
    churned = "churned"


assert {f.value for f in StageFilter} == {*Lifecycle, *Stage}, "the filter offers every stage of both lists"

# What the console's select shows, in the order of a customer's life.
CHOICES: list[tuple[str, str]] = [
    (StageFilter.prospect.value, "Prospect"),
    (StageFilter.customer.value, "Customer (any stage below)"),
    *((stage.value, stage.value.capitalize()) for stage in Lifecycle if stage is not Lifecycle.prospect),
]


def split(value: StageFilter | None) -> tuple[str | None, Rule | None]:
    """The registry stage to filter on (an indexed column of ``contacts``), or the lifecycle rule to add."""
    if value is None:
        return None, None
    if value.value in {Stage.prospect.value, Stage.customer.value}:
        return value.value, None
    return None, Comparison("lifecycle", "=", value.value)


def parse(text: str) -> StageFilter | None:
    """The console's ``stage`` query parameter: an unknown value (an old link) filters nothing."""
    try:
        return StageFilter(text)
    except ValueError:
        return None
