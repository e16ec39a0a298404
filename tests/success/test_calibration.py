"""The calibration/holdout check against a hand count of the same simulated history."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Workspace
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import login as sign_in

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = datetime.now(BERLIN).date()
SPLIT = TODAY - timedelta(days=120)
END = TODAY - timedelta(days=10)
FIRST_DAY = SPLIT - timedelta(days=300)


def _simulated_history(seed: int, customers: int) -> dict[int, list[datetime]]:
    """Purchase instants per customer: a Poisson rate each (gamma across customers) and a chance to drop out
    after each purchase (beta across customers), as the model assumes; from a first purchase before the split."""
    rng = random.Random(seed)
    history: dict[int, list[datetime]] = {}
    last = datetime.combine(END, datetime.min.time(), BERLIN) + timedelta(hours=20)
    for customer in range(customers):
        rate = rng.gammavariate(0.9, 1 / 25)  # purchases a day
        dropout = rng.betavariate(1.0, 3.0)
        at = datetime.combine(FIRST_DAY, datetime.min.time(), BERLIN) + timedelta(
            days=rng.uniform(0, (SPLIT - FIRST_DAY).days), hours=rng.uniform(8, 21)
        )
        moments = [at]
        while rng.random() > dropout:
            at += timedelta(days=rng.expovariate(rate))
            if at > last:
                break
            moments.append(at)
        history[customer] = moments
    return history


async def _load(engine: AsyncEngine, workspace: WorkspaceHandle, history: dict[int, list[datetime]]) -> dict[int, int]:
    """Writes the history as completed orders; returns each simulated customer's contact id."""
    contact_ids = {customer: await workspace.contact(name=f"Buyer {customer}") for customer in history}
    product = "TEA-1"
    await workspace.product(product)
    orders = [
        OrderCreate.model_validate(
            {
                "external_id": f"S-{customer}-{n}",
                "buyer_id": contact_ids[customer],
                "currency": "EUR",
                "ordered_at": moment.astimezone(UTC).isoformat(),
                "lines": [{"sku": product, "quantity": 1, "unit_price": "12.50"}],
            }
        )
        for customer, moments in history.items()
        for n, moment in enumerate(moments)
    ]
    async with create_session_factory(engine)() as session:
        outcome = await write_orders(session=session, workspace_id=workspace.id, orders=orders, actor="test")
        assert not outcome.errors
        await session.execute(update(Workspace).where(Workspace.id == workspace.id).values(time_zone="Europe/Berlin"))
        await session.commit()
    return contact_ids


def _hand_count(history: dict[int, list[datetime]]) -> dict[str, tuple[int, int]]:
    """Per group of calibration repeat purchases: (customers, repeat purchase days in the holdout)."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for moments in history.values():
        days = sorted({moment.astimezone(BERLIN).date() for moment in moments})
        before = [day for day in days if day <= SPLIT]
        after = [day for day in days if SPLIT < day <= END]
        label = "7+" if len(before) - 1 >= 7 else str(len(before) - 1)
        groups[label][0] += 1
        groups[label][1] += len(after)
    return {label: (customers, bought) for label, (customers, bought) in groups.items()}


async def test_actual_holdout_purchases_match_a_hand_count_and_groups_add_up(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    history = _simulated_history(seed=7, customers=260)
    # Day boundaries in Berlin: 23:30 on the split day is calibration; 00:30 the next day is the holdout, and two
    # orders on one local day are one purchase.
    split_evening = datetime.combine(SPLIT, datetime.min.time(), BERLIN) + timedelta(hours=23, minutes=30)
    history[9000] = [split_evening - timedelta(days=40), split_evening, split_evening + timedelta(hours=1),
                     split_evening + timedelta(hours=2)]  # fmt: skip
    await _load(engine, workspace, history)
    # Another workspace's orders never count.
    await _load(engine, other_workspace, _simulated_history(seed=8, customers=40))

    response = await client.get(
        "/api/v1/analytics/clv/calibration",
        params={"split": SPLIT.isoformat(), "end": END.isoformat()},
        headers=workspace.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    expected = _hand_count(history)
    assert report["customers"] == len(history)
    assert report["holdout_days"] == (END - SPLIT).days
    assert report["unit"] == "day" and report["time_zone"] == "Europe/Berlin"
    found = {group["calibration_purchases"]: (group["customers"], group["actual"]) for group in report["groups"]}
    assert [group["calibration_purchases"] for group in report["groups"]] == [*map(str, range(7)), "7+"]
    assert {label: value for label, value in found.items() if value[0]} == expected
    assert report["actual"] == sum(bought for _, bought in expected.values())
    assert abs(sum(group["predicted"] for group in report["groups"]) - report["predicted"]) < 0.05
    for group in report["groups"]:
        if group["customers"]:
            assert abs(group["predicted_per_customer"] * group["customers"] - group["predicted"]) < 0.05
    assert report["repeat_customers"] == sum(c for label, (c, _) in expected.items() if label != "0")
    # The model is fitted on this history: its prediction is of the right size (a wrong fit is off by a multiple).
    assert 0.5 * report["actual"] < report["predicted"] < 2.0 * report["actual"]
    for name in ("r", "alpha", "a", "b"):
        assert report["model"][name] > 0


async def _check(client: httpx.AsyncClient, workspace: WorkspaceHandle, **params: Any) -> httpx.Response:
    return await client.get("/api/v1/analytics/clv/calibration", params=params, headers=workspace.headers)


async def test_periods_that_cannot_be_checked_are_refused_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    cases = [
        ({"split": TODAY.isoformat()}, "split"),
        ({"split": SPLIT.isoformat(), "end": SPLIT.isoformat()}, "end"),
        ({"split": SPLIT.isoformat(), "end": (TODAY + timedelta(days=1)).isoformat()}, "end"),
        ({"split": "yesterday"}, "split"),
        ({"end": (TODAY - timedelta(days=200)).isoformat()}, "end"),  # before the default split
    ]
    for params, field in cases:
        response = await _check(client, workspace, **params)
        assert response.status_code == 422, (params, response.text)
        assert field in response.text, (params, response.text)


async def test_nothing_to_fit_is_a_clear_422(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    response = await _check(client, workspace, split=SPLIT.isoformat())
    assert response.status_code == 422
    assert response.json()["title"] == "Not enough data"
    assert "no completed orders" in response.json()["detail"]
    buyer = await workspace.contact(name="Only Once")
    await workspace.product("TEA-1")
    await workspace.order("ONE-1", buyer, "TEA-1", ordered_at=f"{SPLIT - timedelta(days=30)}T12:00:00Z")
    response = await _check(client, workspace, split=SPLIT.isoformat())
    assert response.status_code == 422
    assert "cannot be fitted" in response.json()["detail"]


async def test_agents_may_not_read_it(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    from frontdesk.workspaces.models import Role

    headers = await workspace.key_with_role(Role.agent)
    response = await client.get(
        "/api/v1/analytics/clv/calibration", params={"split": SPLIT.isoformat()}, headers=headers
    )
    assert response.status_code == 403


async def test_the_page_shows_the_check_as_a_chart_and_its_numbers(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    history = _simulated_history(seed=11, customers=200)
    await _load(engine, workspace, history)
    assert (await sign_in(client, workspace.admin_email)).status_code == 303
    page = await client.get("/reports/purchase-model", params={"split": SPLIT.isoformat(), "end": END.isoformat()})
    assert page.status_code == 200, page.text
    assert "Predicted against actual" in page.text
    assert 'data-chart-kind="bar"' in page.text and "data-chart-spec" in page.text
    assert "No model has been fitted yet" in page.text  # the check does not store a model
    total = sum(bought for _, bought in _hand_count(history).values())
    assert f"<strong>{total:,}</strong>" in page.text
    backwards = {"split": date(2020, 1, 1).isoformat(), "end": "2019-01-01"}
    wrong = await client.get("/reports/purchase-model", params=backwards)
    assert wrong.status_code == 422 and "must end after the split" in wrong.text
