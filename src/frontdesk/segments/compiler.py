"""Segment rules compiled to SQL: the database does the counting, on SQLite and PostgreSQL alike.

Every comparison becomes a condition on ``contacts`` left-joined to ``customer_figures`` (joined only when
the rule uses a purchase figure), ``customer_predictions`` and ``customer_health`` (likewise: only for a
prediction or the health score). Conditions never yield NULL: a comparison on an empty field is false, so
``not`` means what it says. Derived figures are compared without arithmetic on columns where possible:
``days_since_last_order < 90`` becomes ``last_order_at > now - 90 days`` (an index can serve it), and
``avg_order_value >= 50`` becomes ``total_spent >= 50 * orders`` (exact, no division).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Numeric,
    Select,
    and_,
    cast,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import literal

from frontdesk.commerce.models import CustomerFigures, Lifecycle
from frontdesk.commerce.schemas import minor_units
from frontdesk.contacts.models import Contact, ContactTag
from frontdesk.conversations.models import Conversation, Message
from frontdesk.db import UTCDateTime
from frontdesk.reviews.models import Review
from frontdesk.segments.fields import FIELDS, Kind
from frontdesk.segments.rules import ALL, AllOf, AnyOf, Comparison, Not, Rule, fields_used
from frontdesk.success.models import CustomerHealth, CustomerPrediction
from frontdesk.surveys.models import SurveyRecipient
from frontdesk.workspaces.models import Agent

CONTACT_COLUMNS = {"kind", "country", "region", "audience", "market", "stage", "department", "is_reseller"}
# What the daily refresh stored per customer: the purchase model's predictions (money in minor units, as
# floats) and the health score. No row yet: every such field is empty.
PREDICTION_COLUMNS: dict[str, Any] = {
    "p_alive": CustomerPrediction.p_alive,
    "expected_purchases_90d": CustomerPrediction.expected_purchases_90d,
    "expected_purchases_365d": CustomerPrediction.expected_purchases_365d,
    "expected_order_value": CustomerPrediction.expected_order_value_minor,
    "clv_12m": CustomerPrediction.clv_12m_minor,
}
HEALTH_COLUMNS: dict[str, Any] = {"health": CustomerHealth.score}
FIGURE_FIELDS = {
    name
    for name in FIELDS
    if name
    not in CONTACT_COLUMNS
    | PREDICTION_COLUMNS.keys()
    | HEALTH_COLUMNS.keys()
    | {"tag", "days_since_created", "avg_sentiment_90d", "owner"}
}
SENTIMENT_DAYS = 90


@dataclass(frozen=True)
class Context:
    """What a rule is evaluated against: the moment "now", the currency, and how many ranges exist."""

    workspace_id: int
    now: datetime
    currency: str
    range_count: int


def _figure(name: str) -> ColumnElement[Any]:
    column: ColumnElement[Any] = getattr(CustomerFigures, name)
    defaults: dict[str, Any] = {
        "orders": 0,
        "recent_orders": 0,
        "total_spent_minor": 0,
        "ranges": 0,
        "lifecycle": Lifecycle.prospect.value,
        "reseller": False,
    }
    # A contact without a figures row never bought: its figures are the zero ones.
    return func.coalesce(column, defaults[name]) if name in defaults else column


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _minor(value: Decimal, currency: str) -> ColumnElement[Any]:
    """An amount in the currency's minor unit as a literal. Rules allow two decimals in every currency: a
    fraction of a yen stays a fraction (compared as a float, exact at these magnitudes) rather than an error."""
    scaled = value * minor_units(currency)
    if scaled == scaled.to_integral_value():
        return literal(int(scaled), BigInteger())
    return literal(float(scaled), Float())


def _column(field: str) -> ColumnElement[Any]:
    """The column a plain comparison of ``field`` reads."""
    if field in CONTACT_COLUMNS:
        column: ColumnElement[Any] = getattr(Contact, field)
        return column
    if field in PREDICTION_COLUMNS:
        return PREDICTION_COLUMNS[field]  # type: ignore[no-any-return]
    if field in HEALTH_COLUMNS:
        return HEALTH_COLUMNS[field]  # type: ignore[no-any-return]
    return _figure(field)


def _owner(op: str, value: Any, ctx: Context) -> ColumnElement[bool]:
    """``owner = "anna@shop.example"`` (the agent of this workspace with that address) or ``owner = 12``."""
    if op == "is null":
        return Contact.owner_id.is_(None)
    if op == "is not null":
        return Contact.owner_id.is_not(None)
    if isinstance(value, str):
        agents = select(Agent.id).where(Agent.workspace_id == ctx.workspace_id, Agent.email_normalized == value)
        same: ColumnElement[bool] = Contact.owner_id.in_(agents)
    else:
        same = Contact.owner_id == value
    # An empty field compares false either way: != needs an owner, as country != "DE" needs a country.
    return and_(Contact.owner_id.is_not(None), same if op == "=" else not_(same))


def _ordered(column: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = OPERATORS[op](column, value)
    return condition


def _days_since(column: Any, op: str, days: int, now: datetime) -> ColumnElement[bool]:
    """Whole days since ``column`` (floor) compared with ``days``, as a comparison of the timestamp itself."""
    start_of_day = literal(now - timedelta(days=days), UTCDateTime())  # exactly ``days`` ago
    end_of_day = literal(now - timedelta(days=days + 1), UTCDateTime())  # the day before that
    if op == "<":
        condition = column > start_of_day
    elif op == "<=":
        condition = column > end_of_day
    elif op == ">":
        condition = column <= end_of_day
    elif op == ">=":
        condition = column <= start_of_day
    elif op == "=":
        condition = and_(column > end_of_day, column <= start_of_day)
    else:
        condition = or_(column <= end_of_day, column > start_of_day)
    return and_(column.is_not(None), condition)


def _comparison(rule: Comparison, ctx: Context) -> ColumnElement[bool]:
    field, op, value = rule.field, rule.op, rule.value
    if op in {"in", "not in"}:
        assert isinstance(value, tuple)
        if FIELDS[field].kind in {Kind.text, Kind.choice, Kind.integer} and ALL not in value:
            listed_column: Any = _column(field)
            listed = listed_column.in_(value) if op == "in" else listed_column.not_in(value)
            return and_(listed_column.is_not(None), listed) if FIELDS[field].nullable else listed
        matched = or_(*(_comparison(Comparison(field, "=", item), ctx) for item in value))
        if FIELDS[field].kind == Kind.tag:
            return matched if op == "in" else not_(matched)
        present = _comparison(Comparison(field, "is not null"), ctx) if FIELDS[field].nullable else true()
        return matched if op == "in" else and_(present, not_(matched))
    spec = FIELDS[field]
    if spec.kind == Kind.agent:
        return _owner(op, value, ctx)
    if spec.kind == Kind.tag:
        has_tags = select(ContactTag.tag).where(ContactTag.contact_id == Contact.id)
        if op == "is null":
            return not_(has_tags.exists())
        if op == "is not null":
            return has_tags.exists()
        has = has_tags.where(ContactTag.tag == value).exists()
        return has if op == "=" else not_(has)
    if field == "avg_sentiment_90d":
        since = literal(ctx.now - timedelta(days=SENTIMENT_DAYS), UTCDateTime())
        # What the contact wrote in the window: chat lines, reviews and survey comments, each scored once.
        # Sums and counts per source, correlated to the contact (a union in a derived table would not be).
        chat = (
            select(Message.sentiment)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.contact_id == Contact.id, Message.created_at > since)
        )
        reviews = select(Review.sentiment).where(Review.contact_id == Contact.id, Review.updated_at > since)
        comments = select(SurveyRecipient.sentiment).where(
            SurveyRecipient.contact_id == Contact.id, SurveyRecipient.answered_at > since
        )
        total: Any = literal(0.0)
        count: Any = literal(0)
        for source in (chat, reviews, comments):
            score = source.selected_columns[0]
            total = total + func.coalesce(source.with_only_columns(func.sum(score)).scalar_subquery(), 0.0)
            count = count + source.with_only_columns(func.count(score)).scalar_subquery()
        average: ColumnElement[Any] = total / func.nullif(count, 0)
        if op in {"is null", "is not null"}:
            return average.is_(None) if op == "is null" else average.is_not(None)
        assert isinstance(value, Decimal)
        return and_(average.is_not(None), _ordered(average, op, literal(float(value))))
    if field == "avg_order_value":
        orders, spent = _figure("orders"), _figure("total_spent_minor")
        if op in {"is null", "is not null"}:
            return orders == 0 if op == "is null" else orders > 0
        assert isinstance(value, Decimal)
        # Decimal arithmetic: orders x amount in cents outgrows 32 bits for big customers, and 64 bits for a
        # rule's largest amount (SQLite turns an overflowing product into a float by itself).
        return and_(orders > 0, _ordered(spent, op, _minor(value, ctx.currency) * cast(orders, Numeric())))
    if spec.kind == Kind.days:
        column = {
            "days_since_last_order": CustomerFigures.last_order_at,
            "days_since_first_order": CustomerFigures.first_order_at,
            "days_since_created": Contact.created_at,
        }[field]
        if op in {"is null", "is not null"}:
            return column.is_(None) if op == "is null" else column.is_not(None)
        assert isinstance(value, int)
        return _days_since(column, op, value, ctx.now)
    operand: Any = value
    plain = _figure("total_spent_minor") if field == "total_spent" else _column(field)
    if spec.kind == Kind.money and isinstance(value, Decimal):
        operand = _minor(value, ctx.currency)
    elif spec.kind in {Kind.probability, Kind.decimal} and isinstance(value, Decimal):
        # The stored figures are floats: compared with the float nearest the rule's number, on both databases.
        operand = literal(float(value), Float())
    if op == "is null":
        return plain.is_(None)
    if op == "is not null":
        return plain.is_not(None)
    if value == ALL:  # ranges = all: bought from every range the workspace has (and it has some)
        every = and_(literal(ctx.range_count) > 0, plain == ctx.range_count)
        return every if op == "=" else not_(every)
    condition = _ordered(plain, op, operand)
    return and_(plain.is_not(None), condition) if spec.nullable else condition


def compile_rule(rule: Rule, ctx: Context) -> ColumnElement[bool]:
    if isinstance(rule, Comparison):
        return _comparison(rule, ctx)
    if isinstance(rule, Not):
        return not_(compile_rule(rule.rule, ctx))
    parts = [compile_rule(part, ctx) for part in rule.rules]
    if isinstance(rule, AllOf):
        return and_(*parts) if parts else true()
    assert isinstance(rule, AnyOf)
    return or_(*parts) if parts else false()


def contacts_matching(rule: Rule, ctx: Context, *columns: Any) -> Select[Any]:
    """``SELECT columns FROM contacts [LEFT JOIN customer_figures / customer_predictions / customer_health]
    WHERE workspace AND rule``: each table joined only when the rule uses one of its fields."""
    statement = select(*(columns or (Contact.id,))).select_from(Contact)
    used = fields_used(rule)
    if used & FIGURE_FIELDS:
        statement = statement.outerjoin(CustomerFigures, CustomerFigures.contact_id == Contact.id)
    if used & PREDICTION_COLUMNS.keys():
        statement = statement.outerjoin(CustomerPrediction, CustomerPrediction.contact_id == Contact.id)
    if used & HEALTH_COLUMNS.keys():
        statement = statement.outerjoin(CustomerHealth, CustomerHealth.contact_id == Contact.id)
    return statement.where(Contact.workspace_id == ctx.workspace_id, compile_rule(rule, ctx))
