"""The help center's console: editors write, preview, publish and version articles; agents read drafts."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from frontdesk.db import create_session_factory
from frontdesk.helpcenter import help_collections, service
from frontdesk.helpcenter.models import HelpArticle, HelpCollection, HelpImage, HelpTranslation
from frontdesk.storage import configured
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a3c1e1d40000000049454e44ae426082"
)


async def _sign_in(client: httpx.AsyncClient, email: str) -> str:
    client.cookies.clear()
    assert (await login(client, email)).status_code == 303
    return csrf_of((await client.get("/settings")).text)


async def _editor(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    return await _sign_in(client, await workspace.add_agent(Role.editor))


async def _create(client: httpx.AsyncClient, csrf: str, title: str = "How returns work", **fields: str) -> str:
    response = await client.post(
        "/console/help/articles", data={"csrf_token": csrf, "locale": "en", "title": title, **fields}
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def _form(csrf: str, **fields: str) -> dict[str, str]:
    empty = dict.fromkeys(("slug", "description", "collection_id", "body"), "")
    return {"csrf_token": csrf, "title": "How returns work", **empty, **fields}


async def _versions(workspace: WorkspaceHandle) -> list[HelpTranslation]:
    async with create_session_factory(workspace.engine)() as session:
        return list(await session.scalars(select(HelpTranslation).order_by(HelpTranslation.id)))


async def test_an_editor_writes_previews_publishes_and_changes_an_article(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _editor(client, workspace)
    editor = await _create(client, csrf)
    assert re.fullmatch(r"/console/help/articles/\d+/en", editor)
    page = await client.get(editor)
    assert page.status_code == 200 and "Draft" in page.text and "Publish" in page.text

    preview = await client.post(
        "/console/help/preview",
        data={"body": "# Steps\n\n<script>alert(1)</script> [x](javascript:alert(1)) [y](article:7)", "locale": "en"},
        headers={"X-CSRF-Token": csrf},
    )
    assert preview.status_code == 200
    assert '<h2 id="h-steps">Steps</h2>' in preview.text
    assert "<script" not in preview.text and 'href="javascript' not in preview.text
    assert 'href="/console/help/articles/7/en"' in preview.text

    body = "# Steps\n\nPack the parcel and send it back."
    saved = await client.post(editor, data=_form(csrf, body=body, description="Sending things back"))
    assert saved.status_code == 303
    published = await client.post(f"{editor}/publish", data=_form(csrf, body=body, description="Sending things back"))
    assert published.status_code == 303
    [version] = await _versions(workspace)
    assert version.published_at is not None and version.published_html is not None
    assert '<h2 id="h-steps">' in version.published_html
    page = await client.get(editor)
    assert "Published" in page.text and "changes not yet published" not in page.text
    assert f"/articles/{version.slug}" in page.text

    await client.post(editor, data=_form(csrf, title="Returns, step by step", body=body + "\n\nThen wait."))
    page = await client.get(editor)
    assert re.search(r"Published \d{1,2} [A-Z][a-z]+ 20\d\d, changes not yet published", page.text)
    listing = await client.get("/console/help")
    assert "Returns, step by step" in listing.text and "Published with changes" in listing.text
    assert "Agent editor" in listing.text  # who changed it last
    assert "Returns" in (await client.get("/console/help?q=step&status=changed")).text
    assert "No article matches" in (await client.get("/console/help?status=draft")).text
    assert "No article matches" in (await client.get("/console/help?q=nothing-like-it")).text


async def test_history_shows_who_changed_what_and_restores(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _editor(client, workspace)
    editor = await _create(client, csrf)
    await client.post(editor, data=_form(csrf, body="First line\nsecond <b>line</b>"))
    await client.post(editor, data=_form(csrf, body="First line\nthird line"))
    history = await client.get(f"{editor}/history")
    assert history.status_code == 200
    assert re.search(r">3</a></td><td[^>]*>saved</td>\s*<td[^>]*>Agent editor</td>", history.text)
    assert ">created</td>" in history.text
    revision = await client.get(f"{editor}/history/3")
    assert revision.status_code == 200
    assert '<span class="added"><span class="visually-hidden">added: </span>+ third line</span>' in revision.text
    assert "- second &lt;b&gt;line&lt;/b&gt;</span>" in revision.text  # escaped, never markup
    assert (await client.get(f"{editor}/history/9")).status_code == 404

    restored = await client.post(f"{editor}/history/2/restore", data={"csrf_token": csrf})
    assert restored.status_code == 303
    [version] = await _versions(workspace)
    assert version.body == "First line\nsecond <b>line</b>"
    assert ">restored</td>" in (await client.get(f"{editor}/history")).text


async def test_a_german_version_has_its_own_slug_and_delete_keeps_the_other(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _editor(client, workspace)
    editor = await _create(client, csrf)
    article_id = int(editor.split("/")[-2])
    added = await client.post(
        f"/console/help/articles/{article_id}/versions/new",
        data={"csrf_token": csrf, "locale": "de", "title": "So funktionieren Rücksendungen"},
    )
    assert added.status_code == 303 and added.headers["location"] == f"/console/help/articles/{article_id}/de"
    german = await client.get(added.headers["location"])
    assert "so-funktionieren-rucksendungen" in german.text and "English" in german.text
    again = await client.post(
        f"/console/help/articles/{article_id}/versions/new", data={"csrf_token": csrf, "locale": "de", "title": "x"}
    )
    assert again.status_code == 409
    taken = await client.post(f"/console/help/articles/{article_id}/de", data=_form(csrf, title="Rück", slug="x y"))
    assert taken.status_code == 422 and 'id="slug-error"' in taken.text

    deleted = await client.post(f"/console/help/articles/{article_id}/de/delete", data={"csrf_token": csrf})
    assert deleted.headers["location"] == editor
    assert [v.locale for v in await _versions(workspace)] == ["en"]
    gone = await client.post(f"{editor}/delete", data={"csrf_token": csrf})
    assert gone.headers["location"] == "/console/help"
    async with create_session_factory(workspace.engine)() as session:
        assert await session.get(HelpArticle, article_id) is None


async def test_collections_are_created_renamed_ordered_and_deleted(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _editor(client, workspace)
    for en, de in (("Orders", "Bestellungen"), ("Returns", "Rücksendungen")):
        created = await client.post(
            "/console/help/collections", data={"csrf_token": csrf, "name_en": en, "name_de": de, "slug": ""}
        )
        assert created.status_code == 303
    empty = await client.post("/console/help/collections", data={"csrf_token": csrf, "name_en": " "})
    assert empty.status_code == 422 and 'id="new-names-error"' in empty.text
    async with create_session_factory(workspace.engine)() as session:
        _, returns = await session.scalars(select(HelpCollection).order_by(HelpCollection.position))
    clash = await client.post(
        f"/console/help/collections/{returns.id}", data={"csrf_token": csrf, "name_en": "Returns", "slug": "orders"}
    )
    assert clash.status_code == 409 and f'id="{returns.id}-slug-error"' in clash.text
    renamed = await client.post(
        f"/console/help/collections/{returns.id}",
        data={
            "csrf_token": csrf,
            "name_en": "Returns and refunds",
            "name_de": "Rückgabe",
            "description_en": "Money back",
        },
    )
    assert renamed.status_code == 303
    await client.post(f"/console/help/collections/{returns.id}/move", data={"csrf_token": csrf, "direction": "up"})
    page = (await client.get("/console/help/collections")).text
    assert page.index("Returns and refunds") < page.index("Orders") and "Rückgabe" in page

    editor = await _create(client, csrf, collection_id=str(returns.id))
    assert "Returns and refunds" in (await client.get("/console/help")).text
    assert (
        await client.post(f"/console/help/collections/{returns.id}/delete", data={"csrf_token": csrf})
    ).status_code == 303
    async with create_session_factory(workspace.engine)() as session:
        article = await session.get(HelpArticle, int(editor.split("/")[-2]))
        assert article is not None and article.collection_id is None


async def test_settings_validate_the_domain_and_the_address(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    csrf = await _sign_in(client, other_workspace.admin_email)
    form = {"csrf_token": csrf, "title": "", "intro": "", "default_locale": "en", "is_public": "on"}
    assert (await client.get("/console/help/settings")).status_code == 200
    async with create_session_factory(workspace.engine)() as session:
        theirs = await session.get(Workspace, other_workspace.id)
        assert theirs is not None
        taken_slug = theirs.slug
    saved = await client.post(
        "/console/help/settings", data={**form, "custom_domain": "help.other.example", "workspace_slug": taken_slug}
    )
    assert saved.status_code == 303

    csrf = await _sign_in(client, workspace.admin_email)
    form["csrf_token"] = csrf
    bad = await client.post(
        "/console/help/settings", data={**form, "custom_domain": "https://help.acme.example/", "workspace_slug": "acme"}
    )
    assert bad.status_code == 422 and 'id="custom_domain-error"' in bad.text
    clash = await client.post(
        "/console/help/settings", data={**form, "custom_domain": "HELP.other.example", "workspace_slug": "acme"}
    )
    assert clash.status_code == 409 and 'id="custom_domain-error"' in clash.text
    slug_clash = await client.post(
        "/console/help/settings", data={**form, "custom_domain": "", "workspace_slug": taken_slug}
    )
    assert slug_clash.status_code == 409 and 'id="workspace_slug-error"' in slug_clash.text
    bad_slug = await client.post(
        "/console/help/settings", data={**form, "custom_domain": "", "workspace_slug": "Acme Shop"}
    )
    assert bad_slug.status_code == 422 and 'id="workspace_slug-error"' in bad_slug.text

    editor_csrf = await _editor(client, workspace)
    editor = await _create(client, editor_csrf)
    await client.post(f"{editor}/publish", data=_form(editor_csrf, body=f"[me](article:{editor.split('/')[-2]})"))
    csrf = await _sign_in(client, workspace.admin_email)
    saved = await client.post(
        "/console/help/settings",
        data={
            **form,
            "csrf_token": csrf,
            "title": "Acme help",
            "custom_domain": "help.acme.example",
            "workspace_slug": "acme-help",
        },
    )
    assert saved.status_code == 303
    page = await client.get("/console/help/settings")
    # The public reads it on its own domain now; the workspace's address still changed (links below).
    assert "The help center&#39;s address is http://help.acme.example/" in page.text
    assert 'value="acme-help"' in page.text
    assert 'value="help.acme.example"' in page.text and 'value="Acme help"' in page.text
    [version] = await _versions(workspace)
    assert (
        version.published_html is not None and "/help/acme-help/en/articles/how-returns-work" in version.published_html
    )

    editor_csrf = await _editor(client, workspace)
    assert (await client.get("/console/help/settings")).status_code == 403
    refused = await client.post(
        "/console/help/settings", data={**form, "csrf_token": editor_csrf, "workspace_slug": "x"}
    )
    assert refused.status_code == 403


async def test_images_are_stored_and_anything_else_is_refused(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _editor(client, workspace)
    headers = {"X-CSRF-Token": csrf}
    uploaded = await client.post(
        "/console/help/images", files={"file": ("parcel label.png", PNG, "image/png")}, headers=headers
    )
    assert uploaded.status_code == 201, uploaded.text
    markdown = uploaded.json()["markdown"]
    key = uploaded.json()["key"]
    assert markdown == f"![parcel label.png](/help-images/{key})"
    assert await configured().get(key) == PNG
    async with create_session_factory(workspace.engine)() as session:
        [image] = await session.scalars(select(HelpImage))
        assert (image.workspace_id, image.content_type, image.size) == (workspace.id, "image/png", len(PNG))

    not_image = await client.post(
        "/console/help/images", files={"file": ("fake.png", b"%PDF-1.4 not an image", "image/png")}, headers=headers
    )
    assert not_image.status_code == 422 and not_image.json()["field"] == "file"
    text = await client.post("/console/help/images", files={"file": ("a.png", b"hello", "image/png")}, headers=headers)
    assert text.status_code == 422
    huge = PNG + b"\0" * (5 * 1024 * 1024)
    too_big = await client.post("/console/help/images", files={"file": ("big.png", huge, "image/png")}, headers=headers)
    assert too_big.status_code == 422 and "5 MB" in too_big.json()["message"]
    async with create_session_factory(workspace.engine)() as session:
        assert len(list(await session.scalars(select(HelpImage)))) == 1


async def test_agents_read_drafts_but_cannot_write_and_viewers_see_nothing(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    csrf = await _editor(client, workspace)
    editor = await _create(client, csrf)
    await client.post(editor, data=_form(csrf, body="A draft only the team sees"))

    csrf = await _sign_in(client, await workspace.add_agent(Role.agent))
    page = await client.get(editor)
    assert page.status_code == 200 and "A draft only the team sees" in page.text
    assert "<fieldset disabled>" in page.text and ">Save</button>" not in page.text
    assert "Help center</a>" in page.text  # in the navigation
    for path in ("/console/help", f"{editor}/history", f"{editor}/history/1", "/console/help/collections"):
        assert (await client.get(path)).status_code == 200, path
    for path in (editor, f"{editor}/publish", f"{editor}/unpublish", f"{editor}/delete", f"{editor}/history/1/restore"):
        response = await client.post(path, data=_form(csrf, body="changed"))
        assert response.status_code == 403, path
    assert (
        await client.post("/console/help/articles", data={"csrf_token": csrf, "locale": "en", "title": "x"})
    ).status_code == 403
    assert (
        await client.post("/console/help/collections", data={"csrf_token": csrf, "name_en": "x"})
    ).status_code == 403
    image = await client.post("/console/help/images", files={"file": ("a.png", PNG)}, headers={"X-CSRF-Token": csrf})
    assert image.status_code == 403
    assert [v.body for v in await _versions(workspace)] == ["A draft only the team sees"]

    await _sign_in(client, await workspace.add_agent(Role.viewer))
    assert (await client.get(editor)).status_code == 403
    assert (await client.get("/console/help")).status_code == 403
    assert "/console/help" not in (await client.get("/settings")).text


async def test_another_workspaces_article_is_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    csrf = await _editor(client, other_workspace)
    theirs = await _create(client, csrf)
    await client.post("/console/help/collections", data={"csrf_token": csrf, "name_en": "Theirs"})
    async with create_session_factory(workspace.engine)() as session:
        collection_id = await session.scalar(select(HelpCollection.id))
    csrf = await _editor(client, workspace)
    assert (await client.get(theirs)).status_code == 404
    assert (await client.get(f"{theirs}/history")).status_code == 404
    assert (await client.post(theirs, data=_form(csrf, body="mine now"))).status_code == 404
    assert (await client.post(f"{theirs}/publish", data=_form(csrf))).status_code == 404
    article_id = theirs.split("/")[-2]
    added = await client.post(
        f"/console/help/articles/{article_id}/versions/new", data={"csrf_token": csrf, "locale": "de", "title": "x"}
    )
    assert added.status_code == 404
    assert (await client.get(f"{theirs[:-3]}/xx")).status_code == 404
    mine = await _create(client, csrf)
    moved = await client.post(mine, data=_form(csrf, collection_id=str(collection_id)))
    assert moved.status_code == 422 and 'id="collection_id-error"' in moved.text
    for path in (f"/console/help/collections/{collection_id}", f"/console/help/collections/{collection_id}/delete"):
        assert (await client.post(path, data={"csrf_token": csrf, "name_en": "Mine"})).status_code == 404
    assert (
        await client.post(f"/console/help/collections/{collection_id}/move", data={"csrf_token": csrf})
    ).status_code == 404


async def example_article(workspace: WorkspaceHandle) -> str:
    """An article with an English version (published, so with two revisions): tests/browser/test_console_polish.py
    opens its editor and history pages on a phone."""
    async with create_session_factory(workspace.engine).begin() as session:
        by = Principal(workspace_id=workspace.id, role=Role.editor, label="polish")
        version = await service.do_create_article(
            session=session,
            workspace_id=workspace.id,
            by=by,
            locale="en",
            title="What-happens-to-a-parcel-that-arrived-damaged-and-was-sent-back-again",
            body="# Damaged parcels\n\n" + "A very-long-unbroken-word-that-could-widen-the-page-" * 4,
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=version.id, by=by)
        return str(version.article_id)


async def test_the_list_pages_by_fifty_and_filters_by_language_and_collection(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(workspace.engine).begin() as session:
        by = Principal(workspace_id=workspace.id, role=Role.editor, label="agent:1 Edith")
        orders = await help_collections.do_create_collection(
            session=session, workspace_id=workspace.id, names={"en": "Orders"}
        )
        for n in range(51):
            await service.do_create_article(
                session=session, workspace_id=workspace.id, by=by, locale="en", title=f"Question number {n:02d}"
            )
        await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="de", title="Lieferzeit", collection_id=orders.id
        )
    await _sign_in(client, await workspace.add_agent(Role.agent))
    first = (await client.get("/console/help")).text
    assert first.count('href="/console/help/articles/') == 50 * 2  # the title and its version badge
    assert "Page 1 of 2 (52 versions)" in first and "by Edith" in first and "agent:1" not in first
    second = (await client.get("/console/help?page=2")).text
    assert second.count('href="/console/help/articles/') == 2 * 2
    german = (await client.get("/console/help?locale=de")).text
    assert "Lieferzeit" in german and "Question number" not in german
    in_orders = (await client.get(f"/console/help?collection={orders.id}")).text
    assert "Lieferzeit" in in_orders and "Orders" in in_orders and "Question number" not in in_orders
    assert ">New article<" not in first  # agents read; editors write


async def test_an_admin_can_make_an_agent_an_editor(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    csrf = await _sign_in(client, workspace.admin_email)
    page = (await client.get("/settings")).text
    assert '<option value="editor">editor: agent who also writes the help center</option>' in page
    added = await client.post(
        "/settings/agents",
        data={
            "csrf_token": csrf,
            "display_name": "Wendy Writer",
            "email": "wendy@acme.example",
            "password": "correct-horse-battery",
            "role": "editor",
        },
    )
    assert added.status_code == 303
    csrf = await _sign_in(client, "wendy@acme.example")
    assert (await client.get("/console/help/articles/new")).status_code == 200
    assert (await _create(client, csrf)).startswith("/console/help/articles/")
