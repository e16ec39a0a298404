"""What the referral API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.inputs import IdRef, RequestModel

CodeText = Annotated[str, Field(min_length=4, max_length=20, description="A customer's referral code")]


class ReferralCodeRead(BaseModel):
    contact_id: int
    code: str
    link: str


class ReferralCreate(RequestModel):
    """Attribute a new contact (and, optionally, their first order) to the owner of a code."""

    model_config = ConfigDict(str_strip_whitespace=True)

    referral_code: CodeText
    contact_id: IdRef
    order_id: IdRef | None = None


class ReferralRead(BaseModel):
    id: int
    referrer_id: int | None = Field(
        description="Nothing once the contact was erased (the row stays, anonymised, for the figures)"
    )
    referrer_name: str
    referred_id: int | None = Field(
        description="Nothing once the contact was erased (the row stays, anonymised, for the figures)"
    )
    referred_name: str
    order_id: int | None
    code: str
    created_at: datetime


class ReferralPage(BaseModel):
    items: list[ReferralRead]
    next_cursor: str | None


class TopReferrer(BaseModel):
    contact_id: int
    name: str
    code: str | None
    referred: int = Field(description="Contacts who came by their code")
    became_customers: int = Field(description="Of those, how many have bought")
    revenue: Decimal = Field(description="What those customers have spent (completed orders)")


class ReferralReport(BaseModel):
    new_customers: int = Field(description="Contacts whose first order falls in the range")
    referred_new_customers: int = Field(description="Of those, how many came by referral")
    referral_rate: float | None = Field(description="Referred new customers per 100 new customers")
    referred_contacts: int = Field(description="Contacts attributed to a referrer in the range, bought or not")
    currency: str
    top_referrers: list[TopReferrer]
