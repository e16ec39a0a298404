"""The contacts list of the console: filters, sorting by column, orders and spend, bulk actions, and the
search behind the contact picker of other forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.models import CustomerFigures
from frontdesk.commerce.schemas import from_minor
from frontdesk.contacts import bulk, importer, service, stages
from frontdesk.contacts.models import Audience, Contact, Market
from frontdesk.contacts.picker import SUGGESTIONS, find_contacts, suggestion
from frontdesk.csvsafe import format_row
from frontdesk.deps import DbSession
from frontdesk.errors import DomainError, FieldError, InvalidInput
from frontdesk.inputs import parse_id
from frontdesk.segments import service as segments_service
from frontdesk.segments.rules import AllOf, Rule
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.web.wording import plural
from frontdesk.workspaces import service as workspaces_service
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
MAX_PAGE = 10_000  # offset paging: deeper than this, a filter finds a contact faster than paging does
FILTERS = ("q", "tag", "stage", "audience", "market", "country", "segment", "owner")


@dataclass(frozen=True)
class SortColumn:
    label: str
    expression: Any
    first_direction: str  # what a first click on the header sorts by: names A-Z, figures largest first
    nulls: Any = None  # a column whose NULLs go last in both directions (no order yet)


# Orders and spend come from commerce's per-customer figures (kept by commerce/figures.py when orders
# arrive); a contact without any has none, sorted as 0.
SORTS = {
    "name": SortColumn("Name", Contact.search_name, "asc"),  # folded: "Émile" sorts among the e's
    "created": SortColumn("Created", Contact.created_at, "desc"),
    "orders": SortColumn("Orders", func.coalesce(CustomerFigures.orders, 0), "desc"),
    "spend": SortColumn("Spend", func.coalesce(CustomerFigures.total_spent_minor, 0), "desc"),
    "last_order": SortColumn(
        "Last order", CustomerFigures.last_order_at, "desc", nulls=CustomerFigures.last_order_at.is_(None)
    ),
}
DEFAULT_SORT = ("created", "desc")


@dataclass(frozen=True)
class ContactRow:
    contact: Contact
    orders: int
    spend: Decimal
    last_order_at: datetime | None


def parse_sort(sort: str) -> tuple[str, str]:
    """``name`` sorts A-Z, ``-name`` Z-A; an unknown column (an old or edited link) sorts as by default."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return DEFAULT_SORT
    return key, "desc" if sort.startswith("-") else "asc"


def sort_param(key: str, direction: str) -> str:
    """The ``sort`` value of the URL; empty for the default order, so plain links stay plain."""
    if (key, direction) == DEFAULT_SORT:
        return ""
    return f"-{key}" if direction == "desc" else key


# What the sort menu offers (phones have no column headers to click): (URL value, label).
SORT_CHOICES = [
    ("", "Newest first"),
    ("created", "Oldest first"),
    ("name", "Name A to Z"),
    ("-name", "Name Z to A"),
    ("-orders", "Most orders"),
    ("-spend", "Highest spend"),
    ("-last_order", "Latest order"),
]


async def sorted_rows(
    *, session: AsyncSession, workspace_id: int, filters: service.ContactFilters, sort: str, direction: str, page: int
) -> tuple[list[ContactRow], bool]:
    """One page of the list in the chosen order, ties broken by id in the same direction (a stable order, so
    paging never shows a contact twice or skips one); and whether a next page exists."""
    column = SORTS[sort]
    figures = (CustomerFigures.orders, CustomerFigures.total_spent_minor, CustomerFigures.last_order_at)
    statement = service.filtered(select(Contact, *figures), workspace_id, filters).outerjoin(
        CustomerFigures,
        and_(CustomerFigures.contact_id == Contact.id, CustomerFigures.workspace_id == Contact.workspace_id),
    )
    descending = direction == "desc"
    order = [column.nulls] if column.nulls is not None else []
    order += [column.expression.desc() if descending else column.expression.asc()]
    order += [Contact.id.desc() if descending else Contact.id.asc()]
    result = await session.execute(statement.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    currency = (await get_commerce_settings(session=session, workspace_id=workspace_id)).currency
    rows = [
        ContactRow(contact, orders or 0, from_minor(spent or 0, currency), last)
        for contact, orders, spent, last in result.all()
    ]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def _filters(
    session: DbSession, user: ConsoleUser, query: dict[str, str]
) -> tuple[service.ContactFilters, str | None]:
    rules: list[Rule] = []
    segment_name = None
    if query["segment"]:
        try:
            found, rule = await segments_service.resolve(
                session=session, workspace_id=user.principal.workspace_id, ref=query["segment"]
            )
        except DomainError:
            query["segment"] = ""  # a deleted segment's old link: show everyone rather than an error page
        else:
            rules.append(rule)
            segment_name = found.name
    registry_stage, lifecycle_rule = stages.split(stages.parse(query["stage"]))
    if lifecycle_rule is not None:
        rules.append(lifecycle_rule)
    within = None
    if rules:
        ctx = await segments_service.context(session=session, workspace_id=user.principal.workspace_id)
        within = segments_service.members(rules[0] if len(rules) == 1 else AllOf(tuple(rules)), ctx)
    filters = service.ContactFilters(
        q=query["q"] or None,
        tag=query["tag"] or None,
        country=query["country"] or None,
        stage=registry_stage,
        audience=query["audience"] if query["audience"] in {a.value for a in Audience} else None,
        market=query["market"] if query["market"] in {m.value for m in Market} else None,
        within=within,
        **_owner_filter(query["owner"], user),
    )
    return filters, segment_name


def _owner_filter(owner: str, user: ConsoleUser) -> dict[str, Any]:
    """The owner select of the list: "" anyone, "me", "none" (no owner), or an agent's id."""
    if owner == "none":
        return {"unowned": True}
    if owner == "me":
        return {"owner_id": user.agent_id}
    agent_id = parse_id(owner) if owner else None
    return {"owner_id": agent_id} if agent_id is not None else {}


def list_url(query: dict[str, str], **changes: Any) -> str:
    """The list's URL with ``changes``; empty values are left out so links stay short."""
    merged = {**query, **changes}
    return "/contacts?" + urlencode({key: value for key, value in merged.items() if value not in ("", None)})


@router.get("/contacts")
async def contact_list(
    request: Request,
    session: DbSession,
    user: ConsoleAgent,
    sort: str = "",
    page: str = "",
) -> Any:
    query = {key: str(request.query_params.get(key, ""))[:300] for key in FILTERS}
    filters, segment_name = await _filters(session, user, query)
    sort, direction = parse_sort(sort)
    number = min(parse_id(page) or 1, MAX_PAGE)
    workspace_id = user.principal.workspace_id
    rows, has_next = await sorted_rows(
        session=session, workspace_id=workspace_id, filters=filters, sort=sort, direction=direction, page=number
    )
    total = await service.count_contacts(session=session, workspace_id=workspace_id, filters=filters)
    agents = await workspaces_service.list_agents(session=session, workspace_id=workspace_id)
    state = {**query, "sort": sort_param(sort, direction)}
    template = "partials/contact_results.html" if request.headers.get("HX-Request") else "pages/contacts.html"
    return render(
        request,
        template,
        user=user,
        owners=sorted((agent for agent in agents if agent.is_active), key=lambda agent: agent.display_name.lower()),
        owner_names={agent.id: agent.display_name for agent in agents},
        rows=rows,
        total=total,
        query=query,
        state=state,
        sort=sort,
        direction=direction,
        sorts=SORTS,
        sort_param=sort_param,
        sort_choices=SORT_CHOICES,
        page=number,
        has_next=has_next,
        list_url=list_url,
        segment_name=segment_name,
        filtered=any(query.values()),
        stage_filters=stages.CHOICES,
        audiences=[a.value for a in Audience],
        markets=[m.value for m in Market],
    )


@router.get("/contacts/search.json")
async def contact_suggestions(
    session: DbSession, user: ConsoleAgent, q: str = Query("", max_length=300), exclude: str = ""
) -> JSONResponse:
    """What the contact picker lists while an agent types: this workspace's contacts only."""
    excluded = parse_id(exclude)
    found = await find_contacts(
        session=session, workspace_id=user.principal.workspace_id, text=q, limit=SUGGESTIONS + 1
    )
    return JSONResponse([suggestion(contact) for contact in found if contact.id != excluded][:SUGGESTIONS])


@router.post("/contacts/bulk")
async def bulk_action(request: Request, session: DbSession, user: FormAgent) -> Response:
    """The selection of the list: add a tag, set the owner, or download the selected contacts as CSV."""
    form = await request.form()
    back = str(form.get("back", ""))
    back = back if back.startswith("/contacts") and not back.startswith("//") else "/contacts"
    action = str(form.get("action", ""))
    raw_ids = [str(value) for value in form.getlist("ids")]
    ids = [contact_id for contact_id in map(parse_id, raw_ids) if contact_id is not None]
    workspace_id = user.principal.workspace_id
    try:
        contacts = await bulk.selected_contacts(session=session, workspace_id=workspace_id, ids=ids)
        if not contacts:
            raise InvalidInput("select at least one contact first", field="ids")
        if action == "export":
            return await _export(request, session, workspace_id, [contact.id for contact in contacts])
        user.principal.require(Role.agent)
        if action == "tag":
            tag = str(form.get("tag", "")).strip()[:50]
            added = await bulk.do_add_tag(session=session, contacts=contacts, tag=tag, actor=user.principal.label)
            notice = f"Tag {tag.lower()!r} added to {plural(added, 'contact')}."
        elif action == "owner":
            raw = str(form.get("owner_id", "")).strip()
            owner_id = parse_id(raw) if raw else None
            if raw and owner_id is None:
                raise InvalidInput("choose an agent from the list", field="owner_id")
            changed = await bulk.do_set_owner(
                session=session, contacts=contacts, owner_id=owner_id, actor=user.principal.label
            )
            notice = f"{plural(changed, 'contact')} changed owner."
        else:
            raise InvalidInput("choose what to do with the selected contacts", field="action")
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        await session.rollback()
        error: FieldError = exc.errors[0] if exc.errors else FieldError("ids", exc.detail)
        return redirect_with_notice(back, f"Nothing changed: {error['message']}.")
    await session.commit()
    return redirect_with_notice(back, notice)


async def _export(request: Request, session: AsyncSession, workspace_id: int, ids: list[int]) -> Response:
    await session.close()  # the export reads with short sessions of its own

    async def csv_text() -> Any:
        async for row in importer.export_rows(
            factory=request.app.state.session_factory,
            workspace_id=workspace_id,
            filters=service.ContactFilters(within=ids),
        ):
            yield format_row(row)

    return StreamingResponse(
        csv_text(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="contacts-selection.csv"'},
    )
