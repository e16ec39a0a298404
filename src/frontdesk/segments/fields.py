"""The segment field catalogue: every field a segment rule can compare, its kind and what it means.

Separate from the rule language: the parsers check comparisons against it, the compiler turns each field into
SQL, and the console lists it as help; adding a field starts here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from frontdesk.commerce.models import Lifecycle
from frontdesk.contacts.models import Audience, ContactKind, Market, Stage


class Kind(enum.StrEnum):
    text = "text"  # free text, compared exactly
    choice = "choice"  # one of a fixed list
    integer = "integer"
    money = "money"  # in the workspace currency, e.g. 120.50
    days = "days"  # whole days since a moment
    boolean = "boolean"
    tag = "tag"  # tag = "vip": the contact has that tag
    score = "score"  # a sentiment score from -1 to +1, e.g. -0.3
    probability = "probability"  # from 0 to 1, e.g. 0.3
    decimal = "decimal"  # a number with decimals, e.g. 1.5 (expected purchases)
    agent = "agent"  # an agent, by e-mail address ("anna@shop.example") or id (12)


RFM_GROUPS = ("Champions", "Loyal", "Potential loyalists", "At risk", "Can't lose them", "Hibernating", "Lost")


@dataclass(frozen=True)
class FieldSpec:
    kind: Kind
    help: str
    choices: tuple[str, ...] = ()
    nullable: bool = False
    upper: bool = False  # values are codes written in capitals (countries)


FIELDS: dict[str, FieldSpec] = {
    "kind": FieldSpec(Kind.choice, "person or organisation", tuple(ContactKind)),
    "country": FieldSpec(Kind.text, "ISO country code, e.g. DE", nullable=True, upper=True),
    "region": FieldSpec(Kind.text, "ISO subdivision code, e.g. DE-BY", nullable=True, upper=True),
    "audience": FieldSpec(Kind.choice, "external or internal", tuple(Audience)),
    "market": FieldSpec(Kind.choice, "b2c or b2b", tuple(Market), nullable=True),
    "stage": FieldSpec(Kind.choice, "prospect (no completed order) or customer: follows lifecycle", tuple(Stage)),
    "department": FieldSpec(Kind.text, "department of an internal customer", nullable=True),
    "tag": FieldSpec(Kind.tag, 'tag = "vip": has the tag; tag is null: has no tag'),
    "is_reseller": FieldSpec(Kind.boolean, "marked as a reseller in the registry"),
    "days_since_created": FieldSpec(Kind.days, "days since the contact was added"),
    "orders": FieldSpec(Kind.integer, "completed orders"),
    "recent_orders": FieldSpec(Kind.integer, "completed orders in the frequency window"),
    "total_spent": FieldSpec(Kind.money, "sum of completed orders"),
    "avg_order_value": FieldSpec(Kind.money, "average completed order", nullable=True),
    "days_since_last_order": FieldSpec(Kind.days, "days since the last completed order", nullable=True),
    "days_since_first_order": FieldSpec(Kind.days, "days since the first completed order", nullable=True),
    "ranges": FieldSpec(Kind.integer, "product ranges bought from; ranges = all: every range"),
    "lifecycle": FieldSpec(Kind.choice, "derived from purchases", tuple(Lifecycle)),
    "reseller": FieldSpec(Kind.boolean, "bought for resale as a registered organisation"),
    "rfm_r": FieldSpec(Kind.integer, "recency score 1-5", nullable=True),
    "rfm_f": FieldSpec(Kind.integer, "frequency score 1-5", nullable=True),
    "rfm_m": FieldSpec(Kind.integer, "monetary score 1-5", nullable=True),
    "rfm_group": FieldSpec(Kind.choice, "named RFM group", RFM_GROUPS, nullable=True),
    "avg_sentiment_90d": FieldSpec(
        Kind.score, "average sentiment of the contact's chat lines of the last 90 days, -1 to +1", nullable=True
    ),
    "owner": FieldSpec(
        Kind.agent, 'the agent who looks after the customer: owner = "anna@shop.example" or owner = 12', nullable=True
    ),
    # Stored by the daily refresh (purchase model and health score); empty until a customer has been scored.
    "p_alive": FieldSpec(Kind.probability, "probability the customer is still buying, 0 to 1", nullable=True),
    "expected_purchases_90d": FieldSpec(Kind.decimal, "purchases the model expects in the next 90 days", nullable=True),
    "expected_purchases_365d": FieldSpec(
        Kind.decimal, "purchases the model expects in the next 365 days", nullable=True
    ),
    "expected_order_value": FieldSpec(Kind.money, "average order value the model expects", nullable=True),
    "clv_12m": FieldSpec(Kind.money, "lifetime value over the next 12 months, discounted", nullable=True),
    "health": FieldSpec(Kind.integer, "health score 0-100", nullable=True),
}
ORDERED_KINDS = {Kind.integer, Kind.money, Kind.days, Kind.score, Kind.probability, Kind.decimal}
