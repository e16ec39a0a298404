"""The fast CSV path must never disagree with OrderCreate: same verdict, same values."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from frontdesk.commerce.records import LINE_COLUMNS, ORDER_COLUMNS, CsvOrder, CsvOrderReader, OrderRecord, group_rows
from frontdesk.commerce.schemas import OrderCreate

COLUMNS = list(ORDER_COLUMNS + LINE_COLUMNS)
# Cells as group_rows hands them over (stripped): plain values, near misses and odd but valid shapes.
CELLS: dict[str, list[str]] = {
    "external_id": ["O1", "x" * 100, "x" * 101],
    "ordered_at": ["2026-05-01T10:00:00Z", "2026-05-01 10:00:00+02:00", "2026-05-01T10:00:00.123-05:30",
                   "2026-05-01T10:00:00.123456Z", "2026-05-01T10:00:00", "2026-02-30T10:00:00Z",
                   "2026-05-01T24:00:00Z", "2026-05-01T10:00:00+24:00", "2026-05-01T10:00:00.1234567Z",
                   "20260501T100000Z", "1700000000", "2026-05-01", "yesterday", ""],
    "buyer_id": ["", "1", "12", "007", "0", "-3", "1.0", "99999999999999999999", "9223372036854775807", "٣"],
    "buyer_email": ["", "ann@example.com", "not an address", "x" * 321],
    "buyer_name": ["", "Ann", "x" * 300, "x" * 301],
    "recipient_id": ["", "2", "0", "x"],
    "recipient_email": ["", "bo@example.com", "x" * 321],
    "channel": ["", "web", "shop-1", "a_b", "Web", "-x", "a" * 40, "a" * 41, "wéb"],
    "status": ["", "completed", "refunded", "cancelled", "Completed", "lost"],
    "currency": ["EUR", "eur", "JPY", "EU", "", "ZZZ"],
    "for_resale": ["", "yes", "no", "TRUE", "0", "maybe"],
    "sku": ["SKU-1", "A", "x" * 100, "x" * 101, "", "a b", "ü-1", "tab\there", "SKU 2"],
    "quantity": ["1", "3", "1000000", "1000001", "0", "-1", "2.0", "", "٣", "007"],
    "unit_price": ["12.50", "19.99", "5", "0", "12.505", "12.500", "12.", ".5", "1e3", "-1", "", "0012.5",
                   "1000000000", "1000000000.00", "1000000000.01", "12.50000", "NaN", "Infinity"],
}  # fmt: skip


PLAIN = {"external_id": "O1", "ordered_at": "2026-05-01T10:00:00Z", "buyer_id": "1", "currency": "EUR",
         "sku": "SKU-1", "quantity": "1", "unit_price": "12.50"}  # fmt: skip


@st.composite
def cell(draw: st.DrawFn, name: str) -> str:
    """Mostly a plain valid value, so that one odd cell in an otherwise valid order is common."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(CELLS[name]))
    return PLAIN.get(name, "")


@st.composite
def csv_orders(draw: st.DrawFn) -> list[list[str]]:
    first = {name: draw(cell(name)) for name in ORDER_COLUMNS}
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        row = {**first, **{name: draw(cell(name)) for name in LINE_COLUMNS}}
        rows.append([row[name] for name in COLUMNS])
    return rows


def judged_by_order_create(reader: CsvOrderReader, rows: list[list[str]]) -> OrderRecord | None:
    try:
        return OrderRecord.of(OrderCreate.model_validate(reader.payload(rows)))
    except ValidationError:
        return None


@settings(max_examples=3000, deadline=None)
@given(csv_orders())
def test_the_fast_path_agrees_with_order_create(rows: list[list[str]]) -> None:
    reader = CsvOrderReader(COLUMNS)
    fast = reader.fast(rows)
    if fast is None:
        return  # OrderCreate decides, as for an API request
    assert judged_by_order_create(reader, rows) == fast  # datetimes compare as instants


def test_plain_rows_take_the_fast_path_with_their_values() -> None:
    reader = CsvOrderReader(COLUMNS)
    row = dict.fromkeys(COLUMNS, "")
    row.update(external_id="O-7", ordered_at="2026-05-01T10:00:00+02:00", buyer_id="12", currency="eur",
               for_resale="yes", sku="SKU-1", quantity="3", unit_price="19.9")  # fmt: skip
    second = {**row, "sku": "SKU-2", "quantity": "1", "unit_price": "5"}
    record = reader.fast([[row[c] for c in COLUMNS], [second[c] for c in COLUMNS]])
    assert record == OrderRecord(
        external_id="O-7",
        ordered_at=datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
        currency="EUR",
        lines=[("SKU-1", 3, 1990), ("SKU-2", 1, 500)],
        buyer_id=12,
        for_resale=True,
    )


def test_rows_group_by_neighbouring_external_ids() -> None:
    columns = ["external_id", "sku"]
    rows = [(2, [" A ", "x"]), (3, ["A", "y"]), (4, ["", "z"]), (5, ["", "w"]), (6, ["A", "v"])]
    grouped = list(group_rows(columns, rows))
    assert grouped == [
        CsvOrder(2, [["A", "x"], ["A", "y"]], last_row=3),
        CsvOrder(4, [["", "z"]], last_row=4),  # no external id: an order of its own, which OrderCreate rejects
        CsvOrder(5, [["", "w"]], last_row=5),
        CsvOrder(6, [["A", "v"]], last_row=6),  # not next to the first A: another order (re-sent, counted once)
    ]
