"""Console: complaints (list, suggestions from low scores, raise, work one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from sqlalchemy import select

from frontdesk.complaints import service
from frontdesk.complaints.models import Category, ComplaintSource, ComplaintStatus, Severity
from frontdesk.complaints.schemas import ComplaintCreate, ComplaintUpdate
from frontdesk.contacts.picker import resolve_picked_contact
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, FieldError, errors_from_pydantic
from frontdesk.web.console import ConsoleAgent, FormAgent, redirect_with_notice, render
from frontdesk.workspaces.models import Agent, Role

router = APIRouter(include_in_schema=False)
CHOICES = {
    "categories": [c.value for c in Category],
    "severities": [s.value for s in Severity],
    "statuses": [s.value for s in ComplaintStatus],
}


async def _agents(session: DbSession, workspace_id: int) -> list[Agent]:
    return list(
        await session.scalars(
            select(Agent).where(Agent.workspace_id == workspace_id, Agent.is_active).order_by(Agent.display_name)
        )
    )


async def _list(request: Request, session: DbSession, user: Any, status: str = "", **extra: Any) -> Any:
    workspace_id = user.principal.workspace_id
    rows, _ = await service.list_complaints(
        session=session,
        workspace_id=workspace_id,
        limit=100,
        cursor=None,
        status=ComplaintStatus(status) if status else None,
    )
    return render(
        request,
        "pages/complaints.html",
        status_code=422 if extra.get("error") else 200,
        user=user,
        complaints=await service.to_reads(session=session, complaints=rows),
        suggestions=await service.suggestions(session=session, workspace_id=workspace_id, limit=20),
        rate=await service.complaint_rate(session=session, workspace_id=workspace_id),
        status=status,
        agents=await _agents(session, workspace_id),
        **CHOICES,
        **extra,
    )


@router.get("/complaints")
async def complaints_page(request: Request, session: DbSession, user: ConsoleAgent, status: str = "") -> Any:
    return await _list(request, session, user, status if status in CHOICES["statuses"] else "")


def _form_fields(form: dict[str, str]) -> dict[str, Any]:
    """Form strings as API fields: blanks dropped, a local date as the end of that day in UTC."""
    fields: dict[str, Any] = {key: value.strip() for key, value in form.items() if value.strip()}
    if "due_at" in fields:
        try:
            day = datetime.strptime(fields["due_at"], "%Y-%m-%d")
        except ValueError:
            fields["due_at"] = "not a date"
        else:
            fields["due_at"] = day.replace(hour=23, minute=59, tzinfo=UTC)
    return fields


@router.post("/complaints")
async def raise_complaint(request: Request, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.agent)
    form = {key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"}
    error: FieldError | None = None
    typed = form.pop("contact_id_text", "")
    try:
        # The contact picker sends the chosen id, or (without JavaScript) only the typed name or e-mail.
        picked = await resolve_picked_contact(
            session=session,
            workspace_id=user.principal.workspace_id,
            picked_id=form.pop("contact_id", ""),
            typed=typed,
            field="contact_id",
        )
        fields = _form_fields(form)
        if picked is not None:
            fields["contact_id"] = picked.id
        data = ComplaintCreate.model_validate(fields)
        complaint = await service.do_raise_complaint(
            session=session,
            workspace_id=user.principal.workspace_id,
            data=data,
            actor=user.email,
            direct_source=ComplaintSource.agent,
        )
        await session.commit()
    except ValidationError as exc:
        error = errors_from_pydantic(list(exc.errors()))[0]
    except DomainError as exc:
        error = exc.errors[0] if exc.errors else FieldError("summary", exc.detail)
    if error is not None:
        await session.rollback()
        return await _list(request, session, user, error=error, form={**form, "contact_id_text": typed})
    return redirect_with_notice(f"/complaints/{complaint.id}", "Complaint raised.")


async def _detail(request: Request, session: DbSession, user: Any, complaint_id: int, **extra: Any) -> Any:
    workspace_id = user.principal.workspace_id
    complaint = await service.get_complaint(session=session, workspace_id=workspace_id, complaint_id=complaint_id)
    read = (await service.to_reads(session=session, complaints=[complaint], with_history=True))[0]
    return render(
        request,
        "pages/complaint.html",
        status_code=422 if extra.get("error") else 200,
        user=user,
        complaint=read,
        agents=await _agents(session, workspace_id),
        **CHOICES,
        **extra,
    )


@router.get("/complaints/{complaint_id}")
async def complaint_page(complaint_id: PathId, request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    return await _detail(request, session, user, complaint_id)


@router.post("/complaints/{complaint_id}")
async def update_complaint(
    complaint_id: PathId,
    request: Request,
    session: DbSession,
    user: FormAgent,
    status: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    owner_id: Annotated[str, Form()] = "",
    due_at: Annotated[str, Form()] = "",
    resolution: Annotated[str, Form()] = "",
) -> Any:
    user.principal.require(Role.agent)
    form = {"status": status, "severity": severity, "category": category, "owner_id": owner_id, "due_at": due_at}
    fields = _form_fields(form)
    if resolution.strip():
        fields["resolution"] = resolution
    try:
        data = ComplaintUpdate.model_validate(fields)
        await service.do_update_complaint(
            session=session,
            workspace_id=user.principal.workspace_id,
            complaint_id=complaint_id,
            data=data,
            actor=user.email,
        )
        await session.commit()
    except ValidationError as exc:
        return await _detail(request, session, user, complaint_id, error=errors_from_pydantic(list(exc.errors()))[0])
    except DomainError as exc:
        await session.rollback()
        error = exc.errors[0] if exc.errors else FieldError("status", exc.detail)
        return await _detail(request, session, user, complaint_id, error=error)
    return redirect_with_notice(f"/complaints/{complaint_id}", "Complaint saved.")
