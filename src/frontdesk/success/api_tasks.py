"""/api/v1/success: playbooks (admins write them, agents read them) and the success team's tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from frontdesk.deps import Admin, Agent, DbSession, PathId
from frontdesk.errors import InvalidInput
from frontdesk.inputs import IdRef
from frontdesk.success import at_risk, playbooks, tasks
from frontdesk.success.models import SuccessTask, TaskStatus
from frontdesk.success.schemas import (
    AtRiskPage,
    AtRiskRead,
    PlaybookCreate,
    PlaybookList,
    PlaybookRead,
    PlaybookRun,
    PlaybookUpdate,
    TaskCreate,
    TaskPage,
    TaskRead,
    TaskUpdate,
)

router = APIRouter(prefix="/api/v1/success", tags=["success"])


@router.get(
    "/at-risk",
    response_model=AtRiskPage,
    summary="At-risk customers, most value at risk first",
    description="At risk: matched an active playbook at the last refresh, or a health score under 40. Value at "
    "risk: clv_12m * (1 - p_alive); customers without a prediction come last (docs/success.md).",
)
async def list_at_risk(
    session: DbSession,
    principal: Agent,
    limit: Annotated[int, Query(ge=1, le=tasks.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> AtRiskPage:
    offset = at_risk.decode_cursor(cursor) if cursor else 0
    found = await at_risk.list_at_risk(session=session, workspace_id=principal.workspace_id, limit=limit, offset=offset)
    await session.commit()  # the commerce settings row may have been made on first use
    more = offset + limit < found.total
    return AtRiskPage(
        items=[AtRiskRead.model_validate(customer, from_attributes=True) for customer in found.customers],
        total=found.total,
        currency=found.currency,
        next_cursor=at_risk.encode_cursor(offset + limit) if more and offset + limit <= at_risk.MAX_OFFSET else None,
    )


async def _playbook(session: DbSession, playbook_id: int, workspace_id: int) -> PlaybookRead:
    playbook = await playbooks.get_playbook(session=session, workspace_id=workspace_id, playbook_id=playbook_id)
    return (await playbooks.to_reads(session=session, playbooks=[playbook]))[0]


@router.get("/playbooks", response_model=PlaybookList, summary="The workspace's playbooks")
async def list_playbooks(session: DbSession, principal: Agent) -> PlaybookList:
    rows = await playbooks.list_playbooks(session=session, workspace_id=principal.workspace_id)
    return PlaybookList(items=await playbooks.to_reads(session=session, playbooks=rows))


@router.post(
    "/playbooks",
    response_model=PlaybookRead,
    status_code=201,
    summary="Create a playbook: a segment rule that gives each customer who comes to match it a task",
)
async def create_playbook(data: PlaybookCreate, session: DbSession, principal: Admin) -> PlaybookRead:
    playbook = await playbooks.do_create_playbook(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return await _playbook(session, playbook.id, principal.workspace_id)


@router.get("/playbooks/{playbook_id}", response_model=PlaybookRead, summary="A playbook")
async def read_playbook(playbook_id: PathId, session: DbSession, principal: Agent) -> PlaybookRead:
    return await _playbook(session, playbook_id, principal.workspace_id)


@router.patch(
    "/playbooks/{playbook_id}",
    response_model=PlaybookRead,
    summary="Change a playbook",
    description="A new rule, or pausing it, ends its current episodes: the next run judges everyone afresh.",
)
async def update_playbook(
    playbook_id: PathId, data: PlaybookUpdate, session: DbSession, principal: Admin
) -> PlaybookRead:
    await playbooks.do_update_playbook(
        session=session, workspace_id=principal.workspace_id, playbook_id=playbook_id, data=data
    )
    await session.commit()
    return await _playbook(session, playbook_id, principal.workspace_id)


@router.delete(
    "/playbooks/{playbook_id}", status_code=204, summary="Delete a playbook (its tasks stay, without playbook)"
)
async def delete_playbook(playbook_id: PathId, session: DbSession, principal: Admin) -> Response:
    await playbooks.do_delete_playbook(session=session, workspace_id=principal.workspace_id, playbook_id=playbook_id)
    await session.commit()
    return Response(status_code=204)


@router.post(
    "/playbooks/{playbook_id}/run",
    response_model=PlaybookRun,
    summary="Run a playbook now, as the daily refresh does (on the current predictions and health scores)",
)
async def run_playbook(playbook_id: PathId, session: DbSession, principal: Admin) -> PlaybookRun:
    created = await playbooks.do_run_playbook(
        session=session, workspace_id=principal.workspace_id, playbook_id=playbook_id
    )
    await session.commit()
    return PlaybookRun(tasks_created=created)


async def _task(session: DbSession, task: SuccessTask) -> TaskRead:
    return (await tasks.to_reads(session=session, tasks=[task]))[0]


@router.get("/tasks", response_model=TaskPage, summary="List success tasks, newest first")
async def list_tasks(
    session: DbSession,
    principal: Agent,
    limit: Annotated[int, Query(ge=1, le=tasks.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    owner_id: Annotated[IdRef | None, Query(description="Only this agent's tasks")] = None,
    mine: Annotated[bool, Query(description="Only the signed-in agent's tasks (not for API keys)")] = False,
    unassigned: Annotated[bool, Query(description="Only tasks nobody owns")] = False,
    status: TaskStatus | None = None,
    overdue: Annotated[bool, Query(description="Only open tasks due before now")] = False,
    contact_id: Annotated[IdRef | None, Query(description="Only this customer's tasks")] = None,
) -> TaskPage:
    if mine:
        if principal.agent_id is None:
            raise InvalidInput("an API key is no agent: filter by owner_id instead", field="mine")
        if owner_id is not None and owner_id != principal.agent_id:
            raise InvalidInput("give mine or owner_id, not both", field="mine")
        owner_id = principal.agent_id
    if unassigned and owner_id is not None:
        raise InvalidInput("unassigned tasks have no owner: drop owner_id or mine", field="unassigned")
    filters = tasks.TaskFilters(
        owner_id=owner_id, unassigned=unassigned, status=status, overdue=overdue, contact_id=contact_id
    )
    rows, next_cursor = await tasks.list_tasks(
        session=session, workspace_id=principal.workspace_id, filters=filters, limit=limit, cursor=cursor
    )
    return TaskPage(items=await tasks.to_reads(session=session, tasks=rows), next_cursor=next_cursor)


@router.post("/tasks", response_model=TaskRead, status_code=201, summary="Create a task about a customer")
async def create_task(data: TaskCreate, session: DbSession, principal: Agent) -> TaskRead:
    task = await tasks.do_create_task(
        session=session, workspace_id=principal.workspace_id, data=data, actor=principal.label
    )
    await session.commit()
    return await _task(session, task)


@router.get("/tasks/{task_id}", response_model=TaskRead, summary="A task")
async def read_task(task_id: PathId, session: DbSession, principal: Agent) -> TaskRead:
    return await _task(
        session, await tasks.get_task(session=session, workspace_id=principal.workspace_id, task_id=task_id)
    )


@router.patch(
    "/tasks/{task_id}",
    response_model=TaskRead,
    summary="Change, reassign, complete or reopen a task",
    description="`status: done` needs an `outcome` (what came of it); `status: open` reopens a done task.",
)
async def update_task(task_id: PathId, data: TaskUpdate, session: DbSession, principal: Agent) -> TaskRead:
    task = await tasks.do_update_task(
        session=session, workspace_id=principal.workspace_id, task_id=task_id, data=data, actor=principal.label
    )
    await session.commit()
    return await _task(session, task)


@router.delete("/tasks/{task_id}", status_code=204, summary="Delete a task")
async def delete_task(task_id: PathId, session: DbSession, principal: Admin) -> Response:
    await tasks.do_delete_task(session=session, workspace_id=principal.workspace_id, task_id=task_id)
    await session.commit()
    return Response(status_code=204)
