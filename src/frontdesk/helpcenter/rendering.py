"""The published copy's HTML: the Markdown rendered with links to other articles at their current addresses.

Separate from ``service`` because links make rendering reach beyond one article: a published version is
rendered again when an article it links to, or the workspace, changes address (``do_rerender_published``,
called by ``service`` and ``centers``), from the body it was published with, not its working copy.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.helpcenter.markdown import html_to_text, linked_article_ids, render_html
from frontdesk.helpcenter.models import HelpRevision, HelpTranslation
from frontdesk.helpcenter.slugs import article_path
from frontdesk.workspaces.models import Workspace


async def _link_targets(session: AsyncSession, workspace_id: int, locale: str, body: str) -> dict[int, str]:
    """The public address of each published article ``body`` links to, in ``locale`` (only those it names)."""
    wanted = linked_article_ids(body)
    if not wanted:
        return {}
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    rows = await session.execute(
        select(HelpTranslation.article_id, HelpTranslation.slug).where(
            HelpTranslation.workspace_id == workspace_id,
            HelpTranslation.locale == locale,
            HelpTranslation.published_at.is_not(None),
            HelpTranslation.article_id.in_(wanted),
        )
    )
    return {article_id: article_path(workspace.slug, locale, slug) for article_id, slug in rows}


async def render_published_copy(session: AsyncSession, translation: HelpTranslation, body: str) -> None:
    """Sets the published HTML and text of ``translation`` from the Markdown ``body`` (its working copy when it is
    published, the published body when rendered again)."""
    links = await _link_targets(session, translation.workspace_id, translation.locale, body)
    # An article may link to itself (a section of it), published for the first time by this very render.
    workspace = await session.get(Workspace, translation.workspace_id)
    assert workspace is not None
    links[translation.article_id] = article_path(workspace.slug, translation.locale, translation.slug)
    html = render_html(body, links.get)
    translation.published_html = html
    translation.published_text = html_to_text(html)


async def do_rerender_published(*, session: AsyncSession, workspace_id: int, linking_to: int | None = None) -> int:
    """Renders published versions again from the body they were published with, so their links point at current
    addresses: all of them (the workspace's address changed), or those linking to article ``linking_to`` (its
    address changed). Returns how many were rendered."""
    last_published = (
        select(HelpRevision.translation_id, func.max(HelpRevision.number).label("number"))
        .where(HelpRevision.workspace_id == workspace_id, HelpRevision.action == "published")
        .group_by(HelpRevision.translation_id)
        .subquery()
    )
    rows = await session.execute(
        select(HelpTranslation, HelpRevision.body)
        .join(last_published, last_published.c.translation_id == HelpTranslation.id)
        .join(
            HelpRevision,
            (HelpRevision.translation_id == HelpTranslation.id) & (HelpRevision.number == last_published.c.number),
        )
        .where(HelpTranslation.workspace_id == workspace_id, HelpTranslation.published_at.is_not(None))
    )
    rendered = 0
    for translation, body in rows.all():
        if linking_to is None or linking_to in linked_article_ids(body):
            await render_published_copy(session, translation, body)
            rendered += 1
    await session.flush()
    return rendered
