"""Console: the segments page (rule editor with a live count, built-in and saved segments) and CSV export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from frontdesk.contacts import profile
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, FieldError, InvalidInput, errors_from_pydantic
from frontdesk.inputs import parse_id
from frontdesk.segments import service
from frontdesk.segments.fields import FIELDS
from frontdesk.segments.rule_text import parse, to_text
from frontdesk.segments.rules import RuleError
from frontdesk.segments.schemas import SegmentCreate
from frontdesk.web.console import ConsoleAgent, FormAgent, redirect_with_notice, render
from frontdesk.web.wording import plural
from frontdesk.workspaces.models import Agent, Role

router = APIRouter(include_in_schema=False)


async def _page(request: Request, session: DbSession, user: Any, **extra: Any) -> Any:
    workspace_id = user.principal.workspace_id
    saved, _ = await service.list_saved(session=session, workspace_id=workspace_id, limit=200, cursor=None)
    # Sizes are not counted here: each row asks for its own (HTMX, on load), so the page shows at once
    # even where counting every segment takes seconds (a million contacts).
    segments = service.builtin_segments() + saved
    return render(
        request,
        "pages/segments.html",
        status_code=422 if extra.get("error") or extra.get("owner_error") else 200,
        user=user,
        builtin=[s for s in segments if s.builtin],
        saved=[s for s in segments if not s.builtin],
        fields=FIELDS,
        owner_choices=await profile.owner_choices(session=session, workspace_id=workspace_id),
        **extra,
    )


@router.get("/segments")
async def segments_page(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    return await _page(request, session, user, rule="", name="")


@router.post("/segments/preview")
async def preview(request: Request, session: DbSession, user: FormAgent, rule: Annotated[str, Form()] = "") -> Any:
    """The live count under the rule editor (HTMX, as the agent types)."""
    result: dict[str, Any] = {"rule": rule}
    if rule.strip():
        try:
            parsed = parse(rule)
        except RuleError as exc:
            result.update(error=exc.reason, position=exc.position)
        else:
            ctx = await service.context(session=session, workspace_id=user.principal.workspace_id)
            result.update(count=await service.count(session=session, rule=parsed, ctx=ctx), canonical=to_text(parsed))
    return render(request, "partials/segment_preview.html", user=user, **result)


@router.post("/segments")
async def save_segment(
    request: Request,
    session: DbSession,
    user: FormAgent,
    name: Annotated[str, Form()] = "",
    rule: Annotated[str, Form()] = "",
) -> Any:
    error: FieldError | None = None
    try:
        if not name.strip():
            raise InvalidInput("give the segment a name", field="name")
        data = SegmentCreate(name=name.strip(), rule=rule)
        await service.do_create_segment(
            session=session, workspace_id=user.principal.workspace_id, data=data, actor=user.principal.label
        )
        await session.commit()
    except ValidationError as exc:
        error = errors_from_pydantic(list(exc.errors()))[0]
    except DomainError as exc:
        error = exc.errors[0] if exc.errors else FieldError("rule", exc.detail)
    if error is not None:
        await session.rollback()
        return await _page(request, session, user, rule=rule, name=name, error=error)
    return redirect_with_notice("/segments", f"Segment {name.strip()!r} saved.")


@router.post("/segments/owner")
async def set_owner(
    request: Request,
    session: DbSession,
    user: FormAgent,
    segment: Annotated[str, Form(max_length=40)] = "",
    owner_id: Annotated[str, Form(max_length=20)] = "",
) -> Any:
    """Give every current member of a segment an owner (admins): the same service as the API's."""
    user.principal.require(Role.admin)
    workspace_id = user.principal.workspace_id
    agent_id = parse_id(owner_id) if owner_id else None
    try:
        if owner_id and agent_id is None:
            raise InvalidInput("choose an agent from the list", field="owner_id")
        read, rule = await service.resolve(session=session, workspace_id=workspace_id, ref=segment)
        ctx = await service.context(session=session, workspace_id=workspace_id)
        updated = await service.do_set_owner_of_members(
            session=session, rule=rule, ctx=ctx, owner_id=agent_id, actor=user.principal.label, segment=read.name
        )
    except DomainError as exc:
        await session.rollback()
        error = exc.errors[0] if exc.errors else FieldError("segment", exc.detail)
        return await _page(request, session, user, rule="", name="", owner_error=error)
    await session.commit()
    owner = None if agent_id is None else await session.get(Agent, agent_id)
    who = f"now owned by {owner.display_name}" if owner is not None else "now without an owner"
    message = f"{plural(updated, 'contact')} of {read.name} changed owner: {who}."
    return await _page(request, session, user, rule="", name="", owner_message=message, owner_segment=segment)


@router.post("/segments/{segment_id}/delete")
async def delete_segment(segment_id: PathId, session: DbSession, user: FormAgent) -> Any:
    await service.do_delete_segment(session=session, workspace_id=user.principal.workspace_id, segment_id=segment_id)
    await session.commit()
    return redirect_with_notice("/segments", "Segment deleted.")


@router.get("/segments/{segment}/size")
async def segment_size(segment: str, request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    """One segment's live size: the table cell that replaces the placeholder on the segments page."""
    workspace_id = user.principal.workspace_id
    _, rule = await service.resolve(session=session, workspace_id=workspace_id, ref=segment)
    ctx = await service.context(session=session, workspace_id=workspace_id)
    size = await service.count(session=session, rule=rule, ctx=ctx)
    return render(request, "partials/segment_size.html", user=user, size=size)


@router.get("/segments/{segment}/export.csv", responses={200: {"content": {"text/csv": {}}}})
async def export_csv(segment: str, request: Request, session: DbSession, user: ConsoleAgent) -> StreamingResponse:
    workspace_id = user.principal.workspace_id
    read, rule = await service.resolve(session=session, workspace_id=workspace_id, ref=segment)
    ctx = await service.context(session=session, workspace_id=workspace_id)
    await session.close()  # the export reads with short sessions of its own; don't hold a connection meanwhile
    return StreamingResponse(
        service.export_csv(factory=request.app.state.session_factory, workspace_id=workspace_id, rule=rule, ctx=ctx),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="segment-{read.id}.csv"'},
    )
