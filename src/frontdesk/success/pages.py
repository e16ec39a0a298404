"""Console: the Success page (at-risk customers, the team's tasks) and the playbooks page. Agents and admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from frontdesk.db import utcnow
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, FieldError, errors_from_pydantic
from frontdesk.success import at_risk, playbooks, tasks
from frontdesk.success.models import SuccessTask, TaskOwnerRule, TaskStatus
from frontdesk.success.schemas import PlaybookCreate, PlaybookUpdate, TaskUpdate
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
TABS = {"mine": "Mine", "team": "Team", "overdue": "Overdue", "done": "Done"}


def _page_number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


def _filters(tab: str, user: ConsoleUser) -> tasks.TaskFilters:
    now = utcnow()
    if tab == "mine":
        return tasks.TaskFilters(owner_id=user.agent_id, status=TaskStatus.open, now=now)
    if tab == "overdue":
        return tasks.TaskFilters(overdue=True, now=now)
    if tab == "done":
        return tasks.TaskFilters(status=TaskStatus.done, now=now)
    return tasks.TaskFilters(status=TaskStatus.open, now=now)


async def _task_page(session: DbSession, user: ConsoleUser, tab: str, page: int) -> tuple[list[Any], int]:
    workspace_id = user.principal.workspace_id
    statement = tasks.filtered(workspace_id, _filters(tab, user))
    total = int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    if tab == "done":
        ordered = statement.order_by(SuccessTask.completed_at.desc(), SuccessTask.id.desc())
    else:
        ordered = statement.order_by(SuccessTask.due_at, SuccessTask.id)
    rows = list((await session.scalars(ordered.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))).all())
    return await tasks.to_reads(session=session, tasks=rows), total


@router.get("/success")
async def success_page(
    request: Request, session: DbSession, user: ConsoleAgent, tab: str = "", page: str = "1", risk_page: str = "1"
) -> Response:
    user.principal.require(Role.agent)
    chosen = tab if tab in TABS else "mine"
    task_page, risk_number = _page_number(page), _page_number(risk_page)
    workspace_id = user.principal.workspace_id
    risky = await at_risk.list_at_risk(
        session=session, workspace_id=workspace_id, limit=PAGE_SIZE, offset=(risk_number - 1) * PAGE_SIZE
    )
    task_rows, task_total = await _task_page(session, user, chosen, task_page)
    counts = {
        key: int(
            await session.scalar(
                select(func.count()).select_from(tasks.filtered(workspace_id, _filters(key, user)).subquery())
            )
            or 0
        )
        for key in ("mine", "overdue")
    }
    await session.commit()  # the commerce settings row may have been made on first use
    return render(
        request,
        "pages/success.html",
        user=user,
        at_risk=risky,
        risk_page=risk_number,
        risk_pages=max(1, -(-risky.total // PAGE_SIZE)),
        tab=chosen,
        tabs=TABS,
        tasks=task_rows,
        task_page=task_page,
        task_pages=max(1, -(-task_total // PAGE_SIZE)),
        counts=counts,
        agents=await tasks.assignable_agents(session=session, workspace_id=workspace_id),
    )


async def _task_result(
    request: Request, session: DbSession, user: ConsoleUser, task_id: int, tab: str, error: FieldError | None = None
) -> Response:
    """HTMX: the task's card, changed (or with the error); a plain form post: back to the tab."""
    if request.headers.get("HX-Request"):
        task = await tasks.get_task(session=session, workspace_id=user.principal.workspace_id, task_id=task_id)
        (read,) = await tasks.to_reads(session=session, tasks=[task])
        agents = await tasks.assignable_agents(session=session, workspace_id=user.principal.workspace_id)
        return render(request, "partials/success_task.html", user=user, t=read, tab=tab, agents=agents, error=error)
    if error is not None:
        return Response(f"{error['field']}: {error['message']}", status_code=422, media_type="text/plain")
    return RedirectResponse(f"/success?tab={tab if tab in TABS else 'mine'}", status_code=303)


async def _update(
    request: Request, session: DbSession, user: ConsoleUser, task_id: int, tab: str, fields: dict[str, Any]
) -> Response:
    user.principal.require(Role.agent)
    error: FieldError | None = None
    try:
        data = TaskUpdate.model_validate(fields)
        await tasks.do_update_task(
            session=session, workspace_id=user.principal.workspace_id, task_id=task_id, data=data, actor=user.email
        )
        await session.commit()
    except ValidationError as exc:
        error = errors_from_pydantic(list(exc.errors()))[0]
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        error = exc.errors[0] if exc.errors else FieldError("task", exc.detail)
    if error is not None:
        await session.rollback()
    return await _task_result(request, session, user, task_id, tab, error)


@router.post("/success/tasks/{task_id}/complete")
async def complete_task(
    task_id: PathId,
    request: Request,
    session: DbSession,
    user: FormAgent,
    outcome: Annotated[str, Form()] = "",
    tab: Annotated[str, Form()] = "",
) -> Response:
    fields: dict[str, Any] = {"status": "done"}
    if outcome.strip():
        fields["outcome"] = outcome
    return await _update(request, session, user, task_id, tab, fields)


@router.post("/success/tasks/{task_id}/assign")
async def assign_task(
    task_id: PathId,
    request: Request,
    session: DbSession,
    user: FormAgent,
    owner_id: Annotated[str, Form()] = "",
    tab: Annotated[str, Form()] = "",
) -> Response:
    owner = owner_id.strip()
    return await _update(request, session, user, task_id, tab, {"owner_id": owner if owner else None})


# --- playbooks ---------------------------------------------------------------------------------------------


async def _playbooks_page(
    request: Request, session: DbSession, user: ConsoleUser, status_code: int = 200, **extra: Any
) -> Response:
    rows = await playbooks.list_playbooks(session=session, workspace_id=user.principal.workspace_id)
    return render(
        request,
        "pages/success_playbooks.html",
        status_code=status_code,
        user=user,
        playbooks=await playbooks.to_reads(session=session, playbooks=rows),
        owner_rules=[rule.value for rule in TaskOwnerRule],
        **extra,
    )


@router.get("/success/playbooks")
async def playbooks_page(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    user.principal.require(Role.agent)
    return await _playbooks_page(request, session, user)


def _playbook_fields(form: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        key: form[key].strip() for key in ("name", "rule", "task_title", "owner_rule", "due_in_days") if key in form
    }
    fields["is_active"] = form.get("is_active") == "on"
    return fields


async def _save_playbook(request: Request, session: DbSession, user: ConsoleUser, playbook_id: int | None) -> Response:
    user.principal.require(Role.admin)
    form = {key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"}
    fields = _playbook_fields(form)
    try:
        if playbook_id is None:
            await playbooks.do_create_playbook(
                session=session, workspace_id=user.principal.workspace_id, data=PlaybookCreate.model_validate(fields)
            )
        else:
            await playbooks.do_update_playbook(
                session=session,
                workspace_id=user.principal.workspace_id,
                playbook_id=playbook_id,
                data=PlaybookUpdate.model_validate(fields),
            )
        await session.commit()
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code == 404:
            raise
        await session.rollback()
        errors = errors_from_pydantic(list(exc.errors())) if isinstance(exc, ValidationError) else exc.errors
        error = errors[0] if errors else FieldError("playbook", str(exc))
        return await _playbooks_page(
            request, session, user, status_code=422, error=error, form=form, editing=playbook_id
        )
    return redirect_with_notice("/success/playbooks", "Playbook saved.")


@router.post("/success/playbooks")
async def create_playbook(request: Request, session: DbSession, user: FormAgent) -> Response:
    return await _save_playbook(request, session, user, None)


@router.post("/success/playbooks/{playbook_id}")
async def update_playbook(playbook_id: PathId, request: Request, session: DbSession, user: FormAgent) -> Response:
    return await _save_playbook(request, session, user, playbook_id)
