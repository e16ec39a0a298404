"""The customers report's charts: each draws figures the report already holds, so chart, table and CSV agree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from frontdesk.reports.charts import Chart, Series

if TYPE_CHECKING:
    from frontdesk.reports.customers import CustomersReport, Split

MOST_GROUPS = 8  # a split by country or range draws its largest groups and sums the rest as one


def _counts(values: Sequence[float | None]) -> list[int]:
    """A count figure's values (floats in ``Figure``) as the whole numbers they are, for the table and CSV."""
    return [int(value or 0) for value in values]


def _split_series(splits: Sequence[Split], other: str) -> list[Series]:
    shown = [Series(split.name, split.by_bucket) for split in splits[:MOST_GROUPS]]
    rest = splits[MOST_GROUPS:]
    if rest:
        summed = [round(sum(values), 2) for values in zip(*(split.by_bucket for split in rest), strict=True)]
        shown.append(Series(other, summed))
    return shown


def customer_charts(report: CustomersReport) -> list[Chart]:
    labels = report.labels
    money = report.currency
    charts = [
        Chart(
            key="customers",
            title="New and returning customers",
            kind="stacked-bar",
            labels=labels,
            series=[
                Series("New", _counts(report.new_customers.by_bucket)),
                Series("Returning", _counts(report.returning_customers.by_bucket)),
            ],
            definition="new-and-returning-customers",
            note="Customers with a completed order; new: their first completed order ever",
            extra_rows=[
                Series("Customers with an order", _counts(report.active_customers.by_bucket)),
                Series("Repeat customers", _counts(report.repeat_customers.by_bucket)),
            ],
        ),
        Chart(
            key="repeat-purchase-rate",
            title="Repeat-purchase rate",
            kind="line",
            labels=labels,
            series=[Series("Repeat-purchase rate", report.repeat_purchase_rate.by_bucket)],
            unit="%",
            definition="repeat-purchase-rate",
            note="Customers with a completed order in the bucket who have 2 or more completed orders by its end",
        ),
        Chart(
            key="revenue",
            title="Revenue",
            kind="bar",
            labels=labels,
            series=[Series("Revenue", report.revenue.by_bucket)],
            unit=money,
            definition="revenue",
            note="Completed orders only",
        ),
        Chart(
            key="average-order-value",
            title="Average order value",
            kind="line",
            labels=labels,
            series=[Series("Average order value", report.average_order_value.by_bucket)],
            unit=money,
            definition="average-order-value",
        ),
        Chart(
            key="orders-per-customer",
            title="Orders per customer",
            kind="line",
            labels=labels,
            series=[Series("Orders per customer", report.orders_per_customer.by_bucket)],
            definition="orders-per-customer",
            extra_rows=[Series("Completed orders", _counts(report.orders.by_bucket))],
        ),
    ]
    for key, title, splits, other in (
        ("revenue-by-buyer-class", "Revenue: consumers and resellers", report.revenue_by_buyer_class, ""),
        ("revenue-by-market", "Revenue: B2B and B2C", report.revenue_by_market, ""),
        ("revenue-by-country", "Revenue by country", report.revenue_by_country, "other countries"),
        ("revenue-by-range", "Revenue by product range", report.revenue_by_range, "other ranges"),
    ):
        charts.append(
            Chart(
                key=key,
                title=title,
                kind="stacked-bar",
                labels=labels,
                series=_split_series(splits, other),
                unit=money,
                definition="revenue-splits",
            )
        )
    charts.append(
        Chart(
            key="lifecycle",
            title="Lifecycle stages",
            kind="stacked-bar",
            labels=labels,
            series=[Series(stage.stage, stage.by_bucket) for stage in report.lifecycle],
            definition="lifecycle-stages",
            note="Contacts in each stage at the end of each period",
        )
    )
    columns = report.cohort_months

    def padded(values: Sequence[float | int | None]) -> list[float | int | None]:
        return [*values, *([None] * (len(columns) - len(values)))]

    charts.append(
        Chart(
            key="cohorts",
            title="Retention by month of first purchase",
            kind="heatmap",
            labels=columns,
            series=[Series(cohort.cohort, padded(cohort.shares)) for cohort in report.cohorts],
            unit="%",
            definition="retention-cohorts",
            note="Share of each month's new customers who bought again k months later (M0 = 100 %)",
            extra_rows=[
                Series(f"{cohort.cohort} active customers", padded(cohort.active)) for cohort in report.cohorts
            ],
        )
    )
    return charts
