"""The help center in the REST API (/api/v1/help/…): articles, their language versions, publishing, search.

Reads need the agent role (agents read drafts, to answer with them); writes need the editor role or admin.
The public reads published articles on the public help center, not here. Searches made here are an
integration's, not a visitor's: they are not logged for the help center reports. Collections' routes are in
``api_collections`` (same prefix and tag).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from frontdesk.deps import Agent, DbSession, HelpEditor, PathId
from frontdesk.helpcenter import addresses, centers, history, listing, search, service, slugs
from frontdesk.helpcenter.models import HelpArticle, HelpRevision, HelpTranslation
from frontdesk.helpcenter.schemas import (
    ArticleCreate,
    ArticleListItem,
    ArticlePage,
    ArticleRead,
    ArticleStatus,
    ArticleUpdate,
    PublishedCopy,
    RevisionRead,
    SearchHitRead,
    SearchResultsRead,
    TranslationCreate,
    TranslationRead,
    TranslationSummary,
    TranslationUpdate,
)
from frontdesk.inputs import IdRef

router = APIRouter(prefix="/api/v1/help", tags=["help center"])
# Reads: an agent (drafts included). "Agent" is the project's name for the agent role in the API (deps).
Reader = Agent
Limit = Annotated[int, Query(ge=1, le=listing.MAX_ARTICLES_PAGE)]
Cursor = Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")]
LocalePath = Annotated[str, Path(min_length=2, max_length=10, description="A language code: en or de")]
RevisionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _summary(translation: HelpTranslation) -> TranslationSummary:
    return TranslationSummary(
        locale=translation.locale,
        slug=translation.slug,
        status=service.article_status(translation),
        title=translation.title,
        updated_at=translation.updated_at,
        published_at=translation.published_at,
    )


def _translation(site: addresses.Site, translation: HelpTranslation) -> TranslationRead:
    published = None
    url = None
    if translation.published_at is not None:
        published = PublishedCopy(
            title=translation.published_title or "",
            description=translation.published_description or "",
            html=translation.published_html or "",
            published_at=translation.published_at,
        )
        url = site.article_url(translation.locale, translation.slug)
    return TranslationRead(
        **_summary(translation).model_dump(),
        id=translation.id,
        article_id=translation.article_id,
        description=translation.description,
        body=translation.body,
        published=published,
        url=url,
        updated_by=translation.updated_by,
        created_at=translation.created_at,
    )


async def _article(request: Request, session: DbSession, article: HelpArticle) -> ArticleRead:
    site = await addresses.workspace_site(request, session, article.workspace_id)
    translations = await service.translations_of(session=session, article_id=article.id)
    return ArticleRead(
        id=article.id,
        collection_id=article.collection_id,
        position=article.position,
        source_conversation_id=article.source_conversation_id,
        created_at=article.created_at,
        translations=[_translation(site, t) for t in translations],
    )


def _revision(revision: HelpRevision) -> RevisionRead:
    return RevisionRead.model_validate(revision, from_attributes=True)


async def _version(session: DbSession, workspace_id: int, article_id: int, locale: str) -> HelpTranslation:
    await service.get_article(session=session, workspace_id=workspace_id, article_id=article_id)
    return await service.get_translation_in(
        session=session, workspace_id=workspace_id, article_id=article_id, locale=locale
    )


# --- articles ---------------------------------------------------------------------------------------------


@router.get("/articles", response_model=ArticlePage, summary="Articles, newest first, with their language versions")
async def list_articles(
    request: Request,
    session: DbSession,
    principal: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
    locale: Annotated[str | None, Query(min_length=2, max_length=10, description="Having a version in it")] = None,
    status: Annotated[ArticleStatus | None, Query(description="Having a version with this status")] = None,
    collection_id: Annotated[IdRef | None, Query()] = None,
) -> ArticlePage:
    if locale is not None:
        slugs.check_locale(locale)
    rows, next_cursor = await listing.list_articles_with_versions(
        session=session,
        workspace_id=principal.workspace_id,
        limit=limit,
        cursor=cursor,
        locale=locale,
        status=status,
        collection_id=collection_id,
    )
    items = [
        ArticleListItem(
            id=article.id,
            collection_id=article.collection_id,
            position=article.position,
            source_conversation_id=article.source_conversation_id,
            created_at=article.created_at,
            translations=[_summary(t) for t in translations],
        )
        for article, translations in rows
    ]
    return ArticlePage(items=items, next_cursor=next_cursor)


@router.post("/articles", response_model=ArticleRead, status_code=201, summary="Write an article (a draft)")
async def create_article(
    data: ArticleCreate, request: Request, session: DbSession, principal: HelpEditor
) -> ArticleRead:
    translation = await service.do_create_article(
        session=session,
        workspace_id=principal.workspace_id,
        by=principal,
        locale=data.locale,
        title=data.title,
        body=data.body,
        description=data.description,
        collection_id=data.collection_id,
        slug=data.slug,
    )
    await session.commit()
    article = await service.get_article(
        session=session, workspace_id=principal.workspace_id, article_id=translation.article_id
    )
    return await _article(request, session, article)


@router.get("/articles/{article_id}", response_model=ArticleRead, summary="An article with every language version")
async def read_article(article_id: PathId, request: Request, session: DbSession, principal: Reader) -> ArticleRead:
    article = await service.get_article(session=session, workspace_id=principal.workspace_id, article_id=article_id)
    return await _article(request, session, article)


@router.patch("/articles/{article_id}", response_model=ArticleRead, summary="Move an article to a collection")
async def update_article(
    article_id: PathId, data: ArticleUpdate, request: Request, session: DbSession, principal: HelpEditor
) -> ArticleRead:
    article = await service.get_article(session=session, workspace_id=principal.workspace_id, article_id=article_id)
    collection_id = data.collection_id if "collection_id" in data.model_fields_set else article.collection_id
    article = await service.do_move_article(
        session=session,
        workspace_id=principal.workspace_id,
        article_id=article_id,
        collection_id=collection_id,
        position=data.position,
    )
    await session.commit()
    return await _article(request, session, article)


@router.delete("/articles/{article_id}", status_code=204, summary="Delete an article in every language")
async def delete_article(article_id: PathId, session: DbSession, principal: HelpEditor) -> Response:
    await service.do_delete_article(session=session, workspace_id=principal.workspace_id, article_id=article_id)
    await session.commit()
    return Response(status_code=204)


# --- language versions ------------------------------------------------------------------------------------


@router.post(
    "/articles/{article_id}/translations",
    response_model=TranslationRead,
    status_code=201,
    summary="Write the article in another language (a draft with its own slug)",
)
async def add_translation(
    article_id: PathId, data: TranslationCreate, request: Request, session: DbSession, principal: HelpEditor
) -> TranslationRead:
    translation = await service.do_add_translation(
        session=session,
        workspace_id=principal.workspace_id,
        article_id=article_id,
        by=principal,
        locale=data.locale,
        title=data.title,
        body=data.body,
        description=data.description,
        slug=data.slug,
    )
    await session.commit()
    return _translation(await addresses.workspace_site(request, session, principal.workspace_id), translation)


@router.get(
    "/articles/{article_id}/translations/{locale}", response_model=TranslationRead, summary="One language version"
)
async def read_translation(
    article_id: PathId, locale: LocalePath, request: Request, session: DbSession, principal: Reader
) -> TranslationRead:
    translation = await _version(session, principal.workspace_id, article_id, locale)
    return _translation(await addresses.workspace_site(request, session, principal.workspace_id), translation)


@router.patch(
    "/articles/{article_id}/translations/{locale}",
    response_model=TranslationRead,
    summary="Change the working copy (the public sees it once published)",
)
async def update_translation(
    article_id: PathId,
    locale: LocalePath,
    data: TranslationUpdate,
    request: Request,
    session: DbSession,
    principal: HelpEditor,
) -> TranslationRead:
    translation = await _version(session, principal.workspace_id, article_id, locale)
    translation = await service.do_update_translation(
        session=session,
        workspace_id=principal.workspace_id,
        translation_id=translation.id,
        by=principal,
        title=data.title,
        body=data.body,
        description=data.description,
        slug=data.slug,
    )
    await session.commit()
    return _translation(await addresses.workspace_site(request, session, principal.workspace_id), translation)


@router.delete(
    "/articles/{article_id}/translations/{locale}",
    status_code=204,
    summary="Delete one language version (the article goes with its last one)",
)
async def delete_translation(
    article_id: PathId, locale: LocalePath, session: DbSession, principal: HelpEditor
) -> Response:
    translation = await _version(session, principal.workspace_id, article_id, locale)
    await service.do_delete_translation(
        session=session, workspace_id=principal.workspace_id, translation_id=translation.id
    )
    await session.commit()
    return Response(status_code=204)


@router.post(
    "/articles/{article_id}/translations/{locale}/publish",
    response_model=TranslationRead,
    summary="Publish the working copy",
)
async def publish(
    article_id: PathId, locale: LocalePath, request: Request, session: DbSession, principal: HelpEditor
) -> TranslationRead:
    translation = await _version(session, principal.workspace_id, article_id, locale)
    translation = await service.do_publish(
        session=session, workspace_id=principal.workspace_id, translation_id=translation.id, by=principal
    )
    await session.commit()
    return _translation(await addresses.workspace_site(request, session, principal.workspace_id), translation)


@router.post(
    "/articles/{article_id}/translations/{locale}/unpublish",
    response_model=TranslationRead,
    summary="Withdraw from the public (the working copy stays, as a draft)",
)
async def unpublish(
    article_id: PathId, locale: LocalePath, request: Request, session: DbSession, principal: HelpEditor
) -> TranslationRead:
    translation = await _version(session, principal.workspace_id, article_id, locale)
    translation = await service.do_unpublish(
        session=session, workspace_id=principal.workspace_id, translation_id=translation.id, by=principal
    )
    await session.commit()
    return _translation(await addresses.workspace_site(request, session, principal.workspace_id), translation)


@router.get(
    "/articles/{article_id}/translations/{locale}/revisions",
    response_model=list[RevisionRead],
    summary="Who changed what, newest first",
)
async def list_revisions(
    article_id: PathId, locale: LocalePath, session: DbSession, principal: Reader
) -> list[RevisionRead]:
    translation = await _version(session, principal.workspace_id, article_id, locale)
    revisions = await history.list_revisions(
        session=session, workspace_id=principal.workspace_id, translation_id=translation.id
    )
    return [_revision(r) for r in revisions]


@router.post(
    "/articles/{article_id}/translations/{locale}/revisions/{number}/restore",
    response_model=TranslationRead,
    summary="Make the working copy what it was at a revision",
)
async def restore_revision(
    article_id: PathId,
    locale: LocalePath,
    number: RevisionNumber,
    request: Request,
    session: DbSession,
    principal: HelpEditor,
) -> TranslationRead:
    translation = await _version(session, principal.workspace_id, article_id, locale)
    translation = await history.do_restore_revision(
        session=session, workspace_id=principal.workspace_id, translation_id=translation.id, number=number, by=principal
    )
    await session.commit()
    return _translation(await addresses.workspace_site(request, session, principal.workspace_id), translation)


# --- search -----------------------------------------------------------------------------------------------


@router.get(
    "/search",
    response_model=SearchResultsRead,
    summary="Search published articles (not logged as a visitor's search)",
)
async def search_articles(
    request: Request,
    session: DbSession,
    principal: Reader,
    q: Annotated[str, Query(min_length=1, max_length=search.MAX_QUERY)],
    locale: Annotated[str | None, Query(min_length=2, max_length=10, description="Default: the help center's")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResultsRead:
    if locale is None:
        center = await centers.get_help_center(session=session, workspace_id=principal.workspace_id)
        locale = center.default_locale
    slugs.check_locale(locale)
    found = await search.search_articles(
        session=session, workspace_id=principal.workspace_id, locale=locale, query=q, limit=limit
    )
    site = await addresses.workspace_site(request, session, principal.workspace_id)
    return SearchResultsRead(
        query=found.query,
        corrected_query=found.corrected_query,
        total=found.total,
        items=[SearchHitRead.of(hit, site.article_url(hit.locale, hit.slug)) for hit in found.hits],
    )
