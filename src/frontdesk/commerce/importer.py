"""Orders from CSV: one row per order line; rows sharing an external_id (one after another) are one order.

Columns: external_id, ordered_at, buyer_email or buyer_id, [buyer_name], [recipient_email or recipient_id],
[channel], [status], currency, [for_resale], sku, quantity, unit_price. Importing the same file twice stores
nothing twice; a later file with a changed status (refunded, cancelled) updates those orders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_customers, refresh_rfm
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, OrderImportError, OrderImportReport
from frontdesk.db import is_power_of_two, refresh_planner_statistics
from frontdesk.errors import InvalidInput, errors_from_pydantic

REQUIRED = ("external_id", "ordered_at", "currency", "sku", "quantity", "unit_price")
ORDER_COLUMNS = ("external_id", "ordered_at", "buyer_email", "buyer_id", "buyer_name", "recipient_email",
                 "recipient_id", "channel", "status", "currency", "for_resale")  # fmt: skip
LINE_COLUMNS = ("sku", "quantity", "unit_price")
MAX_REPORTED_ERRORS = 1000
# Buyers whose figures wait for a refresh: a customer in many batches is refreshed once, not per batch,
# and figures never lag more than this many customers behind the orders stored.
REFRESH_EVERY = 50_000
GROWING_TABLES = ("orders", "order_lines", "customer_figures", "customer_ranges", "contacts", "contact_emails")
ProgressCallback = Callable[[int], None]


def check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise InvalidInput("the file is empty; the first row must name the columns", field="file")
    columns = [column.strip().lower() for column in header]
    unknown = [column for column in columns if column not in ORDER_COLUMNS + LINE_COLUMNS]
    if unknown:
        raise InvalidInput(f"unknown columns: {', '.join(unknown)}", field="file")
    missing = [column for column in REQUIRED if column not in columns]
    if "buyer_email" not in columns and "buyer_id" not in columns:
        missing.append("buyer_email or buyer_id")
    if missing:
        raise InvalidInput(f"missing columns: {', '.join(missing)}", field="file")
    return columns


def group_orders(
    columns: list[str], rows: Iterable[tuple[int, list[str]]]
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(first row number, rows read, order payload) for each run of rows with the same external_id."""
    current: dict[str, Any] | None = None
    first_row = 0
    order_columns = [(i, c) for i, c in enumerate(columns) if c in ORDER_COLUMNS]
    line_columns = [(i, c) for i, c in enumerate(columns) if c in LINE_COLUMNS]
    key = columns.index("external_id")
    for line, values in rows:
        values += [""] * (len(columns) - len(values))  # a short row: the missing cells are empty
        external_id = values[key].strip()
        if current is None or external_id != current.get("external_id") or not external_id:
            if current is not None:
                yield first_row, len(current["lines"]), current
            current = {c: cell for i, c in order_columns if (cell := values[i].strip())}
            current["lines"] = []
            first_row = line
        current["lines"].append({c: values[i].strip() or None for i, c in line_columns})
    if current is not None:
        yield first_row, len(current["lines"]), current


def _payload(order: dict[str, Any]) -> dict[str, Any]:
    if "for_resale" in order:
        order = {**order, "for_resale": order["for_resale"].lower() in {"1", "true", "yes", "y"}}
    return order


async def import_orders(
    *,
    session: AsyncSession,
    workspace_id: int,
    header: list[str] | None,
    rows: Iterable[tuple[int, list[str]]],
    actor: str,
    batch_size: int = 5000,
    on_progress: ProgressCallback | None = None,
) -> OrderImportReport:
    """Validate and write orders batch by batch (one commit each); refresh the buyers' figures every
    ``REFRESH_EVERY`` customers and at the end, then the RFM scores."""
    columns = check_header(header)
    report = OrderImportReport(total_rows=0, orders=0, failed=0, errors=[])
    batch: list[tuple[int, OrderCreate]] = []

    def fail(row: int, external_id: str | None, field: str, message: str) -> None:
        report.failed += 1
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append(OrderImportError(row=row, external_id=external_id, field=field, message=message))

    waiting: set[int] = set()
    batches = 0

    async def refresh() -> None:
        await refresh_customers(session=session, workspace_id=workspace_id, contact_ids=waiting)
        await session.commit()
        waiting.clear()

    async def flush() -> None:
        for attempt in range(2):
            try:
                outcome = await write_orders(
                    session=session,
                    workspace_id=workspace_id,
                    orders=[order for _, order in batch],
                    actor=actor,
                    refresh=False,
                )
                await session.commit()
                break
            except IntegrityError:
                # Another import or request stored some of these orders (or buyers) meanwhile: the retry
                # finds them stored and counts them as such.
                await session.rollback()
                if attempt:
                    raise
        nonlocal batches
        batches += 1
        if is_power_of_two(batches):
            await refresh_planner_statistics(session, *GROWING_TABLES)
        waiting.update(outcome.buyers)
        if len(waiting) >= REFRESH_EVERY:
            await refresh()
        for position, error in outcome.errors.items():
            row, order = batch[position]
            fail(row, order.external_id, error["field"], error["message"])
        report.created += outcome.result.created
        report.unchanged += outcome.result.unchanged
        report.status_changed += outcome.result.status_changed
        batch.clear()
        if on_progress:
            on_progress(report.total_rows)

    for row, line_count, payload in group_orders(columns, rows):
        report.orders += 1
        report.total_rows += line_count
        try:
            batch.append((row, OrderCreate.model_validate(_payload(payload))))
        except ValidationError as exc:
            error = errors_from_pydantic(list(exc.errors()))[0]
            fail(row, payload.get("external_id"), error["field"], error["message"])
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    await refresh()
    report.errors.sort(key=lambda error: error.row)
    await refresh_rfm(session=session, workspace_id=workspace_id)
    await session.commit()
    return report
