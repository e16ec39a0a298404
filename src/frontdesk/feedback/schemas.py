"""A workspace's feedback settings, as the API reads and changes them."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from frontdesk.inputs import RequestModel


class FeedbackSettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    complaint_star_threshold: int = Field(description="Reviews and chat ratings (1-5) at or under this are suggested")
    complaint_score_threshold: int = Field(description="Survey scores (0-10) at or under this are suggested")
    complaint_due_days: int
    referral_landing_url: str | None


class FeedbackSettingsUpdate(RequestModel):
    complaint_star_threshold: Annotated[int | None, Field(ge=1, le=5)] = None
    complaint_score_threshold: Annotated[int | None, Field(ge=0, le=10)] = None
    complaint_due_days: Annotated[int | None, Field(ge=1, le=365)] = None
    referral_landing_url: AnyHttpUrl | None = None
