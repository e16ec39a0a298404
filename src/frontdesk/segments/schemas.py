"""Segments as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from frontdesk.inputs import IdRef, RequestModel


class RuleInput(RequestModel):
    """A rule in its text form (``rule``) or its JSON form (``rule_json``): one of the two."""

    rule: str | None = Field(default=None, max_length=4000, examples=['country = "DE" and orders >= 2'])
    rule_json: dict[str, Any] | None = Field(default=None, examples=[{"field": "orders", "op": ">=", "value": 2}])

    @model_validator(mode="after")
    def _one_form(self) -> RuleInput:
        if (self.rule is None) == (self.rule_json is None):
            raise ValueError("give rule (text) or rule_json, one of them")
        return self


class SegmentCreate(RuleInput):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)


class SegmentUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    rule: str | None = Field(default=None, max_length=4000)
    rule_json: dict[str, Any] | None = None


class SegmentRead(BaseModel):
    id: str = Field(description="A number for saved segments, a name such as 'prospects' for built-in ones")
    name: str
    description: str | None
    rule: str
    rule_json: dict[str, Any]
    builtin: bool
    count: int | None = Field(default=None, description="Contacts in the segment now, when asked for")
    created_at: datetime | None = None
    updated_at: datetime | None = None


class SegmentPage(BaseModel):
    items: list[SegmentRead]
    next_cursor: str | None


class RulePreview(BaseModel):
    rule: str
    rule_json: dict[str, Any]
    count: int


class SegmentOwnerSet(RequestModel):
    owner_id: IdRef | None = Field(
        description="An active agent of the workspace who will own every current member; null: no owner"
    )


class SegmentOwnerResult(BaseModel):
    updated: int = Field(description="Members whose owner changed (those who had this owner already are not counted)")
