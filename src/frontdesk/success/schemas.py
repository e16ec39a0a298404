"""What the playbooks and tasks API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.inputs import BoundedDateTime, IdRef, RequestModel
from frontdesk.success.models import TaskOwnerRule, TaskStatus

MAX_DUE_IN_DAYS = 365

Name = Annotated[str, Field(min_length=1, max_length=200)]
RuleText = Annotated[str, Field(min_length=1, max_length=4000, description="A segment rule, e.g. health < 40")]
Title = Annotated[str, Field(min_length=1, max_length=300)]
DueInDays = Annotated[int, Field(ge=0, le=MAX_DUE_IN_DAYS, description="The task is due this many days after")]
Outcome = Annotated[str, Field(min_length=1, max_length=20_000)]


class PlaybookCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Name
    rule: RuleText
    task_title: Title
    owner_rule: TaskOwnerRule = Field(
        default=TaskOwnerRule.customer_owner,
        description="customer_owner: the customer's owner (round-robin in the success team when the customer has "
        "no active owner); round_robin: the next member of the success team",
    )
    due_in_days: DueInDays = 3
    is_active: bool = True


class PlaybookUpdate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Name | None = None
    rule: RuleText | None = None
    task_title: Title | None = None
    owner_rule: TaskOwnerRule | None = None
    due_in_days: DueInDays | None = None
    is_active: bool | None = None


class PlaybookRead(BaseModel):
    id: int
    name: str
    rule: str
    task_title: str
    owner_rule: TaskOwnerRule
    due_in_days: int
    is_active: bool
    open_episodes: int = Field(description="Customers matching the rule at the last refresh (their task made)")
    created_at: datetime
    updated_at: datetime


class PlaybookList(BaseModel):
    items: list[PlaybookRead]


class PlaybookRun(BaseModel):
    tasks_created: int


class TaskCreate(RequestModel):
    """A task an agent writes by hand about one customer."""

    model_config = ConfigDict(str_strip_whitespace=True)

    contact_id: IdRef
    title: Title
    owner_id: IdRef | None = Field(default=None, description="An active agent of the workspace; none: unassigned")
    due_at: BoundedDateTime


class TaskUpdate(RequestModel):
    """Only the fields given change. ``status: done`` needs an ``outcome``; ``status: open`` reopens the task."""

    model_config = ConfigDict(str_strip_whitespace=True)

    title: Title | None = None
    owner_id: IdRef | None = Field(default=None, description="null unassigns the task")
    due_at: BoundedDateTime | None = None
    status: TaskStatus | None = None
    outcome: Outcome | None = Field(default=None, description="What came of it; required to mark the task done")


class TaskRead(BaseModel):
    id: int
    contact_id: int
    contact_name: str
    playbook_id: int | None
    playbook_name: str | None
    title: str
    owner_id: int | None
    owner_name: str | None
    due_at: datetime
    overdue: bool = Field(description="Open and due before now")
    status: TaskStatus
    outcome: str | None
    created_by: str
    created_at: datetime
    completed_at: datetime | None


class TaskPage(BaseModel):
    items: list[TaskRead]
    next_cursor: str | None


class AtRiskRead(BaseModel):
    contact_id: int
    name: str
    health: int | None = Field(description="The health score, 0-100; null when not scored")
    first_reason: str | None = Field(description="The first reason the health score gives")
    p_alive: float | None
    clv_12m: float | None = Field(description="12-month customer lifetime value, in the workspace currency")
    value_at_risk: float | None = Field(description="clv_12m * (1 - p_alive); null without a prediction")
    owner_id: int | None
    owner_name: str | None
    open_task_id: int | None = Field(description="The customer's open task due first")
    open_task_title: str | None


class AtRiskPage(BaseModel):
    items: list[AtRiskRead]
    total: int = Field(description="At-risk customers in all")
    currency: str
    next_cursor: str | None
