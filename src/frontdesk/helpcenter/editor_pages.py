"""The article editor: one language version's working copy, its live preview, publishing, other languages,
the revision history with diffs, and images uploaded into the attachment storage.

Agents open all of it read-only; every POST needs the editor role (checked here, not only hidden in the page).
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from frontdesk.conversations.inbox_time import agent_time_zone, localtime, zone_named
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError, InvalidInput, NotFound
from frontdesk.guard import allow_uploads
from frontdesk.helpcenter import addresses, help_collections, history, images, service
from frontdesk.helpcenter.console_common import BASE, editor_url, field_of, form_of
from frontdesk.helpcenter.markdown import render_html
from frontdesk.helpcenter.models import LANGUAGES, HelpRevision, HelpTranslation
from frontdesk.inputs import parse_id, whole_number
from frontdesk.storage import Storage
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, redirect_with_notice, render
from frontdesk.workspaces.models import Role, Workspace

router = APIRouter(include_in_schema=False)
IMAGE_UPLOAD = allow_uploads(f"{BASE}/images")
MAX_BODY = 100_000
# Room for the multipart framing around an image.
FORM_OVERHEAD_BYTES = 64 * 1024


ACTOR = re.compile(r"^(agent|api_key):\d+ (.+)$", re.DOTALL)


def actor_name(label: str) -> str:
    """``agent:5 Edith`` -> ``Edith``; ``api_key:2 Shop sync`` -> ``Shop sync (API key)``; others as they are."""
    found = ACTOR.match(label)
    if found is None:
        return label
    return found.group(2) + (" (API key)" if found.group(1) == "api_key" else "")


async def _version(session: AsyncSession, user: ConsoleUser, article_id: int, locale: str) -> HelpTranslation:
    if locale not in LANGUAGES:
        raise NotFound(f"unknown language {locale!r}", field="locale")
    return await service.get_translation_in(
        session=session, workspace_id=user.principal.workspace_id, article_id=article_id, locale=locale
    )


def status_line(version: HelpTranslation, zone: str) -> str:
    """``Not public yet``, ``Published 12 March 2026`` or ``Published 12 March 2026, changes not yet published``."""
    if version.published_at is None:
        return "Not public yet"
    published = version.published_at
    day = (published if published.tzinfo else published.replace(tzinfo=UTC)).astimezone(zone_named(zone))
    line = f"Published {day.day} {day:%B %Y}"
    return line + ", changes not yet published" if version.has_unpublished_changes else line


# The editor -----------------------------------------------------------------------------------------------------
async def _editor_page(
    request: Request,
    session: AsyncSession,
    user: ConsoleUser,
    article_id: int,
    locale: str,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    workspace_id = user.principal.workspace_id
    version = await _version(session, user, article_id, locale)
    article = await service.get_article(session=session, workspace_id=workspace_id, article_id=article_id)
    siblings = await service.translations_of(session=session, article_id=article_id)
    collections = await help_collections.list_collections(session=session, workspace_id=workspace_id)
    linkable = list(
        await session.scalars(
            select(HelpTranslation)
            .where(
                HelpTranslation.workspace_id == workspace_id,
                HelpTranslation.locale == locale,
                HelpTranslation.published_at.is_not(None),
                HelpTranslation.article_id != article_id,
            )
            .order_by(HelpTranslation.published_title)
            .limit(500)
        )
    )
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    zone = await agent_time_zone(session=session, agent_id=user.agent_id)
    shown = typed or {
        "title": version.title,
        "slug": version.slug,
        "description": version.description,
        "collection_id": str(article.collection_id or ""),
        "body": version.body,
    }
    return render(
        request,
        "pages/help_editor.html",
        status_code=status_code,
        user=user,
        version=version,
        typed=shown,
        errors=errors or {},
        siblings=siblings,
        missing=[code for code in LANGUAGES if code not in {s.locale for s in siblings}],
        languages=LANGUAGES,
        collections=collections,
        linkable=linkable,
        status=service.article_status(version),
        status_line=status_line(version, zone),
        updated=localtime(version.updated_at, zone),
        actor_name=actor_name,
        zone=zone,
        public_url=await addresses.article_url(request, session, workspace_id, locale, version.slug),
        preview=Markup(render_html(shown["body"], _preview_link(locale))),
        can_write=user.can("editor"),
    )


def _preview_link(locale: str) -> Any:
    # In the preview an internal link opens the other article in the console: the public address is only
    # decided when both are published.
    return lambda article_id: editor_url(article_id, locale)


@router.get(f"{BASE}/articles/{{article_id}}/{{locale}}")
async def editor_page(
    request: Request, article_id: PathId, locale: str, session: DbSession, user: ConsoleAgent
) -> Response:
    user.principal.require(Role.agent)
    return await _editor_page(request, session, user, article_id, locale)


async def _save(session: AsyncSession, user: ConsoleUser, version: HelpTranslation, typed: dict[str, str]) -> None:
    if len(typed["body"]) > MAX_BODY:
        raise InvalidInput(f"an article is at most {MAX_BODY} characters", field="body")
    workspace_id = user.principal.workspace_id
    await service.do_update_translation(
        session=session,
        workspace_id=workspace_id,
        translation_id=version.id,
        by=user.principal,
        title=typed["title"],
        description=typed["description"],
        body=typed["body"],
        slug=typed["slug"].strip() or None,
    )
    collection_id = parse_id(typed["collection_id"])
    article = await service.get_article(session=session, workspace_id=workspace_id, article_id=version.article_id)
    if collection_id != article.collection_id:
        await service.do_move_article(
            session=session, workspace_id=workspace_id, article_id=article.id, collection_id=collection_id
        )


async def _save_then(
    request: Request, session: AsyncSession, user: ConsoleUser, article_id: int, locale: str, publish: bool
) -> Response:
    user.principal.require(Role.editor)
    version = await _version(session, user, article_id, locale)
    form = await form_of(request)
    typed = {key: form.get(key, "") for key in ("title", "slug", "description", "collection_id", "body")}
    try:
        await _save(session, user, version, typed)
        if publish:
            await service.do_publish(
                session=session, workspace_id=user.principal.workspace_id, translation_id=version.id, by=user.principal
            )
    except DomainError as exc:
        await session.rollback()
        field = field_of(exc, "body")
        if exc.status_code == 403 or (exc.status_code == 404 and field != "collection_id"):
            raise
        # A collection that is not (or no longer) there is a wrong choice in the form, not a missing page.
        status_code = 422 if exc.status_code == 404 else exc.status_code
        return await _editor_page(
            request, session, user, article_id, locale, typed, {field: exc.detail}, status_code=status_code
        )
    await session.commit()
    return redirect_with_notice(editor_url(article_id, locale), "Published." if publish else "Saved.")


@router.post(f"{BASE}/articles/{{article_id}}/{{locale}}")
async def save_version(
    request: Request, article_id: PathId, locale: str, session: DbSession, user: FormAgent
) -> Response:
    return await _save_then(request, session, user, article_id, locale, publish=False)


@router.post(f"{BASE}/articles/{{article_id}}/{{locale}}/publish")
async def publish_version(
    request: Request, article_id: PathId, locale: str, session: DbSession, user: FormAgent
) -> Response:
    """Saves what the form holds, then publishes it: the editor publishes what they see."""
    return await _save_then(request, session, user, article_id, locale, publish=True)


@router.post(f"{BASE}/articles/{{article_id}}/{{locale}}/unpublish")
async def unpublish_version(article_id: PathId, locale: str, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.editor)
    version = await _version(session, user, article_id, locale)
    await service.do_unpublish(
        session=session, workspace_id=user.principal.workspace_id, translation_id=version.id, by=user.principal
    )
    await session.commit()
    return redirect_with_notice(editor_url(article_id, locale), "Unpublished: the public no longer sees it.")


@router.post(f"{BASE}/articles/{{article_id}}/{{locale}}/delete")
async def delete_version(article_id: PathId, locale: str, session: DbSession, user: FormAgent) -> Response:
    """Deletes this language version; the article goes with its last one."""
    user.principal.require(Role.editor)
    version = await _version(session, user, article_id, locale)
    workspace_id = user.principal.workspace_id
    await service.do_delete_translation(session=session, workspace_id=workspace_id, translation_id=version.id)
    left = await service.translations_of(session=session, article_id=article_id)
    await session.commit()
    if left:
        notice = f"The {LANGUAGES[locale]} version is deleted."
        return redirect_with_notice(editor_url(article_id, left[0].locale), notice)
    return redirect_with_notice(BASE, "Article deleted.")


@router.post(f"{BASE}/articles/{{article_id}}/versions/new")
async def add_version(request: Request, article_id: PathId, session: DbSession, user: FormAgent) -> Response:
    user.principal.require(Role.editor)
    form = await form_of(request)
    locale = form.get("locale", "")
    workspace_id = user.principal.workspace_id
    article = await service.get_article(session=session, workspace_id=workspace_id, article_id=article_id)
    siblings = await service.translations_of(session=session, article_id=article.id)
    # The new version starts as a copy of the first one, to translate in place.
    source = siblings[0] if siblings else None
    title = form.get("title", "").strip() or (source.title if source else "")
    created = await service.do_add_translation(
        session=session,
        workspace_id=workspace_id,
        article_id=article.id,
        by=user.principal,
        locale=locale,
        title=title,
        body=source.body if source else "",
        description=source.description if source else "",
    )
    await session.commit()
    return redirect_with_notice(
        editor_url(article.id, created.locale), f"{LANGUAGES[created.locale].title()} version added as a draft."
    )


@router.post(f"{BASE}/preview")
async def preview(request: Request, user: FormAgent) -> Response:
    """The body as the public would see it (sanitised by render_html): what the editor's preview pane shows."""
    user.principal.require(Role.agent)
    form = await form_of(request)
    locale = form.get("locale", "en") if form.get("locale") in LANGUAGES else "en"
    body = form.get("body", "")[:MAX_BODY]
    return HTMLResponse(render_html(body, _preview_link(locale)))


# History ----------------------------------------------------------------------------------------------------------
async def _revisions(session: AsyncSession, user: ConsoleUser, version: HelpTranslation) -> list[HelpRevision]:
    return list(
        await history.list_revisions(
            session=session, workspace_id=user.principal.workspace_id, translation_id=version.id
        )
    )


@router.get(f"{BASE}/articles/{{article_id}}/{{locale}}/history")
async def history_page(
    request: Request, article_id: PathId, locale: str, session: DbSession, user: ConsoleAgent
) -> Response:
    user.principal.require(Role.agent)
    version = await _version(session, user, article_id, locale)
    zone = await agent_time_zone(session=session, agent_id=user.agent_id)
    return render(
        request,
        "pages/help_history.html",
        user=user,
        version=version,
        revisions=await _revisions(session, user, version),
        when=lambda value: localtime(value, zone),
        zone=zone,
        editor=editor_url(article_id, locale),
        actor_name=actor_name,
    )


def revision_text(revision: HelpRevision | None) -> list[str]:
    if revision is None:
        return []
    description = [revision.description] if revision.description else []
    return [f"# {revision.title}", *description, "", *revision.body.splitlines()]


def diff_lines(before: HelpRevision | None, after: HelpRevision) -> list[tuple[str, str]]:
    """``(kind, text)`` per line: ``added``, ``removed`` or ``same`` (Jinja escapes the text)."""
    lines: list[tuple[str, str]] = []
    for line in difflib.ndiff(revision_text(before), revision_text(after)):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        lines.append(({"+ ": "added", "- ": "removed"}.get(code, "same"), text))
    return lines


@router.get(f"{BASE}/articles/{{article_id}}/{{locale}}/history/{{number}}")
async def revision_page(
    request: Request, article_id: PathId, locale: str, number: PathId, session: DbSession, user: ConsoleAgent
) -> Response:
    user.principal.require(Role.agent)
    version = await _version(session, user, article_id, locale)
    revisions = await _revisions(session, user, version)
    by_number = {r.number: r for r in revisions}
    revision = by_number.get(number)
    if revision is None:
        raise NotFound(f"revision {number} not found", field="number")
    before = max((r for r in revisions if r.number < number), key=lambda r: r.number, default=None)
    zone = await agent_time_zone(session=session, agent_id=user.agent_id)
    return render(
        request,
        "pages/help_revision.html",
        user=user,
        version=version,
        revision=revision,
        before=before,
        lines=diff_lines(before, revision),
        when=localtime(revision.created_at, zone),
        zone=zone,
        editor=editor_url(article_id, locale),
        can_write=user.can("editor"),
        actor_name=actor_name,
    )


@router.post(f"{BASE}/articles/{{article_id}}/{{locale}}/history/{{number}}/restore")
async def restore_revision(
    article_id: PathId, locale: str, number: PathId, session: DbSession, user: FormAgent
) -> Response:
    user.principal.require(Role.editor)
    version = await _version(session, user, article_id, locale)
    await history.do_restore_revision(
        session=session,
        workspace_id=user.principal.workspace_id,
        translation_id=version.id,
        number=number,
        by=user.principal,
    )
    await session.commit()
    return redirect_with_notice(editor_url(article_id, locale), f"Version {number} restored into the working copy.")


# Images -----------------------------------------------------------------------------------------------------------
@router.post(IMAGE_UPLOAD)
async def upload_image(request: Request, session: DbSession, user: FormAgent) -> Response:
    """An image for an article: answers the Markdown to insert at the cursor (422 with the reason otherwise)."""
    user.principal.require(Role.editor)
    declared = whole_number(request.headers.get("content-length", ""))
    if declared is not None and declared > images.MAX_IMAGE_BYTES + FORM_OVERHEAD_BYTES:
        return JSONResponse({"field": "file", "message": "an image is at most 5 MB"}, status_code=422)
    form = await request.form()
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile):
            raise InvalidInput("choose an image to upload", field="file")
        storage: Storage = request.app.state.storage
        image = await images.do_add_image(
            session=session,
            storage=storage,
            workspace_id=user.principal.workspace_id,
            data=await file.read(images.MAX_IMAGE_BYTES + 1),
            filename=file.filename,
        )
    except InvalidInput as exc:
        await session.rollback()
        return JSONResponse({"field": "file", "message": exc.detail}, status_code=422)
    await session.commit()
    return JSONResponse({"markdown": images.image_markdown(image), "key": image.storage_key}, status_code=201)
