"""Search trusts the versions, not the index alone; and its vocabulary keeps only words of indexed versions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.db import create_session_factory
from frontdesk.helpcenter import search, service
from frontdesk.helpcenter.models import HelpTranslation
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle


def _editor(workspace_id: int) -> Principal:
    return Principal(workspace_id=workspace_id, role=Role.editor, label="Edith Editor")


async def _article(
    session: AsyncSession, workspace_id: int, title: str, body: str, *, publish: bool = True
) -> HelpTranslation:
    draft = await service.do_create_article(
        session=session, workspace_id=workspace_id, by=_editor(workspace_id), locale="en", title=title, body=body
    )
    if not publish:
        return draft
    return await service.do_publish(
        session=session, workspace_id=workspace_id, translation_id=draft.id, by=_editor(workspace_id)
    )


async def test_a_stale_index_row_of_another_workspace_or_an_unpublished_version_is_never_found(
    engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        own = await _article(session, workspace.id, "Gift cards", "Gift cards never expire.")
        foreign = await _article(session, other_workspace.id, "Gift cards abroad", "Foreign gift cards.")
        draft = await _article(session, workspace.id, "Gift card draft", "Not yet.", publish=False)
        german = await service.do_add_translation(
            session=session,
            workspace_id=workspace.id,
            article_id=own.article_id,
            by=_editor(workspace.id),
            locale="de",
            title="Gift cards auf Deutsch",
            body="Gift cards.",
        )
        # Rows the index should not hold: each claims to be an English version of the first workspace.
        backend = search._backend(session)
        for stale in (foreign, draft, german):
            await backend.replace_document(
                session,
                translation_id=stale.id,
                workspace_id=workspace.id,
                locale="en",
                language="english",
                title=stale.title,
                body="Gift cards.",
            )
    async with create_session_factory(engine)() as session:
        found = await search.search_articles(
            session=session, workspace_id=workspace.id, locale="en", query="gift cards"
        )
    assert [hit.translation_id for hit in found.hits] == [own.id]


async def test_words_of_withdrawn_or_rewritten_articles_are_no_longer_offered_as_corrections(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine).begin() as session:
        zebrafish = await _article(session, workspace.id, "Zebrafish care", "Feeding your zebrafish daily.")
        axolotl = await _article(session, workspace.id, "Axolotl tanks", "An axolotl needs cold water.")
        await _article(session, workspace.id, "Feeding fish", "Feeding twice daily keeps fish healthy.")

    async def corrected(query: str) -> str | None:
        async with create_session_factory(engine)() as session:
            results = await search.search_articles(session=session, workspace_id=workspace.id, locale="en", query=query)
        return results.corrected_query

    assert await corrected("zebrafsh") == "zebrafish"
    assert await corrected("axolotel") == "axolotl"
    async with create_session_factory(engine).begin() as session:
        await service.do_unpublish(
            session=session, workspace_id=workspace.id, translation_id=zebrafish.id, by=_editor(workspace.id)
        )
        await service.do_update_translation(
            session=session,
            workspace_id=workspace.id,
            translation_id=axolotl.id,
            by=_editor(workspace.id),
            title="Salamander tanks",
            body="A salamander needs cold water.",
        )
        await service.do_publish(
            session=session, workspace_id=workspace.id, translation_id=axolotl.id, by=_editor(workspace.id)
        )
    assert await corrected("zebrafsh") is None
    assert await corrected("axolotel") is None
    assert await corrected("feedng") == "feeding"  # words still published stay
    async with create_session_factory(engine).begin() as session:
        await service.do_delete_translation(session=session, workspace_id=workspace.id, translation_id=axolotl.id)
    assert await corrected("salamandr") is None
