"""The health score as a whole: the weighted mean over the signals with data, the workspace's weights, history
kept only on change, and only customers scored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import CustomerFigures
from frontdesk.success.health_signals import DEFAULT_WEIGHTS, SIGNAL_NAMES
from frontdesk.success.models import HealthHistory
from frontdesk.success.settings import HealthWeightsUpdate, SuccessSettingsUpdate, do_update_success_settings
from tests.factories import WorkspaceHandle
from tests.success.health_world import (
    NOW,
    complaint,
    conversation,
    customer,
    nps_answer,
    prediction,
    scored,
)


def oracle(components: dict[str, Any]) -> int:
    """The documented score, computed plainly: the weighted mean of the signals that have data and weight."""
    counted = [(part["score"], part["weight"]) for part in components.values() if part["score"] is not None]
    counted = [(score, weight) for score, weight in counted if weight > 0]
    mean = sum(score * weight for score, weight in counted) / sum(weight for _, weight in counted)
    return int(mean + 0.5)


async def _history(session: AsyncSession, contact_id: int) -> list[int]:
    rows = await session.scalars(
        select(HealthHistory.score).where(HealthHistory.contact_id == contact_id).order_by(HealthHistory.id)
    )
    return list(rows)


async def test_the_score_is_the_weighted_mean_of_the_signals_with_data(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    everything = await customer(session, workspace, orders=4, first=300, last=20)
    await prediction(session, workspace, everything, 0.5)
    await complaint(session, workspace, everything)
    await nps_answer(session, workspace, everything, 7, answered=30, sentiment=0.4)
    await conversation(session, workspace, everything, created=10, csat=4, lines=(("visitor", 0.4),))
    await conversation(session, workspace, everything, created=12)
    only_orders = await customer(session, workspace, orders=1, first=45)
    health = await scored(session, workspace)

    parts = health[everything].components
    assert set(parts) == set(SIGNAL_NAMES)
    assert {name: part["score"] for name, part in parts.items()} == {
        "purchase_activity": 50,
        "complaints": 40,
        "nps": 70,
        "csat": 75,
        "sentiment_trend": 100,
        "support_load": 80,
    }
    # (50x35 + 40x20 + 70x15 + 75x10 + 100x10 + 80x10) / 100 = 61.5, half up
    assert health[everything].score == 62 == oracle(parts)
    assert health[everything].reasons == ["1 open complaint", "50% likely still buying"]
    assert health[everything].computed_at == NOW

    # No NPS, CSAT or sentiment: their weights are left out, the rest renormalised.
    parts = health[only_orders].components
    assert [name for name, part in parts.items() if part.get("missing")] == ["nps", "csat", "sentiment_trend"]
    assert parts["purchase_activity"]["score"] == 75  # one order 45 of 180 days ago
    assert health[only_orders].score == round((75 * 35 + 100 * 20 + 100 * 10) / 65) == oracle(parts)


async def test_the_workspace_weights_apply_and_a_weight_of_zero_removes_a_signal(
    session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    unhappy = await customer(session, workspace, orders=1, first=18)
    await nps_answer(session, workspace, unhappy, 2, answered=3)
    await complaint(session, workspace, unhappy)
    theirs = await customer(session, other_workspace, orders=1, first=18)
    await nps_answer(session, other_workspace, theirs, 2, answered=3)
    await complaint(session, other_workspace, theirs)
    before = (await scored(session, workspace))[unhappy]
    assert before.reasons == ["last NPS answer 2 (detractor)", "1 open complaint"]  # worst first
    assert before.score == round((90 * 35 + 40 * 20 + 20 * 15 + 100 * 10) / 80)

    await do_update_success_settings(
        session=session,
        workspace_id=workspace.id,
        data=SuccessSettingsUpdate(health_weights=HealthWeightsUpdate(nps=0, complaints=50)),
    )
    await session.commit()
    after = (await scored(session, workspace))[unhappy]
    assert after.components["nps"] == {"value": 2, "score": 20, "weight": 0}
    assert after.components["complaints"]["weight"] == 50
    assert after.reasons == ["1 open complaint"]  # a signal that does not count gives no reason
    assert after.score == round((90 * 35 + 40 * 50 + 100 * 10) / 95) == oracle(after.components)
    # The other workspace keeps the defaults.
    theirs_now = (await scored(session, other_workspace))[theirs]
    assert theirs_now.components["nps"]["weight"] == DEFAULT_WEIGHTS["nps"]
    assert theirs_now.score == before.score


async def test_history_is_written_only_when_the_whole_number_score_moves(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    ada = await customer(session, workspace, orders=1, first=18)
    bob = await customer(session, workspace, orders=1, first=18)
    first = await scored(session, workspace)
    assert await _history(session, ada) == [first[ada].score]
    assert await _history(session, bob) == [first[bob].score]

    # Nothing changed, and an hour later (the fractional score moves, the whole number does not): no rows.
    await scored(session, workspace)
    await scored(session, workspace, now=NOW + timedelta(hours=1))
    assert len(await _history(session, ada)) == 1
    assert len(await _history(session, bob)) == 1

    await complaint(session, workspace, ada)
    second = await scored(session, workspace)
    assert second[ada].score < first[ada].score
    assert await _history(session, ada) == [first[ada].score, second[ada].score]
    assert len(await _history(session, bob)) == 1


async def test_only_customers_are_scored_and_former_customers_lose_their_score(
    session: AsyncSession, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    buyer = await customer(session, workspace, orders=2, first=100, last=10)
    organisation = await customer(session, workspace, orders=1, first=10, kind="organisation", name="Tea GmbH")
    prospect = await workspace.contact(name="Just looking")
    refunded = await customer(session, workspace, orders=0, first=10)  # a figures row without completed orders
    await complaint(session, workspace, prospect)
    await conversation(session, workspace, prospect, created=2, csat=1)
    theirs = await customer(session, other_workspace, orders=1, first=10)
    await scored(session, other_workspace)

    health = await scored(session, workspace)
    assert set(health) == {buyer, organisation}
    assert prospect not in health and refunded not in health

    await session.execute(update(CustomerFigures).where(CustomerFigures.contact_id == buyer).values(orders=0))
    await session.commit()
    health = await scored(session, workspace)
    assert set(health) == {organisation}
    assert len(await _history(session, buyer)) == 1  # the history stays
    assert set(await scored(session, other_workspace)) == {theirs}  # untouched by the first workspace's runs


async def test_a_workspace_without_customers_scores_nobody(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    await workspace.contact(name="Nobody bought")
    assert await scored(session, workspace) == {}
