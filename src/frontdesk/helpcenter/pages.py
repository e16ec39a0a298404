"""The help center's console pages: the article list, a new article, collections and settings.

Agents and above read every page (the issue: "agents read drafts"); editors and admins write; the settings are
for admins. Viewers do not see the help center's console (it holds unpublished drafts). Every POST checks the
role itself: a form hidden from a reader is no protection. The editor, history and images are in
``editor_pages`` (included here: app.py registers this router only).
"""

from __future__ import annotations

import re
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.inbox_time import agent_time_zone, localtime
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError
from frontdesk.helpcenter import addresses, centers, editor_pages, help_collections, listing, service
from frontdesk.helpcenter.console_common import BASE, editor_url, field_of, form_of, reader, writer
from frontdesk.helpcenter.models import LANGUAGES, HelpArticle, HelpTranslation
from frontdesk.inputs import parse_id
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.workspaces.models import Role, Workspace

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
STATUS_NAMES = {"draft": "Draft", "published": "Published", "changed": "Published with changes"}


def collection_name(names: dict[str, str], locale: str) -> str:
    return names.get(locale) or next(iter(names.values()), "")


async def _public_home(request: Request, session: AsyncSession, workspace_id: int) -> str:
    """Where the public reads this help center: its custom domain when it has one."""
    site = await addresses.workspace_site(request, session, workspace_id)
    return site.absolute(site.path())


# The article list ---------------------------------------------------------------------------------------------
@router.get(BASE)
async def articles_page(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    reader(user)
    workspace_id = user.principal.workspace_id
    query = request.query_params
    locale = query.get("locale") if query.get("locale") in LANGUAGES else None
    status = query.get("status") if query.get("status") in STATUS_NAMES else None
    collection_id = parse_id(query.get("collection", ""))
    text = query.get("q", "")[:200]
    page = max(1, min(parse_id(query.get("page", "")) or 1, 10_000))
    rows, total = await listing.list_translations(
        session=session,
        workspace_id=workspace_id,
        locale=locale,
        collection_id=collection_id,
        status=cast(Any, status),
        title_contains=text,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    article_ids = {row.article_id for row in rows}
    articles = {a.id: a for a in await session.scalars(select(HelpArticle).where(HelpArticle.id.in_(article_ids)))}
    versions: dict[int, list[HelpTranslation]] = {}
    for version in await session.scalars(
        select(HelpTranslation).where(HelpTranslation.article_id.in_(article_ids)).order_by(HelpTranslation.locale)
    ):
        versions.setdefault(version.article_id, []).append(version)
    collections = await help_collections.list_collections(session=session, workspace_id=workspace_id)
    zone = await agent_time_zone(session=session, agent_id=user.agent_id)
    filters = {"locale": locale or "", "status": status or "", "collection": str(collection_id or ""), "q": text}
    return render(
        request,
        "pages/help_articles.html",
        user=user,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        articles=articles,
        versions=versions,
        collections={c.id: c for c in collections},
        collection_name=collection_name,
        languages=LANGUAGES,
        status_names=STATUS_NAMES,
        status_of=service.article_status,
        when=lambda value: localtime(value, zone),
        zone=zone,
        actor_name=editor_pages.actor_name,
        public_url=await _public_home(request, session, workspace_id),
    )


# A new article --------------------------------------------------------------------------------------------------
async def _new_page(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    typed: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    collections = await help_collections.list_collections(session=session, workspace_id=user.principal.workspace_id)
    return render(
        request,
        "pages/help_new.html",
        status_code=status_code,
        user=user,
        typed=typed,
        errors=errors,
        collections=collections,
        collection_name=collection_name,
        languages=LANGUAGES,
    )


@router.get(f"{BASE}/articles/new")
async def new_article_page(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    writer(user)
    typed = {"locale": request.query_params.get("locale", "en"), "title": "", "collection_id": ""}
    return await _new_page(request, session, user, typed, {})


@router.post(f"{BASE}/articles")
async def create_article(request: Request, session: DbSession, user: FormAgent) -> Response:
    writer(user)
    form = await form_of(request)
    typed = {key: form.get(key, "") for key in ("locale", "title", "collection_id")}
    try:
        created = await service.do_create_article(
            session=session,
            workspace_id=user.principal.workspace_id,
            by=user.principal,
            locale=typed["locale"],
            title=typed["title"],
            collection_id=parse_id(typed["collection_id"]),
        )
    except DomainError as exc:
        await session.rollback()
        errors = {field_of(exc, "title"): exc.detail}
        status_code = 422 if exc.status_code == 404 else exc.status_code  # a collection gone meanwhile
        return await _new_page(request, session, user, typed, errors, status_code=status_code)
    await session.commit()
    return redirect_with_notice(editor_url(created.article_id, created.locale), "Article created as a draft.")


# Collections ----------------------------------------------------------------------------------------------------
async def _collections_page(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    errors: dict[str, str] | None = None,
    editing: int | None = None,
    status_code: int = 200,
) -> Response:
    collections = await help_collections.list_collections(session=session, workspace_id=user.principal.workspace_id)
    return render(
        request,
        "pages/help_collections.html",
        status_code=status_code,
        user=user,
        collections=collections,
        languages=LANGUAGES,
        errors=errors or {},
        editing=editing,
    )


def _collection_fields(form: dict[str, str]) -> dict[str, Any]:
    position = form.get("position", "").strip()
    return {
        "names": {locale: form.get(f"name_{locale}", "") for locale in LANGUAGES},
        "descriptions": {locale: form.get(f"description_{locale}", "") for locale in LANGUAGES},
        "slug": form.get("slug", "").strip() or None,
        "position": int(position) if re.fullmatch(r"\d{1,6}", position) else None,
    }


@router.get(f"{BASE}/collections")
async def collections_page(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    reader(user)
    return await _collections_page(request, session, user)


@router.post(f"{BASE}/collections")
async def create_collection(request: Request, session: DbSession, user: FormAgent) -> Response:
    writer(user)
    try:
        fields = _collection_fields(await form_of(request))
        await help_collections.do_create_collection(session=session, workspace_id=user.principal.workspace_id, **fields)
    except DomainError as exc:
        await session.rollback()
        errors = {"new." + field_of(exc, "names"): exc.detail}
        return await _collections_page(request, session, user, errors, status_code=exc.status_code)
    await session.commit()
    return redirect_with_notice(f"{BASE}/collections", "Collection created.")


@router.post(f"{BASE}/collections/{{collection_id}}")
async def update_collection(request: Request, collection_id: PathId, session: DbSession, user: FormAgent) -> Response:
    writer(user)
    try:
        fields = _collection_fields(await form_of(request))
        await help_collections.do_update_collection(
            session=session, workspace_id=user.principal.workspace_id, collection_id=collection_id, **fields
        )
    except DomainError as exc:
        await session.rollback()
        if exc.status_code == 404:
            raise
        errors = {f"{collection_id}.{field_of(exc, 'names')}": exc.detail}
        return await _collections_page(request, session, user, errors, collection_id, status_code=exc.status_code)
    await session.commit()
    return redirect_with_notice(f"{BASE}/collections", "Collection saved.")


@router.post(f"{BASE}/collections/{{collection_id}}/move")
async def move_collection(request: Request, collection_id: PathId, session: DbSession, user: FormAgent) -> Response:
    """Up or down one place: the collections are numbered again in their order, with this one swapped."""
    writer(user)
    workspace_id = user.principal.workspace_id
    await help_collections.get_collection(session=session, workspace_id=workspace_id, collection_id=collection_id)
    ordered = await help_collections.list_collections(session=session, workspace_id=workspace_id)
    index = next(i for i, c in enumerate(ordered) if c.id == collection_id)
    other = index - 1 if (await form_of(request)).get("direction") == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, collection in enumerate(ordered):
        collection.position = position
    await session.commit()
    return redirect_with_notice(f"{BASE}/collections", "Order saved.")


@router.post(f"{BASE}/collections/{{collection_id}}/delete")
async def delete_collection(collection_id: PathId, session: DbSession, user: FormAgent) -> Response:
    writer(user)
    await help_collections.do_delete_collection(
        session=session, workspace_id=user.principal.workspace_id, collection_id=collection_id
    )
    await session.commit()
    return redirect_with_notice(f"{BASE}/collections", "Collection deleted; its articles are now without one.")


# Settings (admins) ------------------------------------------------------------------------------------------------
async def _settings_page(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    workspace_id = user.principal.workspace_id
    center = await centers.get_help_center(session=session, workspace_id=workspace_id)
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    shown = typed or {
        "title": center.title,
        "intro": center.intro,
        "default_locale": center.default_locale,
        "is_public": center.is_public,
        "widget_suggestions": center.widget_suggestions,
        "custom_domain": center.custom_domain or "",
        "workspace_slug": workspace.slug,
    }
    return render(
        request,
        "pages/help_settings.html",
        status_code=status_code,
        user=user,
        typed=shown,
        errors=errors or {},
        languages=LANGUAGES,
        public_url=await _public_home(request, session, workspace.id),
        default_title=f"{workspace.name} Help Center",
    )


@router.get(f"{BASE}/settings")
async def settings_page(request: Request, session: DbSession, user: ConsoleAgent) -> Response:
    user.principal.require(Role.admin)
    return await _settings_page(request, session, user)


@router.post(f"{BASE}/settings")
async def save_settings(request: Request, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.admin)
    form = await form_of(request)
    typed: dict[str, Any] = {
        key: form.get(key, "") for key in ("title", "intro", "default_locale", "custom_domain", "workspace_slug")
    }
    typed["is_public"] = form.get("is_public") == "on"
    typed["widget_suggestions"] = form.get("widget_suggestions") == "on"
    workspace_id = user.principal.workspace_id
    try:
        await centers.do_update_help_center(
            session=session,
            workspace_id=workspace_id,
            title=typed["title"],
            intro=typed["intro"],
            default_locale=typed["default_locale"],
            is_public=typed["is_public"],
            widget_suggestions=typed["widget_suggestions"],
            custom_domain=typed["custom_domain"],
        )
        await centers.do_change_workspace_slug(session=session, workspace_id=workspace_id, slug=typed["workspace_slug"])
    except DomainError as exc:
        await session.rollback()
        errors = {field_of(exc, "title"): exc.detail}
        return await _settings_page(request, session, user, typed, errors, status_code=exc.status_code)
    await session.commit()
    address = await _public_home(request, session, workspace_id)
    return redirect_with_notice(f"{BASE}/settings", f"Settings saved. The help center's address is {address}.")


router.include_router(editor_pages.router)
