"""What Frontdesk takes from a shop's webhook, whatever the shop: an order, a refund or a customer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from frontdesk.commerce.models import OrderStatus
from frontdesk.commerce.schemas import minor_units

MAX_AMOUNT = Decimal(10**12)  # above any real price; rounding a larger one to cents could overflow the context


class PayloadProblem(Exception):
    """The payload cannot be used as it is: the delivery is kept as failed with this message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class ShopLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass
class ShopOrder:
    shop_order_id: str  # the shop's own order id; Frontdesk's external id is made from it (see service)
    buyer_email: str | None
    buyer_name: str | None
    currency: str
    ordered_at: str
    status: OrderStatus
    lines: list[ShopLine] = field(default_factory=list)


@dataclass
class ShopRefund:
    shop_order_id: str
    amount: Decimal  # what was paid back, in the shop's currency
    note: str | None = None


@dataclass
class ShopCustomer:
    email: str
    first_name: str | None
    last_name: str | None
    phone: str | None


def parse_json(body: bytes) -> Any:
    """The body as JSON, decimals kept exact (a float would turn 19.99 into 19.989999...)."""
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise PayloadProblem("body", "is not JSON") from None


def text(value: Any) -> str | None:
    """A non-empty string from a JSON value (ids may be numbers), or None."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    result = str(value).strip()
    return result or None


def amount(value: Any, where: str) -> Decimal:
    if isinstance(value, bool):
        raise PayloadProblem(where, "is not an amount")
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PayloadProblem(where, f"{value!r} is not an amount") from None
    if not result.is_finite() or result < 0:
        raise PayloadProblem(where, f"{value!r} is not an amount")
    if result > MAX_AMOUNT:
        raise PayloadProblem(where, f"is over {MAX_AMOUNT}")
    return result


def to_cents(value: Decimal, currency: str) -> Decimal:
    """Rounded to the currency's minor unit: shops send prices computed with more decimals (3.3333)."""
    step = Decimal(1) / minor_units(currency)
    return value.quantize(step, rounding=ROUND_HALF_UP)


def quantity(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise PayloadProblem(where, "is not a whole number")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PayloadProblem(where, f"{value!r} is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise PayloadProblem(where, f"{value!r} is not a whole number")
    return int(number)


def mapping_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def full_name(*parts: Any) -> str | None:
    return " ".join(p for p in (text(part) for part in parts) if p) or None
