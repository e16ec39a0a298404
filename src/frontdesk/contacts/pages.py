"""Console pages of the registry: list, profile and timeline, create and edit forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from frontdesk.commerce import service as commerce_service
from frontdesk.contacts import (
    import_pages,
    list_pages,
    merge,
    owners,
    picker,
    privacy,
    profile,
    service,
    stages,
    timeline,
)
from frontdesk.contacts.models import Audience, Contact, ContactKind, ContactRole, Market, RelationshipKind
from frontdesk.contacts.schemas import ContactCreate, ContactUpdate, MergeRequest, RelationshipCreate, TimelineEntry
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, FieldError, errors_from_pydantic
from frontdesk.inputs import parse_id
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, errors_by_field, redirect_with_notice, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)
# First: /contacts/search.json must match before /contacts/{contact_id} does.
router.include_router(list_pages.router)
router.include_router(import_pages.router)
LATEST_ORDERS = 10
CHOICES: dict[str, Any] = {
    "kinds": [k.value for k in ContactKind],
    "audiences": [a.value for a in Audience],
    "markets": [m.value for m in Market],
    "stage_filters": stages.CHOICES,
    "roles": [r.value for r in ContactRole],
    "relationship_kinds": [k.value for k in RelationshipKind],
}


def _split(text: str, separators: str = ",\n") -> list[str]:
    for separator in separators[1:]:
        text = text.replace(separator, separators[0])
    return [part.strip() for part in text.split(separators[0]) if part.strip()]


def form_to_payload(form: FormData, attribute_keys: list[str]) -> dict[str, Any]:
    """The HTML form's flat fields in the shape of the API's contact body."""
    text = {key: str(form.get(key, "")).strip() for key in service.TEXT_FIELDS}
    payload: dict[str, Any] = {key: value or None for key, value in text.items()}
    payload["kind"] = text["kind"] or "person"
    payload["audience"] = text["audience"] or "external"
    del payload["stage"]  # follows completed orders: the form does not offer it
    payload["emails"] = _split(str(form.get("emails", "")))
    payload["phones"] = _split(str(form.get("phones", "")), "\n,")
    payload["tags"] = _split(str(form.get("tags", "")))
    payload["roles"] = [str(role) for role in form.getlist("roles")]
    payload["is_reseller"] = form.get("is_reseller") == "on"
    payload["attributes"] = {key: str(form.get(f"attributes.{key}", "")).strip() for key in attribute_keys}
    return payload


async def _form_page(
    request: Request,
    session: DbSession,
    user: ConsoleUser,
    *,
    values: dict[str, Any],
    errors: list[FieldError] | None = None,
    contact_id: PathId | None = None,
) -> Any:
    definitions = await service.list_attribute_definitions(session=session, workspace_id=user.principal.workspace_id)
    return render(
        request,
        "pages/contact_form.html",
        status_code=422 if errors else 200,
        user=user,
        values=values,
        errors=errors_by_field(errors or []),
        contact_id=contact_id,
        definitions=definitions,
        **CHOICES,
    )


@router.get("/contacts/new")
async def new_contact_form(request: Request, session: DbSession, user: ConsoleAgent) -> Any:
    return await _form_page(request, session, user, values={"kind": "person"})


@router.post("/contacts/new")
async def create_contact(request: Request, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.agent)
    form = await request.form()
    definitions = await service.list_attribute_definitions(session=session, workspace_id=user.principal.workspace_id)
    payload = form_to_payload(form, [d.key for d in definitions])
    try:
        data = ContactCreate.model_validate(payload)
        contact = await service.do_create_contact(
            session=session, workspace_id=user.principal.workspace_id, data=data, actor=user.principal.label
        )
    except ValidationError as exc:
        return await _form_page(request, session, user, values=dict(form), errors=errors_from_pydantic(exc.errors()))
    except DomainError as exc:
        await session.rollback()
        return await _form_page(request, session, user, values=dict(form), errors=exc.errors)
    await session.commit()
    return redirect_with_notice(f"/contacts/{contact.id}", "Contact created.")


async def _timeline(session: DbSession, contact: Contact) -> list[TimelineEntry]:
    orders_and_stages = await commerce_service.timeline_entries(
        session=session, workspace_id=contact.workspace_id, contact_id=contact.id
    )
    return await timeline.list_timeline(session=session, contact=contact, extra=orders_and_stages)


async def _contact_page(
    request: Request,
    session: DbSession,
    user: ConsoleUser,
    contact_id: int,
    *,
    error: FieldError | None = None,
    merge_error: FieldError | None = None,
    erase_error: str | None = None,
    owner_error: FieldError | None = None,
    typed_other: str = "",
    typed_duplicate: str = "",
) -> Any:
    workspace_id = user.principal.workspace_id
    contact = await service.get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    orders = await profile.latest_orders(
        session=session, workspace_id=workspace_id, contact_id=contact.id, limit=LATEST_ORDERS
    )
    definitions = await service.attribute_definitions_by_key(session=session, workspace_id=workspace_id)
    figures = await commerce_service.get_figures(session=session, workspace_id=workspace_id, contact_id=contact.id)
    return render(
        request,
        "pages/contact.html",
        figures=figures,
        success=await profile.success_view(session=session, contact=contact, currency=figures.currency),
        **await _owner_context(session, contact, owner_error),
        orders=await commerce_service.to_reads(session=session, orders=orders),
        status_code=422 if (error or merge_error or erase_error or owner_error) else 200,
        user=user,
        contact=contact,
        attributes=profile.shown_attributes(contact, definitions),
        relationships=await timeline.relationships_of(session=session, contact=contact),
        entries=await _timeline(session, contact),
        error=error,
        merge_error=merge_error,
        erase_error=erase_error,
        typed_other=typed_other,
        typed_duplicate=typed_duplicate,
        **CHOICES,
    )


async def _owner_context(session: DbSession, contact: Contact, owner_error: FieldError | None) -> dict[str, Any]:
    owner = await owners.get_owner_or_none(session=session, contact=contact)
    return {
        "owner": owner,
        "owner_choices": await profile.owner_choices(session=session, workspace_id=contact.workspace_id),
        "owner_error": owner_error,
    }


@router.get("/contacts/{contact_id}")
async def contact_page(request: Request, contact_id: PathId, session: DbSession, user: ConsoleAgent) -> Any:
    return await _contact_page(request, session, user, contact_id)


@router.get("/contacts/{contact_id}/edit")
async def edit_contact_form(request: Request, contact_id: PathId, session: DbSession, user: ConsoleAgent) -> Any:
    contact = await service.get_contact(
        session=session, workspace_id=user.principal.workspace_id, contact_id=contact_id
    )
    state = service.snapshot(contact)
    values = {
        **{key: value for key, value in state.items() if not isinstance(value, list | dict)},
        "emails": "\n".join(state["emails"]),
        "phones": "\n".join(state["phones"]),
        "tags": ", ".join(state["tags"]),
        "roles": state["roles"],
        **{
            f"attributes.{key}": str(value).lower() if isinstance(value, bool) else value
            for key, value in state["attributes"].items()
        },
    }
    return await _form_page(request, session, user, values=values, contact_id=contact_id)


@router.post("/contacts/{contact_id}/edit")
async def update_contact(request: Request, contact_id: PathId, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.agent)
    form = await request.form()
    definitions = await service.list_attribute_definitions(session=session, workspace_id=user.principal.workspace_id)
    payload = form_to_payload(form, [d.key for d in definitions])
    values = {**dict(form), "roles": form.getlist("roles")}
    try:
        patch = ContactUpdate.model_validate(payload)
        await service.do_update_contact(
            session=session,
            workspace_id=user.principal.workspace_id,
            contact_id=contact_id,
            patch=patch,
            actor=user.principal.label,
        )
    except ValidationError as exc:
        errors = errors_from_pydantic(exc.errors())
        return await _form_page(request, session, user, values=values, errors=errors, contact_id=contact_id)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        await session.rollback()
        return await _form_page(request, session, user, values=values, errors=exc.errors, contact_id=contact_id)
    await session.commit()
    return redirect_with_notice(f"/contacts/{contact_id}", "Changes saved.")


@router.post("/contacts/{contact_id}/owner")
async def set_owner(request: Request, contact_id: PathId, session: DbSession, user: FormAgent) -> Any:
    """The owner select of the contact page: HTMX swaps the owner block (and the timeline, out of band)."""
    user.principal.require(Role.agent)
    contact = await service.get_contact(
        session=session, workspace_id=user.principal.workspace_id, contact_id=contact_id
    )
    raw = str((await request.form()).get("owner_id", "")).strip()
    owner_id = parse_id(raw) if raw else None
    error: FieldError | None = None
    if raw and owner_id is None:
        error = FieldError("owner_id", "choose an agent from the list")
    else:
        try:
            if await owners.do_set_owner(
                session=session, contact=contact, owner_id=owner_id, actor=user.principal.label
            ):
                await service.emit_contacts(
                    session=session, workspace_id=contact.workspace_id, event_type="contact.updated", contacts=[contact]
                )
        except DomainError as exc:
            error = exc.errors[0] if exc.errors else FieldError("owner_id", exc.detail)
    if error is not None:
        await session.rollback()
        contact = await service.get_contact(
            session=session, workspace_id=user.principal.workspace_id, contact_id=contact_id
        )
    else:
        await session.commit()
    if not request.headers.get("HX-Request"):
        if error is not None:
            return await _contact_page(request, session, user, contact_id, owner_error=error)
        return RedirectResponse(f"/contacts/{contact_id}", status_code=303)
    return render(
        request,
        "partials/contact_owner.html",  # 200 even with an error: HTMX swaps only successful responses
        user=user,
        contact=contact,
        entries=await _timeline(session, contact),
        swap_timeline=error is None,
        **await _owner_context(session, contact, error),
    )


@router.post("/contacts/{contact_id}/notes")
async def add_note(request: Request, contact_id: PathId, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.agent)
    contact = await service.get_contact(
        session=session, workspace_id=user.principal.workspace_id, contact_id=contact_id
    )
    body = str((await request.form()).get("body", "")).strip()
    if body:
        await timeline.do_add_note(session=session, contact=contact, body=body[:20000], author=user.principal.label)
        await session.commit()
    if request.headers.get("HX-Request"):
        entries = await _timeline(session, contact)
        return render(request, "partials/timeline.html", user=user, contact=contact, entries=entries)
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)


@router.post("/contacts/{contact_id}/relationships")
async def add_relationship(request: Request, contact_id: PathId, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.agent)
    workspace_id = user.principal.workspace_id
    contact = await service.get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    form = await request.form()
    typed = str(form.get("to_contact_id_text", ""))[:300]
    try:
        picked = await picker.resolve_picked_contact(
            session=session,
            workspace_id=workspace_id,
            picked_id=str(form.get("to_contact_id", "")),
            typed=typed,
            field="to_contact_id",
        )
        data = RelationshipCreate.model_validate(
            {"kind": form.get("kind"), "to_contact_id": picked.id if picked is not None else None}
        )
        other = await service.get_referenced_contact(
            session=session, workspace_id=workspace_id, contact_id=data.to_contact_id, field="to_contact_id"
        )
        await timeline.do_add_relationship(
            session=session, contact=contact, other=other, data=data, actor=user.principal.label
        )
    except ValidationError as exc:
        error = errors_from_pydantic(exc.errors())[0]
        if error["field"] == "to_contact_id":
            error = FieldError("to_contact_id", "choose the other contact")
        return await _contact_page(request, session, user, contact_id, error=error, typed_other=typed)
    except DomainError as exc:
        await session.rollback()
        error = FieldError("to_contact_id", exc.detail)
        return await _contact_page(request, session, user, contact_id, error=error, typed_other=typed)
    await session.commit()
    return redirect_with_notice(f"/contacts/{contact_id}", f"Relationship with {other.name} added.")


@router.post("/contacts/{contact_id}/merge")
async def merge_duplicate(request: Request, contact_id: PathId, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.agent)
    workspace_id = user.principal.workspace_id
    target = await service.get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    form = await request.form()
    typed = str(form.get("duplicate_id_text", ""))[:300]
    try:
        picked = await picker.resolve_picked_contact(
            session=session,
            workspace_id=workspace_id,
            picked_id=str(form.get("duplicate_id", "")),
            typed=typed,
            field="duplicate_id",
        )
        data = MergeRequest.model_validate({"duplicate_id": picked.id if picked is not None else None})
        duplicate = await service.get_referenced_contact(
            session=session, workspace_id=workspace_id, contact_id=data.duplicate_id, field="duplicate_id"
        )
        await merge.do_merge_contacts(session=session, target=target, duplicate=duplicate, actor=user.principal.label)
    except ValidationError as exc:
        error = errors_from_pydantic(exc.errors())[0]
        if error["field"] == "duplicate_id":
            error = FieldError("duplicate_id", "choose the duplicate contact")
        return await _contact_page(request, session, user, contact_id, merge_error=error, typed_duplicate=typed)
    except DomainError as exc:
        await session.rollback()
        error = FieldError("duplicate_id", exc.detail)
        return await _contact_page(request, session, user, contact_id, merge_error=error, typed_duplicate=typed)
    await session.commit()
    return redirect_with_notice(f"/contacts/{contact_id}", "Contacts merged: the duplicate is now part of this one.")


@router.get("/contacts/{contact_id}/export")
async def export_personal_data(contact_id: PathId, session: DbSession, user: ConsoleAgent) -> Any:
    user.principal.require(Role.admin)
    contact = await service.get_contact(
        session=session, workspace_id=user.principal.workspace_id, contact_id=contact_id
    )
    document = await privacy.export_contact(session=session, contact=contact)
    return JSONResponse(
        document, headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}-export.json"'}
    )


@router.post("/contacts/{contact_id}/erase")
async def erase_contact(request: Request, contact_id: PathId, session: DbSession, user: FormAgent) -> Any:
    user.principal.require(Role.admin)
    contact = await service.get_contact(
        session=session, workspace_id=user.principal.workspace_id, contact_id=contact_id
    )
    form = await request.form()
    if form.get("confirm") != contact.name:
        return await _contact_page(
            request, session, user, contact_id, erase_error="Type the contact's name exactly to confirm the erasure."
        )
    reason = str(form.get("reason", "")).strip()[:500] or None
    await privacy.do_erase_contact(session=session, contact=contact, actor=user.principal.label, reason=reason)
    await session.commit()
    return redirect_with_notice("/contacts", "The contact and their personal data are erased.")
