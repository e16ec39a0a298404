"""Fitting, storing and scoring the purchase model on a workspace's orders; what happens without enough data."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import InvalidInput
from frontdesk.success import clv, clv_math
from frontdesk.success.models import DEFAULT_DISCOUNT_RATE, ClvModel, CustomerPrediction, SuccessSettings
from tests.factories import WorkspaceHandle
from tests.success.clv_seed import add_buyers, add_orders, add_simulated_history

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MODEL_NUMBERS = ("r", "alpha", "a", "b", "p", "q", "gamma", "log_likelihood", "gamma_gamma_log_likelihood")


async def predictions(session: AsyncSession, workspace_id: int) -> list[CustomerPrediction]:
    found = await session.scalars(select(CustomerPrediction).where(CustomerPrediction.workspace_id == workspace_id))
    return list(found)


async def test_a_fit_is_stored_and_every_buyer_is_scored_with_it(
    session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    buyers = await add_simulated_history(session, workspace.id, customers=300, as_of=NOW)
    await add_simulated_history(session, other_workspace.id, customers=50, as_of=NOW, seed=2)
    await session.commit()
    model = await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)
    await session.commit()
    assert (model.as_of, model.fitted_at, model.time_zone, model.customers) == (NOW, NOW, "UTC", 300)
    assert 0 < model.repeat_customers < 300 and model.seconds > 0
    assert all(math.isfinite(getattr(model, name)) for name in MODEL_NUMBERS)
    assert model.q > 1 and model.log_likelihood < 0

    assert await clv.score_customers(session=session, workspace_id=workspace.id, now=NOW) == 300
    await session.commit()
    rows = await predictions(session, workspace.id)
    assert sorted(row.contact_id for row in rows) == sorted(buyers)
    for row in rows:
        values = (row.p_alive, row.expected_purchases_90d, row.expected_purchases_365d,
                  row.expected_order_value_minor, row.clv_12m_minor)  # fmt: skip
        assert all(math.isfinite(v) and v >= 0 for v in values)
        assert row.p_alive <= 1 and row.expected_purchases_90d <= row.expected_purchases_365d
        assert row.computed_at == NOW and row.age_days >= row.recency_days
        if row.frequency == 0:  # BG/NBD: nobody drops out before a repeat purchase
            assert row.p_alive == 1.0 and row.monetary_minor is None and row.recency_days == 0
        else:
            assert row.monetary_minor is not None and row.monetary_minor > 0
    assert await predictions(session, other_workspace.id) == []
    # Scoring again replaces the rows, it does not add to them.
    assert await clv.score_customers(session=session, workspace_id=workspace.id, now=NOW + timedelta(days=1)) == 300
    count = select(func.count()).select_from(CustomerPrediction)
    assert await session.scalar(count.where(CustomerPrediction.workspace_id == workspace.id)) == 300


async def test_the_workspace_discount_rate_discounts_the_lifetime_value(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    await add_simulated_history(session, workspace.id, customers=200, as_of=NOW)
    await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)
    await clv.score_customers(session=session, workspace_id=workspace.id, now=NOW)
    default = {row.contact_id: row.clv_12m_minor for row in await predictions(session, workspace.id)}
    session.add(SuccessSettings(workspace_id=workspace.id, discount_rate=0.0))
    await session.flush()
    await clv.score_customers(session=session, workspace_id=workspace.id, now=NOW)
    session.expire_all()
    undiscounted = {row.contact_id: row.clv_12m_minor for row in await predictions(session, workspace.id)}
    assert undiscounted.keys() == default.keys()
    assert all(undiscounted[c] >= default[c] for c in default)
    assert sum(undiscounted.values()) > sum(default.values())
    # A rate no monthly rate compounds to (-100 % a year) falls back to the default instead of NaN.
    settings = await session.get(SuccessSettings, workspace.id)
    assert settings is not None
    settings.discount_rate = -1.0
    await session.flush()
    assert await clv.discount_rate(session=session, workspace_id=workspace.id) == DEFAULT_DISCOUNT_RATE


async def test_a_fit_as_of_a_past_instant_counts_only_the_orders_before_it(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    await add_simulated_history(session, workspace.id, customers=300, as_of=NOW)
    (latecomer,) = await add_buyers(session, workspace.id, 1)
    await add_orders(session, workspace.id, [(latecomer, NOW - timedelta(days=5), 1000)])
    past = NOW - timedelta(days=100)
    model = await clv.fit_and_store(session=session, workspace_id=workspace.id, as_of=past, now=NOW)
    earlier = await clv.fit_and_store(session=session, workspace_id=workspace.id, as_of=past, now=NOW)
    assert earlier is model and model.as_of == past
    whole = await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)
    assert whole.customers == 301
    refit = await clv.fit_and_store(session=session, workspace_id=workspace.id, as_of=past, now=NOW)
    assert refit.customers < 301 and refit.as_of == past


async def test_no_orders_is_not_enough_data(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    with pytest.raises(clv.NotEnoughData, match="no customer has a completed order up to 2026-11-01T12:00:00"):
        await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)
    assert await session.get(ClvModel, workspace.id) is None


async def test_only_one_time_buyers_is_not_enough_data(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    buyers = await add_buyers(session, workspace.id, 3)
    # The third buyer's two orders fall on one day: still no repeat occasion.
    moments = [NOW - timedelta(days=40), NOW - timedelta(days=30), NOW - timedelta(days=3, hours=2)]
    await add_orders(session, workspace.id, [(b, at, 1000) for b, at in zip(buyers, moments, strict=True)])
    await add_orders(session, workspace.id, [(buyers[2], NOW - timedelta(days=3, hours=1), 1000)])
    with pytest.raises(clv.NotEnoughData) as failure:
        await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)
    assert failure.value.detail.startswith("none of the 3 customers with completed orders up to 2026-11-01")
    assert "bought again on a later day: the purchase model needs repeat customers" in failure.value.detail
    assert failure.value.status_code == 422


async def test_a_fit_that_does_not_converge_says_so_with_the_counts(
    session: AsyncSession, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_simulated_history(session, workspace.id, customers=100, as_of=NOW)

    class Stuck:
        success, fun = False, float("nan")
        x, jac = np.full(4, np.nan), np.full(4, np.nan)

    monkeypatch.setattr(clv_math, "minimize", lambda *args, **kwargs: Stuck())
    with pytest.raises(clv.NotEnoughData, match=r"did not converge .*\(100 customers, \d+ of them repeat, up to"):
        await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)


async def test_as_of_in_the_future_is_refused(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    with pytest.raises(InvalidInput) as failure:
        await clv.fit_and_store(session=session, workspace_id=workspace.id, as_of=NOW + timedelta(hours=1), now=NOW)
    assert failure.value.errors[0]["field"] == "as_of"


async def test_a_failed_refit_keeps_the_last_good_model_and_scores_with_it(
    session: AsyncSession, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_simulated_history(session, workspace.id, customers=200, as_of=NOW)
    good = await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)
    await session.commit()
    kept = {name: getattr(good, name) for name in (*MODEL_NUMBERS, "fitted_at", "as_of", "customers")}

    def non_finite(*args: object) -> tuple[clv_math.BgNbd, float]:
        return clv_math.BgNbd(r=float("nan"), alpha=1.0, a=1.0, b=1.0), float("inf")

    monkeypatch.setattr(clv_math, "fit_bgnbd", non_finite)
    later = NOW + timedelta(days=1)
    outcome = await clv.refit_and_score(session=session, workspace_id=workspace.id, now=later)
    await session.commit()
    assert not outcome.refitted and outcome.problem is not None and "non-finite" in outcome.problem
    assert outcome.scored == 200 and outcome.model is not None
    session.expire_all()
    stored = await session.get(ClvModel, workspace.id)
    assert stored is not None and {name: getattr(stored, name) for name in kept} == kept
    assert all(row.computed_at == later for row in await predictions(session, workspace.id))


async def test_refit_and_score_without_enough_data_and_no_model_writes_nothing(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    outcome = await clv.refit_and_score(session=session, workspace_id=workspace.id, now=NOW)
    assert outcome == clv.RefitOutcome(model=None, refitted=False, problem=outcome.problem, scored=0)
    assert outcome.problem is not None and "no customer has a completed order" in outcome.problem
    assert await clv.score_customers(session=session, workspace_id=workspace.id, now=NOW) == 0


async def test_predictions_that_are_not_finite_are_never_stored(
    session: AsyncSession, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyers = await add_simulated_history(session, workspace.id, customers=100, as_of=NOW)
    await clv.fit_and_store(session=session, workspace_id=workspace.id, now=NOW)
    real = clv_math.lifetime_value

    def poisoned(*args: object, **kwargs: object) -> np.ndarray:
        values = real(*args, **kwargs)  # type: ignore[arg-type]
        values[:3] = [np.nan, np.inf, -np.inf]
        return values

    monkeypatch.setattr(clv_math, "lifetime_value", poisoned)
    assert await clv.score_customers(session=session, workspace_id=workspace.id, now=NOW) == 97
    rows = await predictions(session, workspace.id)
    assert len(rows) == 97 and all(math.isfinite(row.clv_12m_minor) for row in rows)
    assert {row.contact_id for row in rows} == set(sorted(buyers)[3:])
