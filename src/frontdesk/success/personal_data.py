"""Success rows in a contact's export, erasure and merge.

Erasure deletes all of them: the predictions and health are derived and the next refresh would not recreate
them for a contact without orders, and a task's title and outcome may name the person. Merging moves the
duplicate's tasks and episodes to the contact that stays (an episode the target already has is dropped), and
deletes the duplicate's derived rows: the next refresh scores the merged customer as one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.personal_data import PersonalDataOwner, register, rowcount
from frontdesk.success.models import CustomerHealth, CustomerPrediction, HealthHistory, PlaybookEpisode, SuccessTask

DERIVED = (CustomerPrediction, CustomerHealth, HealthHistory)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def export(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    tasks = await session.scalars(
        select(SuccessTask).where(SuccessTask.contact_id == contact.id).order_by(SuccessTask.id)
    )
    prediction = await session.get(CustomerPrediction, contact.id)
    health = await session.get(CustomerHealth, contact.id)
    history = await session.scalars(
        select(HealthHistory).where(HealthHistory.contact_id == contact.id).order_by(HealthHistory.recorded_at)
    )
    return {
        "success_tasks": [
            {
                "id": t.id,
                "title": t.title,
                "status": t.status,
                "outcome": t.outcome,
                "due_at": _iso(t.due_at),
                "created_at": _iso(t.created_at),
                "completed_at": _iso(t.completed_at),
            }
            for t in tasks
        ],
        "purchase_prediction": None
        if prediction is None
        else {
            "p_alive": prediction.p_alive,
            "expected_purchases_90d": prediction.expected_purchases_90d,
            "expected_purchases_365d": prediction.expected_purchases_365d,
            "expected_order_value_minor": prediction.expected_order_value_minor,
            "clv_12m_minor": prediction.clv_12m_minor,
            "computed_at": _iso(prediction.computed_at),
        },
        "health": None
        if health is None
        else {"score": health.score, "reasons": health.reasons, "computed_at": _iso(health.computed_at)},
        "health_history": [{"score": h.score, "recorded_at": _iso(h.recorded_at)} for h in history],
    }


async def _delete_derived(session: AsyncSession, contact_id: int) -> int:
    removed = 0
    for model in DERIVED:
        removed += rowcount(await session.execute(delete(model).where(model.contact_id == contact_id)))
    return removed


async def erase(*, session: AsyncSession, contact: Contact) -> dict[str, int]:
    episodes = await session.execute(delete(PlaybookEpisode).where(PlaybookEpisode.contact_id == contact.id))
    tasks = await session.execute(delete(SuccessTask).where(SuccessTask.contact_id == contact.id))
    derived = await _delete_derived(session, contact.id)
    return {
        "success_tasks_deleted": rowcount(tasks),
        "playbook_episodes_deleted": rowcount(episodes),
        "success_scores_deleted": derived,
    }


async def merge(*, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
    await session.execute(
        update(SuccessTask).where(SuccessTask.contact_id == duplicate.id).values(contact_id=target.id)
    )
    held = select(PlaybookEpisode.playbook_id).where(PlaybookEpisode.contact_id == target.id)
    await session.execute(
        delete(PlaybookEpisode).where(PlaybookEpisode.contact_id == duplicate.id, PlaybookEpisode.playbook_id.in_(held))
    )
    await session.execute(
        update(PlaybookEpisode).where(PlaybookEpisode.contact_id == duplicate.id).values(contact_id=target.id)
    )
    await _delete_derived(session, duplicate.id)
    return {}


OWNER = register(
    PersonalDataOwner(
        domain="success",
        tables=frozenset(
            {"success_tasks", "playbook_episodes", "customer_predictions", "customer_health", "health_history"}
        ),
        export=export,
        erase=erase,
        merge=merge,
    )
)
