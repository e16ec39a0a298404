"""Products, orders and customer figures as the API reads and writes them."""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from frontdesk.commerce.models import OrderStatus
from frontdesk.inputs import BoundedDateTime, IdRef, RequestModel

# ISO 4217 currencies without a minor unit; every other currency counts in hundredths.
ZERO_DECIMAL_CURRENCIES = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                                     "VND", "VUV", "XAF", "XOF", "XPF"})  # fmt: skip


def minor_units(currency: str) -> int:
    return 1 if currency in ZERO_DECIMAL_CURRENCIES else 100


def to_minor(amount: Decimal, currency: str) -> int:
    scaled = amount * minor_units(currency)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"has more decimals than {currency} allows")
    return int(scaled)


def from_minor(amount: int, currency: str) -> Decimal:
    """The amount with as many decimals as the currency has: 2000 cents are 20.00 EUR, 2000 yen 2000 JPY."""
    units = minor_units(currency)
    return Decimal(amount).scaleb(-(len(str(units)) - 1))


@functools.lru_cache(maxsize=256)  # a few currencies, validated for every order of an import
def currency_code(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("must be an ISO 4217 currency code such as EUR")
    return code


MAX_LINES = 500
MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = Decimal("1000000000")
# An order's total in minor units (10 billion EUR, a trillion yen). Totals are summed per customer and per
# workspace in 64-bit integers: at this bound a sum overflows only past 9.2 million such orders.
MAX_ORDER_TOTAL_MINOR = 10**12


def order_total_problem(lines_minor: list[tuple[int, int]], currency: str) -> str | None:
    """Why (quantity, unit price in minor units) lines make a total too large to sum, or None."""
    total = sum(quantity * price for quantity, price in lines_minor)
    if total > MAX_ORDER_TOTAL_MINOR:
        limit = from_minor(MAX_ORDER_TOTAL_MINOR, currency)
        return f"the order's total is over {limit} {currency}, the most one order may be"
    return None


CurrencyCode = Annotated[str, AfterValidator(currency_code)]
Sku = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]


class ProductCreate(RequestModel):
    sku: Sku
    name: str = Field(min_length=1, max_length=300)
    range: str = Field(min_length=1, max_length=200, description="The product range; created if new")


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    range: str


class RangeRead(BaseModel):
    id: int
    name: str
    products: int


class OrderLineCreate(RequestModel):
    sku: Sku
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price: Decimal = Field(ge=0, le=MAX_UNIT_PRICE, description="Price of one unit, e.g. 12.50")


class OrderCreate(RequestModel):
    external_id: str = Field(
        min_length=1, max_length=100, description="Your order number: sending it again never counts it twice"
    )
    buyer_id: IdRef | None = Field(default=None, description="The contact who bought")
    buyer_email: str | None = Field(
        default=None, max_length=320, description="Or their e-mail; an unknown address creates the contact"
    )
    buyer_name: str | None = Field(default=None, max_length=300)
    recipient_id: IdRef | None = Field(default=None, description="The consumer the goods were for, if not the buyer")
    recipient_email: str | None = Field(default=None, max_length=320)
    channel: str = Field(default="web", min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    status: OrderStatus = OrderStatus.completed
    currency: CurrencyCode
    ordered_at: BoundedDateTime
    for_resale: bool | None = Field(default=None, description="Bought to resell; by default the buyer's reseller flag")
    lines: list[OrderLineCreate] = Field(min_length=1, max_length=MAX_LINES)

    @model_validator(mode="after")
    def _buyer_given(self) -> OrderCreate:
        if (self.buyer_id is None) == (self.buyer_email is None):
            raise ValueError("give buyer_id or buyer_email (one of them)")
        if self.recipient_id is not None and self.recipient_email is not None:
            raise ValueError("give recipient_id or recipient_email, not both")
        lines_minor: list[tuple[int, int]] = []
        for index, line in enumerate(self.lines):
            try:
                lines_minor.append((line.quantity, to_minor(line.unit_price, self.currency)))
            except ValueError as exc:
                raise ValueError(f"lines[{index}].unit_price {exc}") from None
        if (problem := order_total_problem(lines_minor, self.currency)) is not None:
            raise ValueError(problem)
        return self


class OrderStatusChange(RequestModel):
    status: OrderStatus


class OrderLineRead(BaseModel):
    sku: str
    product_id: int
    range: str
    quantity: int
    unit_price: Decimal


class OrderRead(BaseModel):
    id: int
    external_id: str
    buyer_id: int | None
    recipient_id: int | None
    channel: str
    status: OrderStatus
    currency: str
    total: Decimal
    for_resale: bool
    buyer_class: str
    ordered_at: datetime
    lines: list[OrderLineRead]


class OrderPage(BaseModel):
    items: list[OrderRead]
    next_cursor: str | None


class OrderWriteResult(BaseModel):
    """What happened to each order sent: stored now, already stored (same status), or its status changed."""

    created: int = 0
    unchanged: int = 0
    status_changed: int = 0


class OrderImportError(BaseModel):
    row: int
    external_id: str | None
    field: str
    message: str


class OrderImportReport(OrderWriteResult):
    total_rows: int
    orders: int
    failed: int
    errors: list[OrderImportError]
    complete: bool = Field(True, description="False when the import stopped before the end of the file")
    stored_through_row: int = Field(
        0, description="Orders up to this line were stored, except those in errors; none after it (0: none)"
    )


class CustomerFiguresRead(BaseModel):
    contact_id: int
    orders: int
    total_spent: Decimal
    average_order_value: Decimal | None
    currency: str
    first_order_at: datetime | None
    last_order_at: datetime | None
    ranges: list[str]
    recent_orders: int
    lifecycle: str
    reseller: bool
    rfm_r: int | None
    rfm_f: int | None
    rfm_m: int | None
    rfm_group: str | None


class LifecycleChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_stage: str
    to_stage: str
    changed_at: datetime


class CommerceSettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    lapsed_after_days: int
    churned_after_days: int
    frequency_window_days: int
    regular_min_orders: int
    occasional_max_orders: int


class CommerceSettingsUpdate(RequestModel):
    currency: CurrencyCode | None = None
    lapsed_after_days: int | None = Field(default=None, ge=1, le=3650)
    churned_after_days: int | None = Field(default=None, ge=1, le=3650)
    frequency_window_days: int | None = Field(default=None, ge=1, le=3650)
    regular_min_orders: int | None = Field(default=None, ge=2, le=1000)
    occasional_max_orders: int | None = Field(default=None, ge=0, le=1000)


class RevenueSplit(BaseModel):
    """Completed orders' revenue by who bought: consumers, or resellers buying for resale."""

    currency: str
    consumer: Decimal
    reseller: Decimal
    consumer_orders: int
    reseller_orders: int
