"""Each health signal's score from data made for it, and the phrase it adds to the reasons."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from tests.factories import WorkspaceHandle
from tests.success.health_world import (
    complaint,
    conversation,
    customer,
    customers,
    nps_answer,
    prediction,
    review,
    scored,
)


async def test_purchase_activity_is_p_alive_when_the_customer_has_a_prediction(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    # Three orders 50 days apart, the last 150 days ago: three times the usual interval.
    overdue = await customer(session, workspace, orders=3, first=250, last=150)
    await prediction(session, workspace, overdue, 0.23)
    fresh = await customer(session, workspace, orders=1, first=3)
    await prediction(session, workspace, fresh, 0.9)
    health = await scored(session, workspace)
    part = health[overdue].components["purchase_activity"]
    assert part == {"value": 0.23, "score": 23, "weight": 35, "basis": "p_alive"}
    assert health[overdue].reasons == ["23% likely still buying (no order for 3\u00d7 their usual interval)"]
    assert health[fresh].components["purchase_activity"]["score"] == 90
    assert health[fresh].reasons == []


async def test_without_a_prediction_recency_is_measured_against_the_usual_interval(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    on_time = await customer(session, workspace, orders=5, first=200, last=40)  # every 40 days, last 40 days ago
    three_times = await customer(session, workspace, orders=3, first=250, last=150)  # every 50, last 150 ago
    four_times = await customer(session, workspace, orders=2, first=300, last=200)  # every 100, last 200 ago...
    same_day = await customer(session, workspace, orders=2, first=5, last=5)  # two orders on one day: 1-day interval
    health = await scored(session, workspace)
    assert health[on_time].components["purchase_activity"] == {
        "value": 1,
        "score": 100,
        "weight": 35,
        "basis": "usual_interval",
    }
    assert health[three_times].components["purchase_activity"]["score"] == 33  # 100 x (4 - 3) / 3
    assert health[three_times].reasons == ["no order for 3\u00d7 their usual interval"]
    assert health[four_times].components["purchase_activity"]["score"] == 67  # twice the interval: 100 x 2/3
    assert health[four_times].reasons == []
    assert health[same_day].components["purchase_activity"]["score"] == 0  # 5 days against a 1-day interval
    assert health[same_day].reasons == ["no order for 5\u00d7 their usual interval"]


async def test_a_one_order_customer_is_measured_against_the_lapsed_threshold(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    recent = await customer(session, workspace, orders=1, first=18)
    halfway = await customer(session, workspace, orders=1, first=90)
    health = await scored(session, workspace)  # lapsed after 180 days, the default
    assert health[recent].components["purchase_activity"]["score"] == 90
    assert health[halfway].components["purchase_activity"] == {
        "value": 0.5,
        "score": 50,
        "weight": 35,
        "basis": "lapsed_after_days",
    }
    assert health[halfway].reasons == ["one order only, 90 days ago"]
    settings = await get_commerce_settings(session=session, workspace_id=workspace.id)
    settings.lapsed_after_days = 90
    await session.commit()
    assert (await scored(session, workspace))[halfway].components["purchase_activity"]["score"] == 0


async def test_open_complaints_count_and_resolved_ones_do_not(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    none, one, two = await customers(session, workspace, 3)
    await complaint(session, workspace, none, status="resolved")
    await complaint(session, workspace, one)
    await complaint(session, workspace, one, status="resolved")
    await complaint(session, workspace, two)
    await complaint(session, workspace, two, status="in_progress")
    health = await scored(session, workspace)
    assert [health[c].components["complaints"]["score"] for c in (none, one, two)] == [100, 40, 0]
    assert [health[c].components["complaints"]["value"] for c in (none, one, two)] == [0, 1, 2]
    assert health[one].reasons == ["1 open complaint"]
    assert health[two].reasons == ["2 open complaints"]


async def test_nps_is_the_latest_answer_times_ten_and_missing_without_one(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    detractor, promoter, silent = await customers(session, workspace, 3)
    await nps_answer(session, workspace, detractor, 10, answered=100)
    await nps_answer(session, workspace, detractor, 3, answered=20)
    await nps_answer(session, workspace, promoter, 9, answered=5)
    health = await scored(session, workspace)
    assert health[detractor].components["nps"] == {"value": 3, "score": 30, "weight": 15}
    assert "last NPS answer 3 (detractor)" in health[detractor].reasons
    assert health[promoter].components["nps"]["score"] == 90
    assert health[silent].components["nps"] == {"value": None, "score": None, "weight": 15, "missing": True}


async def test_csat_is_the_mean_rating_of_the_last_180_days(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    unhappy, unrated = await customers(session, workspace, 2)
    await conversation(session, workspace, unhappy, created=40, csat=2)
    await conversation(session, workspace, unhappy, created=100, csat=2)
    await conversation(session, workspace, unhappy, created=200, csat=5)  # too old to count
    await conversation(session, workspace, unrated, created=200, csat=1)
    health = await scored(session, workspace)
    assert health[unhappy].components["csat"] == {"value": 2, "score": 25, "weight": 10}
    assert health[unhappy].reasons == ["CSAT 2.0 of 5 in 180 days"]
    assert health[unrated].components["csat"]["missing"] is True


async def test_falling_sentiment_lowers_the_score_and_says_from_where(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    product = await workspace.product("TEA-1")
    falling, negative, steady, agents_only = await customers(session, workspace, 4, first=200)
    # The 90 days before: a review at +0.2. The last 90 days: a chat line and a survey comment at -0.4.
    await review(session, workspace, falling, product, sentiment=0.2, updated=120)
    await conversation(session, workspace, falling, created=40, lines=(("visitor", -0.5), ("agent", 0.9)))
    await nps_answer(session, workspace, falling, 8, answered=10, sentiment=-0.3)
    await conversation(session, workspace, negative, created=200, lines=(("visitor", -0.3),))  # too old
    await conversation(session, workspace, negative, created=45, lines=(("visitor", -0.3),))
    await conversation(session, workspace, steady, created=100, lines=(("visitor", 0.5),))
    await conversation(session, workspace, steady, created=10, lines=(("visitor", 0.5),))
    await conversation(session, workspace, agents_only, created=10, lines=(("agent", -0.8), ("visitor", None)))
    health = await scored(session, workspace)
    # 100 - 40 (negative now) - 60 (fell by 0.6)
    assert health[falling].components["sentiment_trend"] == {"value": -0.4, "score": 0, "weight": 10, "previous": 0.2}
    assert "sentiment falling (-0.4 from +0.2)" in health[falling].reasons
    assert health[negative].components["sentiment_trend"] == {"value": -0.3, "score": 70, "weight": 10}
    assert health[steady].components["sentiment_trend"]["score"] == 100
    assert health[agents_only].components["sentiment_trend"]["missing"] is True


async def test_support_load_counts_the_conversations_of_the_last_30_days(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    busy, one, quiet = await customers(session, workspace, 3)
    for _ in range(5):
        await conversation(session, workspace, busy, created=10)
    await conversation(session, workspace, busy, created=40)  # older than 30 days
    await conversation(session, workspace, one, created=1)
    health = await scored(session, workspace)
    assert health[busy].components["support_load"] == {"value": 5, "score": 20, "weight": 10}
    assert health[busy].reasons == ["5 conversations in 30 days"]
    assert health[one].components["support_load"]["score"] == 100
    assert health[quiet].components["support_load"] == {"value": 0, "score": 100, "weight": 10}
