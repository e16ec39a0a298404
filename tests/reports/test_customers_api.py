"""The customers report and the cohort matrix through the API, on a small world whose numbers are worked out by
hand: an order at 23:30 local time on a month's last day (already the next day in UTC), ISO week 2020-W53, a
refund sent two months later, a segment with no members and a period with no data."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle

ZONE = "America/New_York"
PERIOD = {"from": "2020-12-01", "to": "2021-01-31", "tz": ZONE}


def at(local: str) -> str:
    """A New York wall-clock time in winter (UTC-5) as an ISO instant."""
    return f"{local}-05:00"


async def small_world(workspace: WorkspaceHandle) -> None:
    await workspace.product("TEA", "Tea")
    await workspace.product("CUP", "Cups")
    ada = await workspace.contact(name="Ada", country="DE", market="b2b")
    bea = await workspace.contact(name="Bea", country="FR", market="b2c")
    cyd = await workspace.contact(name="Cyd")

    def lines(sku: str, price: str, quantity: int = 1) -> list[dict[str, Any]]:
        return [{"sku": sku, "quantity": quantity, "unit_price": price}]

    # 23:30 on 31 December in New York is 04:30 on 1 January in UTC: December locally, and ISO week 2020-W53.
    await workspace.order("O-1", ada, ordered_at=at("2020-12-31T23:30:00"), lines=lines("TEA", "10.00"))
    await workspace.order("O-2", ada, ordered_at=at("2021-01-03T12:00:00"), lines=lines("CUP", "10.00", 2))
    # Bea's December order is refunded in February: it counts nowhere, so her first order is in January.
    await workspace.order("O-3", bea, ordered_at=at("2020-12-10T12:00:00"), lines=lines("TEA", "30.00"))
    await workspace.order("O-4", bea, ordered_at=at("2021-01-15T12:00:00"), lines=lines("TEA", "5.00"))
    await workspace.order(
        "O-3", bea, status="refunded", ordered_at=at("2020-12-10T12:00:00"), lines=lines("TEA", "30.00")
    )
    await workspace.order("O-5", cyd, ordered_at=at("2021-01-31T23:30:00"), lines=lines("CUP", "7.50"))


def figure(report: dict[str, Any], name: str) -> tuple[Any, list[Any]]:
    return report[name]["value"], report[name]["by_bucket"]


async def test_the_report_counts_as_worked_out_by_hand(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await small_world(workspace)
    response = await client.get("/api/v1/reports/customers", params=PERIOD, headers=workspace.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["labels"] == ["2020-12", "2021-01"]
    assert figure(report, "new_customers") == (3, [1, 2])  # Ada in December; Bea and Cyd in January
    assert figure(report, "returning_customers") == (0, [0, 1])  # Ada, back in January
    assert figure(report, "active_customers") == (3, [1, 3])
    assert figure(report, "repeat_purchase_rate") == (33.33, [0.0, 33.33])
    assert figure(report, "orders") == (4, [1, 3])
    assert figure(report, "revenue") == (42.5, [10.0, 32.5])
    assert figure(report, "average_order_value") == (10.62, [10.0, 10.83])  # 42.50 / 4, 32.50 / 3
    assert figure(report, "orders_per_customer") == (1.33, [1.0, 1.0])
    ranges = {split["name"]: split["by_bucket"] for split in report["revenue_by_range"]}
    assert ranges == {"Cups": [0.0, 27.5], "Tea": [10.0, 5.0]}
    countries = {split["name"]: split["value"] for split in report["revenue_by_country"]}
    assert countries == {"DE": 30.0, "FR": 5.0, "unknown": 7.5}
    markets = [(split["name"], split["value"]) for split in report["revenue_by_market"]]
    assert markets == [("b2c", 5.0), ("b2b", 30.0), ("unknown", 7.5)]
    assert [row["active"] for row in report["cohorts"]] == [[1, 1], [2]]
    assert [row["shares"] for row in report["cohorts"]] == [[100.0, 100.0], [100.0]]

    week = await client.get(
        "/api/v1/reports/customers",
        params={"from": "2020-12-28", "to": "2021-01-03", "granularity": "week", "tz": ZONE},
        headers=workspace.headers,
    )
    assert week.json()["labels"] == ["2020-W53"]
    assert figure(week.json(), "revenue") == (30.0, [30.0])  # the 23:30 order of 31 December and 3 January's
    assert figure(week.json(), "repeat_purchase_rate") == (100.0, [100.0])

    in_utc = await client.get("/api/v1/reports/customers", params={**PERIOD, "tz": "UTC"}, headers=workspace.headers)
    assert figure(in_utc.json(), "revenue") == (35.0, [0.0, 35.0])  # in UTC the 23:30 orders move a day on


@pytest.mark.parametrize(
    "params",
    [
        {**PERIOD, "segment": 'country = "JP"'},  # a segment with no members
        {"from": "2019-01-01", "to": "2019-02-28", "tz": ZONE},  # a period with no data
    ],
)
async def test_nothing_to_count_shows_zeros_and_no_rates(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, params: dict[str, str]
) -> None:
    await small_world(workspace)
    report = (await client.get("/api/v1/reports/customers", params=params, headers=workspace.headers)).json()
    assert figure(report, "new_customers") == (0, [0, 0])
    assert figure(report, "revenue") == (0.0, [0.0, 0.0])
    for name in ("repeat_purchase_rate", "average_order_value", "orders_per_customer"):
        assert figure(report, name) == (None, [None, None]), name
    assert [(row["customers"], row["active"], row["shares"]) for row in report["cohorts"]] == [
        (0, [0, 0], [None, None]),
        (0, [0], [None]),
    ]
    cohorts = (await client.get("/api/v1/reports/cohorts", params=params, headers=workspace.headers)).json()
    assert [row["customers"] for row in cohorts["cohorts"]] == [0, 0]


async def test_cohorts_endpoint_and_segment(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await small_world(workspace)
    response = await client.get("/api/v1/reports/cohorts", params=PERIOD, headers=workspace.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "cohorts": [
            {"cohort": "2020-12", "customers": 1, "active": [1, 1]},
            {"cohort": "2021-01", "customers": 2, "active": [2]},
        ]
    }
    germans = {**PERIOD, "segment": 'country = "DE"'}
    response = await client.get("/api/v1/reports/cohorts", params=germans, headers=workspace.headers)
    assert [row["customers"] for row in response.json()["cohorts"]] == [1, 0]


async def test_csv_holds_the_same_numbers(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await small_world(workspace)
    response = await client.get("/api/v1/reports/customers.csv", params=PERIOD, headers=workspace.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    values = {(row["chart"], row["series"], row["label"]): row["value"] for row in rows}
    assert values[("revenue", "Revenue", "2021-01")] == "32.5"
    assert values[("customers", "New", "2021-01")] == "2"
    assert values[("cohorts", "2020-12", "M1")] == "100.0"
    assert values[("cohorts", "2021-01", "M1")] == ""  # beyond the end of the period
    assert values[("cohorts", "2021-01 active customers", "M0")] == "2"
    assert values[("lifecycle", "prospect", "2020-12")] != ""


async def test_agents_are_refused_and_bad_input_names_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    agent = await workspace.key_with_role(Role.agent)
    for path in ("/api/v1/reports/customers", "/api/v1/reports/customers.csv", "/api/v1/reports/cohorts"):
        assert (await client.get(path, headers=agent)).status_code == 403, path
        assert (await client.get(path, headers=workspace.headers)).status_code == 200, path
    cases = [
        ({"from": "2021-13-01"}, "from"),
        ({"from": "2021-02-01", "to": "2021-01-01"}, "to"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"granularity": "fortnight"}, "granularity"),
        ({"segment": "country = DE"}, "segment"),  # a value must be quoted
    ]
    for path in ("/api/v1/reports/customers", "/api/v1/reports/cohorts"):
        for params, field in cases:
            response = await client.get(path, params=params, headers=workspace.headers)
            assert response.status_code == 422, (path, params, response.text)
            assert response.json()["errors"][0]["field"] == field, response.text


async def test_a_workspace_sees_only_its_own_customers(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await small_world(workspace)
    mine = (await client.get("/api/v1/reports/customers", params=PERIOD, headers=workspace.headers)).json()
    theirs = (await client.get("/api/v1/reports/customers", params=PERIOD, headers=other_workspace.headers)).json()
    assert mine["revenue"]["value"] == 42.5
    assert theirs["revenue"]["value"] == 0.0
    assert all(row["by_bucket"] == [0, 0] for row in theirs["lifecycle"])
    # Up to today (the default period), where the contacts exist: their stage now, from the history.
    now = (await client.get("/api/v1/reports/customers", headers=workspace.headers)).json()
    assert {row["stage"]: row["value"] for row in now["lifecycle"] if row["value"]} == {"churned": 3}
    assert sum(row["value"] for row in (await client.get(
        "/api/v1/reports/customers", headers=other_workspace.headers)).json()["lifecycle"]) == 0  # fmt: skip
    cohorts = (await client.get("/api/v1/reports/cohorts", params=PERIOD, headers=other_workspace.headers)).json()
    assert [row["customers"] for row in cohorts["cohorts"]] == [0, 0]


async def test_the_longest_period_still_gets_its_cohorts(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    # 3,680 days asked; whole months would make it 3,712, over the most a report covers: the first month is
    # then counted from the 15th rather than the request refused.
    params = {"from": "2016-01-15", "to": "2026-02-10"}
    response = await client.get("/api/v1/reports/cohorts", params=params, headers=workspace.headers)
    assert response.status_code == 200, response.text
    cohorts = response.json()["cohorts"]
    assert (cohorts[0]["cohort"], cohorts[-1]["cohort"], len(cohorts)) == ("2016-01", "2026-02", 122)
