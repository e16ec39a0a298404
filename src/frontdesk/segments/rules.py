"""Segment rules: the text form people write, the JSON form programs send, and the tree both become.

    country in ("DE", "FR") and orders >= 2 and days_since_last_order < 90 and ranges = all

Grammar (keywords are case-insensitive)::

    rule       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | "(" rule ")" | comparison
    comparison := FIELD op value | FIELD ["not"] "in" "(" value ("," value)* ")" | FIELD "is" ["not"] "null"
    op         := "=" | "!=" | "<" | "<=" | ">" | ">="
    value      := "text" | 'text' | number | true | false | all

A comparison with an empty field is false (``country != "DE"`` does not match a contact with no country;
``country is null`` does). JSON form: ``{"all": [rule, ...]}``, ``{"any": [rule, ...]}``, ``{"not": rule}``,
``{"field": "orders", "op": ">=", "value": 2}`` (``value`` is a list for ``in`` / ``not in``, absent for
``is null`` / ``is not null``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from frontdesk.commerce.models import Lifecycle
from frontdesk.contacts.models import Audience, ContactKind, Market, Stage

MAX_RULE_LENGTH = 4000
MAX_DEPTH = 30
# Each number's range, wide enough for any real comparison and narrow enough that the compiled query never
# overflows: days become a time ``now - days`` (Python's datetimes end in year 9999), amounts are compared in
# minor units (64-bit), counts with 32-bit columns.
MAX_WHOLE_NUMBER = 10**9
MAX_DAYS = 365_000
MAX_AMOUNT = 10**12


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


# --- the text form ------------------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<unclosed>["'])
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


@dataclass
class Token:
    kind: str
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            break  # only trailing blanks are left
        kind = match.lastgroup
        start = match.start(kind)
        if kind == "unclosed":
            raise RuleError("text in quotes that is never closed", start)
        if kind == "bad":
            raise RuleError(f"unexpected character {match.group(kind)!r}", start)
        tokens.append(Token(kind, match.group(kind), start))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def word(self, *words: str) -> bool:
        return self.token.kind == "word" and self.token.text.lower() in words

    def take(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def expect_punct(self, punct: str, what: str) -> None:
        if self.token.kind != "punct" or self.token.text != punct:
            raise RuleError(f"expected {what}, found {self._describe(self.token)}", self.token.position)
        self.take()

    @staticmethod
    def _describe(token: Token) -> str:
        return "the end of the rule" if token.kind == "end" else repr(token.text)

    def parse(self) -> Rule:
        if self.token.kind == "end":
            raise RuleError("the rule is empty", 0)
        rule = self.parse_or()
        if self.token.kind != "end":
            raise RuleError(f"expected 'and', 'or' or the end, found {self._describe(self.token)}", self.token.position)
        return rule

    def parse_or(self) -> Rule:
        rules = [self.parse_and()]
        while self.word("or"):
            self.take()
            rules.append(self.parse_and())
        return rules[0] if len(rules) == 1 else AnyOf(tuple(rules))

    def parse_and(self) -> Rule:
        rules = [self.parse_not()]
        while self.word("and"):
            self.take()
            rules.append(self.parse_not())
        return rules[0] if len(rules) == 1 else AllOf(tuple(rules))

    def parse_not(self) -> Rule:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleError("the rule nests too deeply", self.token.position)
        try:
            if self.word("not"):
                self.take()
                return Not(self.parse_not())
            if self.token.kind == "punct" and self.token.text == "(":
                self.take()
                rule = self.parse_or()
                self.expect_punct(")", "')'")
                return rule
            return self.parse_comparison()
        finally:
            self.depth -= 1

    def parse_comparison(self) -> Rule:
        start = self.token
        if start.kind != "word" or start.text.lower() in {"and", "or", "not", "in", "is", "true", "false", "all"}:
            raise RuleError(f"expected a field name, found {self._describe(start)}", start.position)
        field = self.take().text.lower()
        where = {"position": start.position}
        if field not in FIELDS:
            raise RuleError(f"unknown field {field!r}; fields are {', '.join(FIELDS)}", start.position)
        if self.word("is"):
            self.take()
            negated = self.word("not")
            if negated:
                self.take()
            if not self.word("null"):
                raise RuleError(f"expected 'null', found {self._describe(self.token)}", self.token.position)
            self.take()
            return check(field, "is not null" if negated else "is null", None, where)
        if self.word("not"):
            self.take()
            if not self.word("in"):
                raise RuleError(f"expected 'in' after 'not', found {self._describe(self.token)}", self.token.position)
            self.take()
            return check(field, "not in", self.parse_list(), where)
        if self.word("in"):
            self.take()
            return check(field, "in", self.parse_list(), where)
        if self.token.kind != "op":
            raise RuleError(
                f"expected an operator (=, !=, <, <=, >, >=, in, is) after {field}, found {self._describe(self.token)}",
                self.token.position,
            )
        op = self.take().text
        value_token = self.token
        return check(field, op, self.parse_value(), {"position": value_token.position})

    def parse_list(self) -> list[Value]:
        self.expect_punct("(", "'(' and a list of values")
        values = [self.parse_value()]
        while self.token.kind == "punct" and self.token.text == ",":
            self.take()
            values.append(self.parse_value())
        self.expect_punct(")", "',' or ')'")
        return values

    def parse_value(self) -> Value:
        token = self.take()
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            try:
                return int(token.text) if "." not in token.text else Decimal(token.text)
            except (ValueError, InvalidOperation):
                raise RuleError("not a number", token.position) from None
        if token.kind == "word" and token.text.lower() in {"true", "false"}:
            return token.text.lower() == "true"
        if token.kind == "word" and token.text.lower() == "all":
            return ALL
        hint = " (text goes in quotes)" if token.kind == "word" else ""
        raise RuleError(f"expected a value, found {self._describe(token)}{hint}", token.position)


def parse(text: str) -> Rule:
    """The rule written in ``text``; ``RuleError`` says where and why it cannot be read."""
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"a rule is at most {MAX_RULE_LENGTH} characters", MAX_RULE_LENGTH)
    return _Parser(text).parse()


def _value_text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def to_text(rule: Rule, nested: bool = False) -> str:
    """The canonical text of a rule; ``parse(to_text(rule)) == rule``."""
    if isinstance(rule, Comparison):
        if rule.op in {"is null", "is not null"}:
            return f"{rule.field} {rule.op}"
        if rule.op in {"in", "not in"}:
            assert isinstance(rule.value, tuple)
            return f"{rule.field} {rule.op} ({', '.join(_value_text(v) for v in rule.value)})"
        assert rule.value is not None and not isinstance(rule.value, tuple)
        return f"{rule.field} {rule.op} {_value_text(rule.value)}"
    if isinstance(rule, Not):
        return f"not {to_text(rule.rule, nested=True)}"
    joiner = " and " if isinstance(rule, AllOf) else " or "
    text = joiner.join(to_text(part, nested=True) for part in rule.rules)
    return f"({text})" if nested else text


# --- the JSON form ------------------------------------------------------------------------------------------


def _json_value(value: Value) -> Any:
    if isinstance(value, All):
        return "all"
    if isinstance(value, Decimal):
        return str(value)
    return value


def to_json(rule: Rule) -> dict[str, Any]:
    if isinstance(rule, Comparison):
        data: dict[str, Any] = {"field": rule.field, "op": rule.op}
        if isinstance(rule.value, tuple):
            data["value"] = [_json_value(v) for v in rule.value]
        elif rule.value is not None:
            data["value"] = _json_value(rule.value)
        return data
    if isinstance(rule, Not):
        return {"not": to_json(rule.rule)}
    return {"all" if isinstance(rule, AllOf) else "any": [to_json(part) for part in rule.rules]}


def _from_json_value(field: str, value: Any) -> Any:
    if field == "ranges" and value == "all":
        return ALL
    spec = FIELDS.get(field)
    if spec and spec.kind in ORDERED_KINDS and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def from_json(data: Any, path: str = "rule", depth: int = 0) -> Rule:
    """The rule a JSON document describes; ``RuleError`` names the path of what is wrong."""
    if depth > MAX_DEPTH:
        raise RuleError("the rule nests too deeply", path=path)
    if not isinstance(data, dict):
        raise RuleError("expected an object", path=path)
    if "field" in data:
        unknown = set(data) - {"field", "op", "value"}
        if unknown:
            raise RuleError(f"unexpected keys {sorted(unknown)}", path=path)
        field, op = data.get("field"), data.get("op")
        if not isinstance(field, str) or not isinstance(op, str):
            raise RuleError("field and op must be text", path=path)
        value = data.get("value")
        value = (
            [_from_json_value(field, v) for v in value] if isinstance(value, list) else _from_json_value(field, value)
        )
        if op in COMPARISONS and "value" not in data:
            raise RuleError(f"{op} needs a value", path=path)
        return check(field.lower(), op.lower(), value, {"path": path})
    if len(data) != 1:
        raise RuleError('expected one of "all", "any", "not" or "field"', path=path)
    key, inner = next(iter(data.items()))
    if key == "not":
        return Not(from_json(inner, f"{path}.not", depth + 1))
    if key in {"all", "any"}:
        if not isinstance(inner, list) or not inner:
            raise RuleError("expected a non-empty list", path=f"{path}.{key}")
        parts = tuple(from_json(part, f"{path}.{key}[{i}]", depth + 1) for i, part in enumerate(inner))
        if len(parts) == 1:
            return parts[0]
        return AllOf(parts) if key == "all" else AnyOf(parts)
    raise RuleError(f'unknown key {key!r}; expected "all", "any", "not" or "field"', path=path)


def fields_used(rule: Rule) -> set[str]:
    if isinstance(rule, Comparison):
        return {rule.field}
    if isinstance(rule, Not):
        return fields_used(rule.rule)
    return set().union(*(fields_used(part) for part in rule.rules))
