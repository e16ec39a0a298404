"""The JSON form of segment rules, the one programs send: a rule tree to JSON and back.

``{"all": [rule, ...]}``, ``{"any": [rule, ...]}``, ``{"not": rule}``, ``{"field": "orders", "op": ">=", "value": 2}``
(``value`` is a list for ``in`` / ``not in``, absent for ``is null`` / ``is not null``).

Separate from the tree (``rules``): only this form has JSON paths and values sent as strings.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from frontdesk.segments.fields import FIELDS, ORDERED_KINDS
from frontdesk.segments.rules import (
    ALL,
    COMPARISONS,
    MAX_DEPTH,
    All,
    AllOf,
    AnyOf,
    Comparison,
    Not,
    Rule,
    RuleError,
    Value,
    check,
)


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
