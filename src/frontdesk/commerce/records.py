"""Orders as the writer takes them, and a fast reader of CSV orders that keeps the API's rules.

``OrderCreate`` (pydantic) is the one definition of a valid order. Validating millions of imported orders
with it costs more than storing them, so CSV orders take a fast path first: plain checks for the shapes
that real files carry (ISO times, plain decimal prices, ASCII SKUs). The fast path only ever says "valid,
and these are the values" or "not sure"; every order it is not sure about goes through ``OrderCreate``,
which accepts or rejects it with its usual messages. A property test holds the fast path to the same
verdicts and values as ``OrderCreate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from frontdesk.commerce.models import OrderStatus
from frontdesk.commerce.schemas import (
    MAX_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    OrderCreate,
    currency_code,
    minor_units,
    order_total_problem,
    to_minor,
)
from frontdesk.db import MAX_ID
from frontdesk.errors import FieldError, errors_from_pydantic
from frontdesk.inputs import bounded_time

ORDER_COLUMNS = ("external_id", "ordered_at", "buyer_email", "buyer_id", "buyer_name", "recipient_email",
                 "recipient_id", "channel", "status", "currency", "for_resale")  # fmt: skip
LINE_COLUMNS = ("sku", "quantity", "unit_price")
TRUE_WORDS = frozenset({"1", "true", "yes", "y"})
STATUSES = frozenset(status.value for status in OrderStatus)

# The fast path's shapes: each is a strict subset of what OrderCreate accepts.
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?(Z|[+-]\d\d:\d\d)", re.ASCII)
_PRICE = re.compile(r"\d{1,10}(\.\d{1,4})?", re.ASCII)
_CHANNEL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)


@dataclass(slots=True)
class OrderRecord:
    """A valid order; lines are (SKU, quantity, unit price in the currency's minor unit)."""

    external_id: str
    ordered_at: datetime
    currency: str
    lines: list[tuple[str, int, int]]
    buyer_id: int | None = None
    buyer_email: str | None = None
    buyer_name: str | None = None
    recipient_id: int | None = None
    recipient_email: str | None = None
    channel: str = "web"
    status: str = OrderStatus.completed.value
    for_resale: bool | None = None

    @classmethod
    def of(cls, order: OrderCreate) -> OrderRecord:
        return cls(
            external_id=order.external_id,
            ordered_at=order.ordered_at,
            currency=order.currency,
            lines=[(line.sku, line.quantity, to_minor(line.unit_price, order.currency)) for line in order.lines],
            buyer_id=order.buyer_id,
            buyer_email=order.buyer_email,
            buyer_name=order.buyer_name,
            recipient_id=order.recipient_id,
            recipient_email=order.recipient_email,
            channel=order.channel,
            status=order.status.value,
            for_resale=order.for_resale,
        )


@dataclass(slots=True)
class CsvOrder:
    """The rows of one order in a file: rows next to each other with the same external_id."""

    first_row: int
    rows: list[list[str]] = field(default_factory=list)
    last_row: int = 0
    too_long: tuple[int, int, int] | None = None  # (line, cells, first extra column) of a row wider than the header


def group_rows(columns: list[str], rows: Iterable[tuple[int, list[str]]]) -> Iterator[CsvOrder]:
    """Cells stripped, short rows padded; a row with an empty external_id is an order of its own. A row with
    more (non-empty) cells than the header has columns is kept, and noted in ``too_long``."""
    width = len(columns)
    key = columns.index("external_id")
    current: CsvOrder | None = None
    current_id = ""
    for line, values in rows:
        cells = [value.strip() for value in values]
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        extra = next((index for index in range(width, len(cells)) if cells[index]), None)
        external_id = cells[key]
        if current is None or external_id != current_id or not external_id:
            if current is not None:
                yield current
            current = CsvOrder(line)
            current_id = external_id
        current.rows.append(cells)
        current.last_row = line
        if extra is not None and current.too_long is None:
            current.too_long = (line, len(cells), extra + 1)
    if current is not None:
        yield current


class CsvOrderReader:
    """Turns the rows of one order into an ``OrderRecord`` or the first problem with them."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        position = {name: index for index, name in enumerate(columns)}
        self.order_cells = [(position[name], name) for name in ORDER_COLUMNS if name in position]
        self.line_cells = [(position[name], name) for name in LINE_COLUMNS if name in position]
        self._at = {name: position.get(name, -1) for name in ORDER_COLUMNS + LINE_COLUMNS}

    def read(self, order: CsvOrder) -> OrderRecord | FieldError:
        if order.too_long is not None:
            line, cells, column = order.too_long
            return FieldError(
                f"column {column}", f"row {line} has {cells} cells but the header names {len(self.columns)} columns"
            )
        fast = self.fast(order.rows)
        if fast is not None:
            return fast
        try:
            return OrderRecord.of(OrderCreate.model_validate(self.payload(order.rows)))
        except ValidationError as exc:
            return errors_from_pydantic(list(exc.errors()))[0]

    def payload(self, rows: list[list[str]]) -> dict[str, Any]:
        """The order as the API would receive it: empty cells are left out (the API's defaults apply)."""
        first = rows[0]
        payload: dict[str, Any] = {name: first[i] for i, name in self.order_cells if first[i]}
        if "for_resale" in payload:
            payload["for_resale"] = payload["for_resale"].lower() in TRUE_WORDS
        payload["lines"] = [{name: row[i] or None for i, name in self.line_cells} for row in rows]
        return payload

    def _cell(self, row: list[str], name: str) -> str:
        index = self._at[name]
        return row[index] if index >= 0 else ""

    def fast(self, rows: list[list[str]]) -> OrderRecord | None:
        """The record, when the order is plainly valid; None when OrderCreate should judge it."""
        first = rows[0]
        cell = self._cell
        external_id = cell(first, "external_id")
        if not external_id or len(external_id) > 100 or len(rows) > MAX_LINES:
            return None
        ordered_at = _fast_time(cell(first, "ordered_at"))
        buyer_id, buyer_email = _fast_id(cell(first, "buyer_id")), cell(first, "buyer_email")
        recipient_id, recipient_email = _fast_id(cell(first, "recipient_id")), cell(first, "recipient_email")
        buyer_name, channel, status = cell(first, "buyer_name"), cell(first, "channel"), cell(first, "status")
        if (
            ordered_at is None
            or buyer_id == 0
            or recipient_id == 0
            or (buyer_id is None) == (not buyer_email)
            or (recipient_id is not None and recipient_email)
            or len(buyer_email) > 320
            or len(recipient_email) > 320
            or len(buyer_name) > 300
            or (channel and not _CHANNEL.fullmatch(channel))
            or (status and status not in STATUSES)
        ):
            return None
        try:
            currency = currency_code(cell(first, "currency"))
        except ValueError:
            return None
        units = minor_units(currency)
        decimals = len(str(units)) - 1
        lines = []
        for row in rows:
            sku, quantity, price = cell(row, "sku"), cell(row, "quantity"), cell(row, "unit_price")
            if not (0 < len(sku) <= 100 and sku.isascii() and sku.isprintable()):
                return None
            if not (quantity.isascii() and quantity.isdigit() and 1 <= int(quantity) <= MAX_QUANTITY):
                return None
            if not _PRICE.fullmatch(price):
                return None
            whole, _, fraction = price.partition(".")
            fraction = fraction.rstrip("0")
            if len(fraction) > decimals:  # more decimals than the currency has: OrderCreate says so
                return None
            price_minor = int(whole) * units + (int(fraction.ljust(decimals, "0")) if decimals else 0)
            if price_minor > MAX_UNIT_PRICE * units:
                return None
            lines.append((sku, int(quantity), price_minor))
        if order_total_problem([(quantity, price) for _, quantity, price in lines], currency) is not None:
            return None
        resale = cell(first, "for_resale")
        return OrderRecord(
            external_id=external_id,
            ordered_at=ordered_at,
            currency=currency,
            lines=lines,
            buyer_id=buyer_id,
            buyer_email=buyer_email or None,
            buyer_name=buyer_name or None,
            recipient_id=recipient_id,
            recipient_email=recipient_email or None,
            channel=channel or "web",
            status=status or OrderStatus.completed.value,
            for_resale=(resale.lower() in TRUE_WORDS) if resale else None,
        )


def _fast_time(value: str) -> datetime | None:
    if not _TIME.fullmatch(value):
        return None
    try:
        return bounded_time(datetime.fromisoformat(value))
    except ValueError:
        return None


def _fast_id(value: str) -> int | None:
    """The id, None when the cell is empty, 0 when OrderCreate should judge it."""
    if not value:
        return None
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID:
        return int(value)
    return 0
