"""The purchase model through the API and the CLI: its shape, who may fit and read it, and the 422s."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from frontdesk.cli import app
from frontdesk.db import utcnow
from frontdesk.success import clv
from frontdesk.success.models import CustomerPrediction
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.success.clv_seed import add_buyers, add_orders, add_simulated_history

FIT, MODEL = "/api/v1/analytics/clv/fit", "/api/v1/analytics/clv/model"


async def seeded(session: AsyncSession, workspace: WorkspaceHandle, customers: int = 200) -> list[int]:
    buyers = await add_simulated_history(session, workspace.id, customers=customers, as_of=utcnow())
    await session.commit()
    return buyers


async def test_fit_then_read_the_model(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    await seeded(session, workspace)
    missing = await client.get(MODEL, headers=workspace.headers)
    assert missing.status_code == 404 and "no purchase model has been fitted yet" in missing.json()["detail"]
    fitted = await client.post(FIT, headers=workspace.headers)
    assert fitted.status_code == 200, fitted.text
    body = fitted.json()
    assert set(body) == {"as_of", "unit", "customers", "repeat_customers", "bgnbd", "gamma_gamma", "log_likelihood",
                         "gamma_gamma_log_likelihood", "fitted_at", "time_zone"}  # fmt: skip
    assert set(body["bgnbd"]) == {"r", "alpha", "a", "b"} and set(body["gamma_gamma"]) == {"p", "q", "gamma"}
    assert body["unit"] == "day" and body["customers"] == 200 and body["time_zone"] == "UTC"
    assert all(isinstance(v, float) and v > 0 for v in (*body["bgnbd"].values(), *body["gamma_gamma"].values()))
    assert body["log_likelihood"] < 0
    assert (await client.get(MODEL, headers=workspace.headers)).json() == body
    # An agent may read the model (as the reports); only an admin may fit.
    agent = await workspace.key_with_role(Role.agent)
    assert (await client.get(MODEL, headers=agent)).json() == body
    refused = await client.post(FIT, headers=agent)
    assert refused.status_code == 403
    viewer = await workspace.key_with_role(Role.viewer)
    assert (await client.get(MODEL, headers=viewer)).status_code == 403


async def test_fit_as_of_a_past_instant(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    await seeded(session, workspace)
    past = (utcnow() - timedelta(days=60)).replace(microsecond=0)
    fitted = await client.post(FIT, json={"as_of": past.isoformat()}, headers=workspace.headers)
    assert fitted.status_code == 200, fitted.text
    assert datetime.fromisoformat(fitted.json()["as_of"]) == past
    assert fitted.json()["customers"] < 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"as_of": "2999-01-01T00:00:00Z"}, "as_of"),
        ({"as_of": "2026-01-01T00:00:00"}, "as_of"),
        ({"as_of": 1767225600}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"since": "2026-01-01T00:00:00Z"}, "since"),
    ],
)
async def test_bad_as_of_is_refused_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, body: object, field: str
) -> None:
    response = await client.post(FIT, json=body, headers=workspace.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


async def test_not_enough_data_is_a_422_saying_what_is_missing(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    empty = await client.post(FIT, json={}, headers=workspace.headers)
    assert empty.status_code == 422
    assert empty.headers["content-type"].startswith("application/problem+json")
    assert "no customer has a completed order" in empty.json()["detail"]
    buyers = await add_buyers(session, workspace.id, 2)
    await add_orders(session, workspace.id, [(b, utcnow() - timedelta(days=9), 1500) for b in buyers])
    await session.commit()
    once = await client.post(FIT, headers=workspace.headers)
    assert once.status_code == 422
    assert once.json()["detail"].startswith("none of the 2 customers with completed orders up to ")
    assert (await client.get(MODEL, headers=workspace.headers)).status_code == 404


async def test_a_customers_predictions(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    buyers = await seeded(session, workspace)
    (prospect,) = await add_buyers(session, workspace.id, 1, prefix="Prospect")
    await session.commit()
    assert (await client.get(f"/api/v1/contacts/{buyers[0]}/predictions", headers=workspace.headers)).status_code == 404
    await clv.refit_and_score(session=session, workspace_id=workspace.id)
    await session.commit()
    response = await client.get(f"/api/v1/contacts/{buyers[0]}/predictions", headers=workspace.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"contact_id", "p_alive", "expected_purchases_90d", "expected_purchases_365d",
                         "expected_order_value", "clv_12m", "currency", "frequency", "recency_days", "age_days",
                         "computed_at"}  # fmt: skip
    stored = await session.get(CustomerPrediction, buyers[0])
    assert stored is not None
    assert body["currency"] == "EUR" and body["p_alive"] == stored.p_alive
    # Money in major units, rounded to the cent: 1234.5 cents are "12.35" (or "12.34", banker's rounding).
    assert abs(Decimal(body["clv_12m"]) * 100 - Decimal(stored.clv_12m_minor)) <= Decimal("0.5")
    assert Decimal(body["expected_order_value"]).as_tuple().exponent == -2
    viewer = await workspace.key_with_role(Role.viewer)
    assert (await client.get(f"/api/v1/contacts/{buyers[0]}/predictions", headers=viewer)).status_code == 200
    no_orders = await client.get(f"/api/v1/contacts/{prospect}/predictions", headers=workspace.headers)
    assert no_orders.status_code == 404 and "no purchase predictions" in no_orders.json()["detail"]
    foreign = await client.get(f"/api/v1/contacts/{buyers[0]}/predictions", headers=other_workspace.headers)
    assert foreign.status_code == 404 and "Simulated" not in foreign.text


async def test_another_workspaces_orders_never_enter_the_model(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await seeded(session, workspace)
    b = other_workspace.headers
    assert (await client.get(MODEL, headers=b)).status_code == 404
    assert (await client.post(FIT, headers=b)).status_code == 422  # B has no orders of its own
    await add_simulated_history(session, other_workspace.id, customers=60, as_of=utcnow(), seed=9)
    await session.commit()
    assert (await client.post(FIT, headers=b)).json()["customers"] == 60
    assert (await client.post(FIT, headers=workspace.headers)).json()["customers"] == 200
    assert (await client.get(MODEL, headers=b)).json()["customers"] == 60


@pytest.mark.usefixtures("cli_env")
async def test_the_cli_fits_or_says_what_is_missing(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    runner = CliRunner()
    args = ["analytics", "fit", "--workspace", str(workspace.id)]
    empty = await asyncio.to_thread(runner.invoke, app, args)
    assert empty.exit_code == 2
    assert "no customer has a completed order" in " ".join(empty.output.split())
    await seeded(session, workspace, customers=120)
    fitted = await asyncio.to_thread(runner.invoke, app, args)
    assert fitted.exit_code == 0, fitted.output
    assert "on 120 customers" in fitted.output and "BG/NBD r=" in fitted.output
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    refused = await asyncio.to_thread(runner.invoke, app, [*args, "--as-of", future])
    assert refused.exit_code == 2 and "error (as_of)" in refused.output
