"""Segment rules: the tree that both the text form and the JSON form become, and the checks it is built with.

    country in ("DE", "FR") and orders >= 2 and days_since_last_order < 90 and ranges = all

A comparison with an empty field is false (``country != "DE"`` does not match a contact with no country;
``country is null`` does). ``rule_text`` reads and writes the text form people write, ``rule_json`` the JSON
form programs send; both build comparisons through ``check`` here, so a rule means the same in either form and
every value is bounded before it reaches the compiler. The fields themselves are in ``fields``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from frontdesk.segments.fields import FIELDS, ORDERED_KINDS, FieldSpec, Kind

MAX_DEPTH = 30
# Each number's range, wide enough for any real comparison and narrow enough that the compiled query never
# overflows: days become a time ``now - days`` (Python's datetimes end in year 9999), amounts are compared in
# minor units (64-bit), counts with 32-bit columns.
MAX_WHOLE_NUMBER = 10**9
MAX_DAYS = 365_000
MAX_AMOUNT = 10**12
# Decimals a probability or a decimal number may have in a rule: finer than any figure is shown.
FRACTION_DIGITS = 3
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
OPERATORS = (*COMPARISONS, "in", "not in", "is null", "is not null")


class All:
    """The value ``all`` of ``ranges = all``."""

    def __repr__(self) -> str:
        return "all"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, All)

    def __hash__(self) -> int:
        return 0


ALL = All()
Value = str | int | Decimal | bool | All


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    value: Value | tuple[Value, ...] | None = None


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    rule: Rule


Rule = Comparison | AllOf | AnyOf | Not


class RuleError(ValueError):
    """A rule that cannot be used: where (character offset in the text, or JSON path) and why."""

    def __init__(self, message: str, position: int | None = None, path: str | None = None) -> None:
        where = f" at character {position + 1}" if position is not None else f" at {path}" if path else ""
        super().__init__(f"{message}{where}")
        self.reason = message
        self.position = position
        self.path = path


# --- checking one comparison (shared by both forms) --------------------------------------------------------


def _check_value(field: str, spec: FieldSpec, op: str, value: Any, where: dict[str, Any]) -> Value:
    if isinstance(value, All):
        if field != "ranges" or op not in {"=", "!="}:
            raise RuleError("'all' only works as ranges = all or ranges != all", **where)
        return value
    if spec.kind in {Kind.text, Kind.choice, Kind.tag}:
        if not isinstance(value, str):
            raise RuleError(f"{field} takes text in quotes", **where)
        text = value.strip().upper() if spec.upper else value.strip().lower() if spec.kind == Kind.tag else value
        if spec.kind == Kind.choice and text not in spec.choices:
            raise RuleError(f"{field} is one of {', '.join(spec.choices)}; not {value!r}", **where)
        return text
    if spec.kind == Kind.boolean:
        if not isinstance(value, bool):
            raise RuleError(f"{field} is true or false", **where)
        return value
    if spec.kind == Kind.agent:
        return _agent_value(field, value, where)
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise RuleError(f"{field} takes a number", **where)
    number = Decimal(str(value))
    if spec.kind in {Kind.probability, Kind.decimal}:
        return _fraction_value(field, spec.kind, number, where)
    # The range first: quantizing a number such as 1E+999999 or one with 40 digits raises.
    if spec.kind == Kind.score:
        if not (number.is_finite() and abs(number) <= 1) or number != number.quantize(Decimal("0.001")):
            raise RuleError(f"{field} takes a score from -1 to 1 with at most three decimals", **where)
        return number
    if spec.kind == Kind.money:
        if not (number.is_finite() and abs(number) <= MAX_AMOUNT) or number != number.quantize(Decimal("0.01")):
            raise RuleError(f"{field} takes an amount up to {MAX_AMOUNT} with at most two decimals", **where)
        return number
    limit = MAX_DAYS if spec.kind == Kind.days else MAX_WHOLE_NUMBER
    if not (number.is_finite() and abs(number) <= limit) or number != number.to_integral_value():
        raise RuleError(f"{field} takes a whole number from -{limit} to {limit}", **where)
    return int(number)


def _agent_value(field: str, value: Any, where: dict[str, Any]) -> str | int:
    """An agent's e-mail address (compared ignoring case, so kept in lower case) or id."""
    if isinstance(value, str):
        email = value.strip().lower()
        if not email or "@" not in email or len(email) > 320:
            raise RuleError(f'{field} takes an agent\'s e-mail address in quotes, e.g. "anna@shop.example"', **where)
        return email
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_WHOLE_NUMBER:
        return value
    raise RuleError(f"{field} takes an agent's e-mail address in quotes or an agent's id", **where)


def _fraction_value(field: str, kind: Kind, number: Decimal, where: dict[str, Any]) -> Decimal:
    low, high = (Decimal(0), Decimal(1)) if kind == Kind.probability else (-MAX_WHOLE_NUMBER, MAX_WHOLE_NUMBER)
    step = Decimal(1).scaleb(-FRACTION_DIGITS)
    # The range first: quantizing a number such as 1E+999999 raises.
    if not (number.is_finite() and low <= number <= high) or number != number.quantize(step):
        raise RuleError(f"{field} takes a number from {low} to {high} with at most {FRACTION_DIGITS} decimals", **where)
    # Written out without an exponent ("1E+1" is 10), so the rule's text form reads back as the same value.
    return Decimal(format(number, "f"))


def check(field: str, op: str, value: Any, where: dict[str, Any]) -> Comparison:
    spec = FIELDS.get(field)
    if spec is None:
        raise RuleError(f"unknown field {field!r}; fields are {', '.join(FIELDS)}", **where)
    if op not in OPERATORS:
        raise RuleError(f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}", **where)
    if op in {"is null", "is not null"}:
        if not spec.nullable and spec.kind != Kind.tag:
            raise RuleError(f"{field} is never empty", **where)
        return Comparison(field, op)
    if op in {"<", "<=", ">", ">="} and spec.kind not in ORDERED_KINDS:
        raise RuleError(f"{field} can only be compared with =, !=, in or not in", **where)
    if op in {"in", "not in"}:
        if not isinstance(value, list | tuple) or not value:
            raise RuleError(f"{op} takes a list of values", **where)
        return Comparison(field, op, tuple(_check_value(field, spec, op, item, where) for item in value))
    return Comparison(field, op, _check_value(field, spec, op, value, where))


def fields_used(rule: Rule) -> set[str]:
    if isinstance(rule, Comparison):
        return {rule.field}
    if isinstance(rule, Not):
        return fields_used(rule.rule)
    return set().union(*(fields_used(part) for part in rule.rules))
