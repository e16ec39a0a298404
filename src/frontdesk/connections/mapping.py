"""Generic shops: where each order field sits in the shop's JSON, set in Settings without code.

A mapping names dotted field paths (``customer.email``; a number indexes an array: ``emails.0``). ``lines`` is
the path of the array of order lines (``items`` or ``items[]``), and the ``line_*`` paths are read inside each
line. ``status_values`` turns the shop's own status words into Frontdesk's (completed, refunded, cancelled);
an order without a status, or with a word not listed, counts as completed.

    {"external_id": "id", "buyer_email": "customer.email", "buyer_name": "customer.name",
     "currency": "currency", "ordered_at": "created_at", "status": "status",
     "status_values": {"paid": "completed", "refunded": "refunded", "void": "cancelled"},
     "lines": "items", "line_sku": "sku", "line_quantity": "qty", "line_unit_price": "price", "line_name": "title"}
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk.commerce.models import OrderStatus
from frontdesk.connections.records import PayloadProblem, ShopLine, ShopOrder, amount, quantity, text
from frontdesk.errors import FieldError, InvalidInput

REQUIRED_PATHS = ("external_id", "buyer_email", "ordered_at", "lines", "line_sku", "line_quantity", "line_unit_price")
OPTIONAL_PATHS = ("buyer_name", "currency", "status", "line_name")
PATH = re.compile(r"^[^.\[\]\s]{1,100}(\.[^.\[\]\s]{1,100}){0,19}$")
MAX_STATUS_VALUES = 50
_MISSING = object()


def _path_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a field path such as customer.email"
    path = value.removesuffix("[]")
    if not PATH.match(path):
        return f"{value!r} is not a field path: names joined by dots, such as customer.email"
    return None


def validate_mapping(value: Any) -> dict[str, Any]:
    """The mapping, checked: every required path given, every path well formed, status words known.

    Raises InvalidInput naming each wrong field as ``mapping.<name>``.
    """
    if not isinstance(value, dict):
        raise InvalidInput("the mapping must be an object of field paths", field="mapping")
    errors: list[FieldError] = []
    known = set(REQUIRED_PATHS) | set(OPTIONAL_PATHS) | {"status_values"}
    for key in value:
        if key not in known:
            errors.append(FieldError(f"mapping.{key}", "is not a mapping field"))
    for key in REQUIRED_PATHS:
        if value.get(key) in (None, ""):
            errors.append(FieldError(f"mapping.{key}", "is required"))
        elif (problem := _path_problem(value[key])) is not None:
            errors.append(FieldError(f"mapping.{key}", problem))
    for key in OPTIONAL_PATHS:
        if value.get(key) not in (None, "") and (problem := _path_problem(value[key])) is not None:
            errors.append(FieldError(f"mapping.{key}", problem))
    statuses = value.get("status_values")
    if statuses is not None:
        if not isinstance(statuses, dict) or len(statuses) > MAX_STATUS_VALUES:
            errors.append(
                FieldError("mapping.status_values", f"must map up to {MAX_STATUS_VALUES} shop statuses to ours")
            )
        else:
            allowed = [status.value for status in OrderStatus]
            for word, ours in statuses.items():
                if len(word) > 100 or ours not in allowed:
                    errors.append(
                        FieldError(f"mapping.status_values.{word[:100]}", f"must be one of {', '.join(allowed)}")
                    )
    if errors:
        raise InvalidInput(errors[0]["message"] if len(errors) == 1 else "the mapping has mistakes", errors=errors)
    return {key: item for key, item in value.items() if item not in (None, "")}


def resolve(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``, or ``_MISSING``."""
    current = document
    for part in path.removesuffix("[]").split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isascii() and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _required(document: Any, mapping: dict[str, Any], key: str, where: str | None = None) -> Any:
    value = resolve(document, mapping[key])
    if value is _MISSING or value is None:
        raise PayloadProblem(where or key, f"nothing at {mapping[key]!r}")
    return value


def mapped_order(mapping: dict[str, Any], document: Any, *, default_currency: str) -> ShopOrder:
    """The order ``document`` describes under ``mapping``; raises PayloadProblem naming the first gap."""
    shop_order_id = text(_required(document, mapping, "external_id"))
    if shop_order_id is None:
        raise PayloadProblem("external_id", f"{mapping['external_id']!r} holds no order number")
    email = text(_required(document, mapping, "buyer_email"))
    name = text(resolve(document, mapping["buyer_name"])) if "buyer_name" in mapping else None
    currency = default_currency
    if "currency" in mapping:
        currency = text(_required(document, mapping, "currency")) or default_currency
    ordered_at = text(_required(document, mapping, "ordered_at"))
    if ordered_at is None:
        raise PayloadProblem("ordered_at", f"{mapping['ordered_at']!r} holds no date")
    status = OrderStatus.completed
    if "status" in mapping:
        word = text(resolve(document, mapping["status"]))
        ours = (mapping.get("status_values") or {}).get(word) if word is not None else None
        status = OrderStatus(ours) if ours else OrderStatus.completed
    items = _required(document, mapping, "lines")
    if not isinstance(items, list):
        raise PayloadProblem("lines", f"{mapping['lines']!r} is not an array")
    lines = []
    for index, item in enumerate(items):
        where = f"lines.{index}"
        sku = text(_required(item, mapping, "line_sku", f"{where}.sku"))
        if sku is None:
            raise PayloadProblem(f"{where}.sku", "is empty")
        count = quantity(_required(item, mapping, "line_quantity", f"{where}.quantity"), f"{where}.quantity")
        price = amount(_required(item, mapping, "line_unit_price", f"{where}.unit_price"), f"{where}.unit_price")
        title = (text(resolve(item, mapping["line_name"])) if "line_name" in mapping else None) or sku
        if count > 0:
            lines.append(ShopLine(sku=sku[:100], name=title[:300], quantity=count, unit_price=price))
    return ShopOrder(shop_order_id, email, name, currency, ordered_at, status, lines)
