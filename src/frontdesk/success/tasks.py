"""Success tasks: what an agent should do about one customer, by hand or from a playbook, until it is done
with an outcome. Each creation and completion is written on the customer's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactEvent
from frontdesk.contacts.service import decode_cursor, encode_cursor, get_referenced_contact
from frontdesk.contacts.timeline import record_event
from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.success.models import Playbook, SuccessTask, TaskStatus
from frontdesk.success.schemas import TaskCreate, TaskRead, TaskUpdate
from frontdesk.webhooks import events
from frontdesk.workspaces.models import Agent, Role

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class TaskFilters:
    owner_id: int | None = None
    unassigned: bool = False
    status: TaskStatus | None = None
    overdue: bool = False  # open and due before ``now``
    contact_id: int | None = None
    now: datetime | None = None


def filtered(workspace_id: int, filters: TaskFilters) -> Select[Any]:
    """The workspace's tasks that pass ``filters``, as a query (the API and the Success page order it)."""
    statement = select(SuccessTask).where(SuccessTask.workspace_id == workspace_id)
    if filters.owner_id is not None:
        statement = statement.where(SuccessTask.owner_id == filters.owner_id)
    if filters.unassigned:
        statement = statement.where(SuccessTask.owner_id.is_(None))
    if filters.status is not None:
        statement = statement.where(SuccessTask.status == filters.status.value)
    if filters.overdue:
        statement = statement.where(
            SuccessTask.status == TaskStatus.open.value, SuccessTask.due_at < (filters.now or utcnow())
        )
    if filters.contact_id is not None:
        statement = statement.where(SuccessTask.contact_id == filters.contact_id)
    return statement


async def list_tasks(
    *, session: AsyncSession, workspace_id: int, filters: TaskFilters, limit: int, cursor: str | None
) -> tuple[list[SuccessTask], str | None]:
    """Newest first, a page at a time (``next_cursor`` as the contacts list gives it)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}", field="limit")
    statement = filtered(workspace_id, filters)
    if cursor:
        statement = statement.where(SuccessTask.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(SuccessTask.id.desc()).limit(limit + 1))).all())
    return rows[:limit], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


async def get_task(*, session: AsyncSession, workspace_id: int, task_id: int) -> SuccessTask:
    task = await session.scalar(
        select(SuccessTask).where(SuccessTask.id == task_id, SuccessTask.workspace_id == workspace_id)
    )
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


async def to_reads(
    *, session: AsyncSession, tasks: Sequence[SuccessTask], now: datetime | None = None
) -> list[TaskRead]:
    """Tasks with the names people read (contact, owner, playbook): three reads for the whole page."""
    now = now or utcnow()
    contact_ids = {task.contact_id for task in tasks}
    owner_ids = {task.owner_id for task in tasks if task.owner_id is not None}
    playbook_ids = {task.playbook_id for task in tasks if task.playbook_id is not None}
    contacts = dict((await session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(contact_ids)))).all())
    owners = dict((await session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(owner_ids)))).all())
    playbooks = dict(
        (await session.execute(select(Playbook.id, Playbook.name).where(Playbook.id.in_(playbook_ids)))).all()
    )
    return [
        TaskRead(
            id=task.id,
            contact_id=task.contact_id,
            contact_name=contacts.get(task.contact_id, ""),
            playbook_id=task.playbook_id,
            playbook_name=playbooks.get(task.playbook_id) if task.playbook_id is not None else None,
            title=task.title,
            owner_id=task.owner_id,
            owner_name=owners.get(task.owner_id) if task.owner_id is not None else None,
            due_at=task.due_at,
            overdue=task.status == TaskStatus.open.value and task.due_at < now,
            status=TaskStatus(task.status),
            outcome=task.outcome,
            created_by=task.created_by,
            created_at=task.created_at,
            completed_at=task.completed_at,
        )
        for task in tasks
    ]


async def assignable_agents(*, session: AsyncSession, workspace_id: int) -> list[Agent]:
    """Who can own a task: the workspace's active agents and admins (a viewer cannot work one)."""
    rows = await session.scalars(
        select(Agent)
        .where(Agent.workspace_id == workspace_id, Agent.is_active, Agent.role != Role.viewer.value)
        .order_by(Agent.display_name, Agent.id)
    )
    return list(rows.all())


async def _check_owner(session: AsyncSession, workspace_id: int, owner_id: int) -> Agent:
    agent = await session.scalar(select(Agent).where(Agent.id == owner_id, Agent.workspace_id == workspace_id))
    if agent is None or not agent.is_active:
        raise InvalidInput(f"agent {owner_id} is not an active agent of this workspace", field="owner_id")
    if agent.role == Role.viewer.value:
        raise InvalidInput(f"agent {owner_id} is a viewer and cannot work tasks", field="owner_id")
    return agent


def _event_data(task: SuccessTask, **extra: Any) -> dict[str, Any]:
    return {"task_id": task.id, "title": task.title, **extra}


async def do_create_task(*, session: AsyncSession, workspace_id: int, data: TaskCreate, actor: str) -> SuccessTask:
    contact = await get_referenced_contact(
        session=session, workspace_id=workspace_id, contact_id=data.contact_id, field="contact_id"
    )
    if data.owner_id is not None:
        await _check_owner(session, workspace_id, data.owner_id)
    now = utcnow()
    task = SuccessTask(
        workspace_id=workspace_id,
        contact_id=contact.id,
        title=data.title,
        owner_id=data.owner_id,
        due_at=data.due_at,
        status=TaskStatus.open.value,
        created_by=actor,
        created_at=now,
    )
    session.add(task)
    await session.flush()
    record_event(
        session=session, contact=contact, kind="task_created", actor=actor, data=_event_data(task, due_at=_iso(task))
    )
    await _emit_created(session, workspace_id, [task])
    return task


async def _emit_created(session: AsyncSession, workspace_id: int, tasks: Sequence[SuccessTask]) -> None:
    if not await events.subscribed(session, workspace_id=workspace_id, event_type="task.created"):
        return
    await events.emit_many(
        session,
        workspace_id=workspace_id,
        event_type="task.created",
        events=[
            events.Emitted(read.model_dump(mode="json"), read.contact_id)
            for read in await to_reads(session=session, tasks=tasks)
        ],
    )


def _iso(task: SuccessTask) -> str:
    return task.due_at.isoformat()


async def do_update_task(
    *, session: AsyncSession, workspace_id: int, task_id: int, data: TaskUpdate, actor: str
) -> SuccessTask:
    task = await get_task(session=session, workspace_id=workspace_id, task_id=task_id)
    given = data.model_fields_set
    if "title" in given:
        if data.title is None:
            raise InvalidInput("a task needs a title", field="title")
        task.title = data.title
    if "due_at" in given:
        if data.due_at is None:
            raise InvalidInput("a task needs a due date", field="due_at")
        task.due_at = data.due_at
    if "owner_id" in given:
        if data.owner_id is not None:
            await _check_owner(session, workspace_id, data.owner_id)
        task.owner_id = data.owner_id
    status = data.status if "status" in given and data.status is not None else TaskStatus(task.status)
    if "status" in given and data.status is None:
        raise InvalidInput("status is open or done", field="status")
    if "outcome" in given and status is not TaskStatus.done:
        raise InvalidInput("an outcome is written when the task is done: send status done with it", field="outcome")
    event: tuple[str, dict[str, Any]] | None = None
    if status is TaskStatus.done:
        outcome = data.outcome if "outcome" in given else task.outcome
        if not outcome:
            raise InvalidInput("say what came of it to mark the task done", field="outcome")
        if task.status != TaskStatus.done.value:
            task.completed_at = utcnow()
            event = ("task_completed", _event_data(task, outcome=outcome))
        task.outcome = outcome
    elif task.status == TaskStatus.done.value:  # reopened: it is no longer completed
        task.completed_at = None
        event = ("task_reopened", _event_data(task))
    task.status = status.value
    await session.flush()
    if event is not None:
        contact = await session.get(Contact, task.contact_id)
        if contact is not None:
            record_event(session=session, contact=contact, kind=event[0], actor=actor, data=event[1])
    return task


async def do_delete_task(*, session: AsyncSession, workspace_id: int, task_id: int) -> None:
    await session.delete(await get_task(session=session, workspace_id=workspace_id, task_id=task_id))
    await session.flush()


async def add_playbook_tasks(
    *,
    session: AsyncSession,
    workspace_id: int,
    playbook: Playbook,
    owners: Sequence[tuple[int, int | None]],
    now: datetime,
    due_at: datetime,
) -> dict[int, int]:
    """One task per (contact, owner) of ``owners``, inserted in bulk with its timeline entry; contact -> task id."""
    if not owners:
        return {}
    actor = f"playbook: {playbook.name}"
    rows = [
        {
            "workspace_id": workspace_id,
            "contact_id": contact_id,
            "playbook_id": playbook.id,
            "title": playbook.task_title,
            "owner_id": owner_id,
            "due_at": due_at,
            "status": TaskStatus.open.value,
            "created_by": actor[:200],
            "created_at": now,
        }
        for contact_id, owner_id in owners
    ]
    created = await session.execute(insert(SuccessTask).returning(SuccessTask.id, SuccessTask.contact_id), rows)
    task_ids = {contact_id: task_id for task_id, contact_id in created.all()}
    await session.execute(
        insert(ContactEvent),
        [
            {
                "workspace_id": workspace_id,
                "contact_id": contact_id,
                "kind": "task_created",
                "actor": actor[:200],
                "data": {"task_id": task_id, "title": playbook.task_title, "due_at": due_at.isoformat()},
                "created_at": now,
            }
            for contact_id, task_id in task_ids.items()
        ],
    )
    if await events.subscribed(session, workspace_id=workspace_id, event_type="task.created"):
        statement = select(SuccessTask).where(SuccessTask.id.in_(list(task_ids.values()))).order_by(SuccessTask.id)
        await _emit_created(session, workspace_id, list((await session.scalars(statement)).all()))
    return task_ids
