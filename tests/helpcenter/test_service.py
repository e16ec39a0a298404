"""Articles: drafts, language versions with their own slugs, publishing, history, sanitising."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.helpcenter import help_collections, history, service
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle


def _editor(workspace: WorkspaceHandle) -> Principal:
    return Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")


async def test_a_draft_is_published_with_its_history_and_sanitised(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    by = _editor(workspace)
    async with create_session_factory(engine).begin() as session:
        returns = await help_collections.do_create_collection(
            session=session, workspace_id=workspace.id, names={"en": "Returns", "de": "Rücksendungen"}
        )
        draft = await service.do_create_article(
            session=session,
            workspace_id=workspace.id,
            by=by,
            locale="en",
            title="How returns work",
            body="# Returns\n\nSend it back <script>alert(1)</script> [here](javascript:alert(1)).",
            collection_id=returns.id,
        )
        assert draft.slug == "how-returns-work" and service.article_status(draft) == "draft"
        german = await service.do_add_translation(
            session=session,
            workspace_id=workspace.id,
            article_id=draft.article_id,
            by=by,
            locale="de",
            title="So funktionieren Rücksendungen",
            body="Zurückschicken.",
        )
        assert german.slug == "so-funktionieren-rucksendungen"
        with pytest.raises(Conflict):
            await service.do_add_translation(
                session=session, workspace_id=workspace.id, article_id=draft.article_id, by=by, locale="de", title="x"
            )
        assert (
            await service.published_by_slug(session=session, workspace_id=workspace.id, locale="en", slug=draft.slug)
            is None
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=draft.id, by=by)
        assert draft.published_html is not None
        assert "<script" not in draft.published_html and 'href="javascript' not in draft.published_html.lower()
        assert '<h2 id="h-returns">' in draft.published_html
        await service.do_update_translation(
            session=session, workspace_id=workspace.id, translation_id=draft.id, by=by, title="Returns, step by step"
        )
        assert service.article_status(draft) == "changed" and draft.published_title == "How returns work"
        revisions = await history.list_revisions(session=session, workspace_id=workspace.id, translation_id=draft.id)
        assert [(r.number, r.action, r.actor) for r in revisions] == [
            (3, "saved", "Edith Editor"),
            (2, "published", "Edith Editor"),
            (1, "created", "Edith Editor"),
        ]
        await service.do_unpublish(session=session, workspace_id=workspace.id, translation_id=draft.id, by=by)
        assert (
            await service.published_by_slug(session=session, workspace_id=workspace.id, locale="en", slug=draft.slug)
            is None
        )


async def test_bad_input_names_the_field_and_other_workspaces_are_not_found(
    engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    by = _editor(workspace)
    async with create_session_factory(engine).begin() as session:
        with pytest.raises(InvalidInput) as error:
            await service.do_create_article(session=session, workspace_id=workspace.id, by=by, locale="fr", title="x")
        assert error.value.errors[0]["field"] == "locale"
        with pytest.raises(InvalidInput) as error:
            await service.do_create_article(
                session=session, workspace_id=workspace.id, by=by, locale="en", title="x", slug="Not A Slug"
            )
        assert error.value.errors[0]["field"] == "slug"
        article = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="x"
        )
        with pytest.raises(NotFound):
            await service.get_translation(session=session, workspace_id=other_workspace.id, translation_id=article.id)
        assert (await session.get(Workspace, workspace.id)).slug  # type: ignore[union-attr]


async def test_links_follow_an_article_to_its_new_address(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    by = _editor(workspace)
    async with create_session_factory(engine).begin() as session:
        target = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Refund times"
        )
        linking = await service.do_create_article(
            session=session,
            workspace_id=workspace.id,
            by=by,
            locale="en",
            title="Returns",
            body=f"See [refund times](article:{target.article_id}).",
        )
        unrelated = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Gift cards", body="No links."
        )
        for version in (target, linking, unrelated):
            await service.do_publish(session=session, workspace_id=workspace.id, translation_id=version.id, by=by)
        # The working copy changes after publication: the public keeps the published text, with the new link.
        await service.do_update_translation(
            session=session, workspace_id=workspace.id, translation_id=linking.id, by=by, body="Draft text"
        )
        ws = await session.get(Workspace, workspace.id)
        assert ws is not None
        assert f'href="/help/{ws.slug}/en/articles/refund-times"' in (linking.published_html or "")
        await service.do_update_translation(
            session=session, workspace_id=workspace.id, translation_id=target.id, by=by, slug="how-long-refunds-take"
        )
        assert f'href="/help/{ws.slug}/en/articles/how-long-refunds-take"' in (linking.published_html or "")
        assert "Draft text" not in (linking.published_html or "")
        assert await service.published_by_slug(
            session=session, workspace_id=workspace.id, locale="en", slug="how-long-refunds-take"
        )
