"""Orders from CSV: one row per order line; rows sharing an external_id (one after another) are one order.

Columns: external_id, ordered_at, buyer_email or buyer_id, [buyer_name], [recipient_email or recipient_id],
[channel], [status], currency, [for_resale], sku, quantity, unit_price. Importing the same file twice stores
nothing twice; a later file with a changed status (refunded, cancelled) updates those orders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_customers, refresh_rfm
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.records import LINE_COLUMNS, ORDER_COLUMNS, CsvOrderReader, OrderRecord, group_rows
from frontdesk.commerce.schemas import OrderImportError, OrderImportReport
from frontdesk.csvinput import unnamed_column
from frontdesk.db import is_power_of_two, refresh_planner_statistics
from frontdesk.errors import FieldError, InvalidInput

REQUIRED = ("external_id", "ordered_at", "currency", "sku", "quantity", "unit_price")
MAX_REPORTED_ERRORS = 1000
GROWING_TABLES = ("orders", "order_lines", "customer_figures", "customer_ranges", "contacts", "contact_emails")
ProgressCallback = Callable[[int], None]


def check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise InvalidInput("the file is empty; the first row must name the columns", field="file")
    if (unnamed := unnamed_column(header)) is not None:
        raise unnamed
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


async def import_orders(
    *,
    session: AsyncSession,
    workspace_id: int,
    header: list[str] | None,
    rows: Iterable[tuple[int, list[str]]],
    actor: str,
    batch_size: int = 20_000,
    on_progress: ProgressCallback | None = None,
    report: OrderImportReport | None = None,
) -> OrderImportReport:
    """Validate and write orders batch by batch (one commit each), then refresh the figures of every buyer
    the import touched and the RFM scores.

    Figures are refreshed once at the end: a customer found in many batches is aggregated once, and a
    large import refreshes the whole workspace in one pass. Until then the stored orders are in the order
    lists but not yet in the figures; an interrupted import is caught up by the next refresh (daily, or
    ``frontdesk analytics refresh``).

    ``report`` (given by the caller, or made here) is kept up to date batch by batch, so a caller can still
    say which rows were stored (``stored_through_row``) when the import stops half-way.
    """
    columns = check_header(header)
    report = report or OrderImportReport(total_rows=0, orders=0, failed=0, errors=[])
    report.complete = False
    reader = CsvOrderReader(columns)
    external_id_at = columns.index("external_id")
    orders = group_rows(columns, rows)
    waiting: set[int] = set()  # buyers whose figures the import changed

    def fail(row: int, external_id: str | None, field: str, message: str) -> None:
        report.failed += 1
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append(OrderImportError(row=row, external_id=external_id, field=field, message=message))

    def read_batch() -> _Batch:
        batch = _Batch()
        for order in orders:
            batch.orders += 1
            batch.rows += len(order.rows)
            batch.last_row = order.last_row
            record = reader.read(order)
            if isinstance(record, OrderRecord):
                batch.records.append(record)
                batch.first_rows.append(order.first_row)
                if len(batch.records) >= batch_size:
                    break
            else:
                batch.failures.append((order.first_row, order.rows[0][external_id_at] or None, record))
        return batch

    async def write(batch: _Batch) -> None:
        for attempt in range(2):
            try:
                outcome = await write_orders(
                    session=session, workspace_id=workspace_id, orders=batch.records, actor=actor, refresh=False
                )
                await session.commit()
                report.stored_through_row = batch.last_row
                break
            except IntegrityError:
                # Another import or request stored some of these orders (or buyers) meanwhile: the retry
                # finds them stored and counts them as such.
                await session.rollback()
                if attempt:
                    raise
        waiting.update(outcome.buyers)
        for position, error in outcome.errors.items():
            fail(batch.first_rows[position], batch.records[position].external_id, error["field"], error["message"])
        report.created += outcome.result.created
        report.unchanged += outcome.result.unchanged
        report.status_changed += outcome.result.status_changed

    # The next batch is read and checked in a thread while this one is written: the database works on
    # one core while Python parses on the other.
    reading = asyncio.create_task(asyncio.to_thread(read_batch))
    batches = 0
    while True:
        batch = await reading
        if not batch.orders:
            break
        reading = asyncio.create_task(asyncio.to_thread(read_batch))
        report.orders += batch.orders
        report.total_rows += batch.rows
        for row, external_id, error in batch.failures:
            fail(row, external_id, error["field"], error["message"])
        try:
            await write(batch)
        except BaseException:
            reading.cancel()
            raise
        batches += 1
        if is_power_of_two(batches):
            await refresh_planner_statistics(session, *GROWING_TABLES, vacuum=False)
        if on_progress:
            on_progress(report.total_rows)
    await refresh_customers(session=session, workspace_id=workspace_id, contact_ids=waiting)
    await session.commit()
    report.errors.sort(key=lambda error: error.row)
    await refresh_rfm(session=session, workspace_id=workspace_id)
    await session.commit()
    report.complete = True
    return report


@dataclass
class _Batch:
    records: list[OrderRecord] = field(default_factory=list)
    first_rows: list[int] = field(default_factory=list)  # the file row each record starts on
    failures: list[tuple[int, str | None, FieldError]] = field(default_factory=list)
    orders: int = 0
    rows: int = 0
    last_row: int = 0  # the file line the batch's last order ends on
