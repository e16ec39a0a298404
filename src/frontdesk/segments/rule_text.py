"""The text form of segment rules: reading what people write into a rule tree, and writing a tree back.

Grammar (keywords are case-insensitive)::

    rule       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | "(" rule ")" | comparison
    comparison := FIELD op value | FIELD ["not"] "in" "(" value ("," value)* ")" | FIELD "is" ["not"] "null"
    op         := "=" | "!=" | "<" | "<=" | ">" | ">="
    value      := "text" | 'text' | number | true | false | all

Separate from the tree (``rules``): only this form has tokens, positions and quoting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from frontdesk.segments.fields import FIELDS
from frontdesk.segments.rules import (
    ALL,
    MAX_DEPTH,
    AllOf,
    AnyOf,
    Comparison,
    Not,
    Rule,
    RuleError,
    Value,
    check,
)

MAX_RULE_LENGTH = 4000

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
