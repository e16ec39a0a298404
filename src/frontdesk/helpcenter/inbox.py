"""The help center in the inbox: suggested articles beside a conversation, article links in the composer, and
an agent's reply turned into a draft article."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from frontdesk.deps import DbSession, PathId
from frontdesk.helpcenter import addresses, centers, search, slugs, suggestions
from frontdesk.web.console import ConsoleAgent, FormAgent, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)
LINK_RESULTS = 8


def _link(site: addresses.Site, hit: search.SearchHit) -> dict[str, Any]:
    url = site.article_url(hit.locale, hit.slug)  # absolute, since it is pasted into a chat
    return {
        "article_id": hit.article_id,
        "locale": hit.locale,
        "title": hit.title,
        "url": url,
        "snippet_html": hit.snippet_html,
        "text": f"{hit.title}: {url}",  # what "Insert link" puts into the reply
    }


@router.get("/console/inbox/{conversation_id}/help-suggestions")
async def help_suggestions(request: Request, conversation_id: PathId, session: DbSession, user: ConsoleAgent) -> Any:
    """Articles answering the visitor's opening question (an HTMX fragment for the context column)."""
    workspace_id = user.principal.workspace_id
    found = await suggestions.suggest_for_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    site = await addresses.workspace_site(request, session, workspace_id)
    return render(
        request,
        "partials/help_suggestions.html",
        user=user,
        question=found.question,
        articles=[_link(site, hit) for hit in found.hits],
    )


@router.get("/console/help/link-search")
async def link_search(
    request: Request,
    session: DbSession,
    user: ConsoleAgent,
    q: Annotated[str, Query(max_length=search.MAX_QUERY)] = "",
    locale: Annotated[str, Query(max_length=10)] = "",
) -> JSONResponse:
    """Published articles for the composer's "Help article" menu: title, public address, snippet."""
    workspace_id = user.principal.workspace_id
    if locale:
        slugs.check_locale(locale)
    else:
        locale = (await centers.get_help_center(session=session, workspace_id=workspace_id)).default_locale
    links: list[dict[str, Any]] = []
    if q.strip():
        found = await search.search_articles(
            session=session, workspace_id=workspace_id, locale=locale, query=q, limit=LINK_RESULTS
        )
        site = await addresses.workspace_site(request, session, workspace_id)
        links = [_link(site, hit) for hit in found.hits]
    return JSONResponse({"query": q, "locale": locale, "items": links}, headers={"Cache-Control": "no-store"})


@router.post("/console/inbox/{conversation_id}/messages/{message_id}/article")
async def reply_to_article(
    conversation_id: PathId, message_id: PathId, session: DbSession, user: FormAgent
) -> Response:
    """One click: the reply becomes a draft article, opened in the editor for an editor to polish."""
    user.principal.require(Role.editor)
    draft = await suggestions.do_reply_to_article(
        session=session,
        workspace_id=user.principal.workspace_id,
        conversation_id=conversation_id,
        message_id=message_id,
        by=user.principal,
    )
    await session.commit()
    return RedirectResponse(f"/console/help/articles/{draft.article_id}/{draft.locale}", status_code=303)
