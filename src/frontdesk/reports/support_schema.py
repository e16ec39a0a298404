"""The support report's schema: what ``GET /api/v1/reports/support`` returns (definitions: docs/reports.md)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from frontdesk.reports.controls import Granularity


class TimeFigures(BaseModel):
    """A duration's median and 90th percentile, in minutes (2 decimals), over ``measured`` conversations."""

    measured: int = Field(description="Conversations whose duration is known (and so counted here)")
    median: float | None = Field(description="Median in minutes; null when none was measured")
    p90: float | None = Field(description="90th percentile in minutes; null when none was measured")


class Satisfaction(BaseModel):
    """Chat ratings (1-5) given after a resolved conversation."""

    ratings: int
    satisfied: int = Field(description="Ratings of 4 or 5")
    csat: float | None = Field(description="CSAT: satisfied / ratings, percent; null without ratings")
    average: float | None = Field(description="Mean rating (1-5), 2 decimals; null without ratings")


class SupportPeriod(BaseModel):
    """The conversations created in one bucket (or in the whole period)."""

    label: str
    conversations: int
    first_response: TimeFigures
    without_first_response: int = Field(description="Conversations no agent has answered (left out of the times)")
    resolution: TimeFigures
    unresolved: int = Field(description="Conversations not resolved now (left out of the resolution times)")
    satisfaction: Satisfaction
    offline: int = Field(description="Conversations started while no agent was online (offline messages)")
    offline_answer: TimeFigures = Field(description="Time until an agent answered an offline message")
    offline_unanswered: int = Field(description="Offline messages no agent has answered yet")


class SupportGroup(BaseModel):
    """One team or agent: the conversations it holds, and the ratings about it."""

    id: int | None = Field(description="The team's or agent's id; null for the no-team / unassigned row")
    name: str
    conversations: int
    first_response: TimeFigures
    without_first_response: int
    resolution: TimeFigures
    satisfaction: Satisfaction = Field(description="For an agent: the ratings it received (the rated agent)")


class Heatmap(BaseModel):
    weekdays: list[str] = Field(description="Mon .. Sun")
    hours: list[str] = Field(description='"00" .. "23"')
    counts: list[list[int]] = Field(description="counts[weekday][hour]: conversations created then, local time")


class SupportReport(BaseModel):
    labels: list[str]
    granularity: Granularity
    time_zone: str
    first_day: date
    last_day: date
    segment: str | None
    period: SupportPeriod = Field(description="The whole period")
    buckets: list[SupportPeriod] = Field(description="One per label, every bucket present")
    by_team: list[SupportGroup]
    by_agent: list[SupportGroup]
    heatmap: Heatmap
