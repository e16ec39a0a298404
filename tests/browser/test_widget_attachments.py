"""Files in the widget: the paper clip, drag and drop and paste upload to the attachments endpoint; images show as
previews and other files as links, both on the Frontdesk server. The endpoint itself is the ATTACH part of issue 14:
here its answer is given by the test, as its contract says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, Route, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser import test_widget_browser as widget_pages
from tests.conversations.chat_clients import allow_site
from tests.factories import WorkspaceHandle

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005"
    "0101fe2f3d2f6f0000000049454e44ae426082"
)
DROP_OR_PASTE = """([kind, name, type]) => {
  const data = new DataTransfer();
  data.items.add(new File(['%PDF-1.4 test'], name, {type}));
  const target = document.querySelector(kind === 'paste' ? '.fdw-panel textarea[name=body]' : '.fdw-panel');
  const event = kind === 'paste' ? new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})
    : new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true});
  target.dispatchEvent(event);
}"""


def _fields(body: bytes) -> dict[str, str]:
    """The form fields of a multipart body: name -> value (a file's: its filename)."""
    found = {}
    for part in body.split(b"Content-Disposition: form-data; ")[1:]:
        header, _, value = part.partition(b"\r\n\r\n")
        name = header.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        filename = header.split(b'filename="', 1)[1].split(b'"', 1)[0].decode() if b"filename=" in header else None
        found[name] = filename or value.rsplit(b"\r\n--", 1)[0].decode(errors="replace")
    return found


async def _visitor_message(page: Page, body: str) -> int:
    await page.get_by_label("Your e-mail").fill("mia@candy.example")
    await page.get_by_role("textbox", name="Message").fill(body)
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator(".fdw-msg[data-seq='1']")).to_be_visible()
    return int(
        await page.evaluate(
            "() => Number(localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith(':conversation'))))"
        )
    )


async def test_files_are_sent_by_clip_drop_and_paste_and_shown_as_previews_or_links(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
    artifacts_dir: Path,
) -> None:
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = widget_pages.SHOP_PAGE.format(server=server_url, token=token, title="Candy Shop")
    context = await browser.new_context(viewport=widget_pages.VIEWPORTS["phone"])  # type: ignore[arg-type]
    page = await context.new_page()
    uploads: list[dict[str, str]] = []
    seq = {"next": 2}

    async def attachments_endpoint(route: Route) -> None:
        fields = _fields(route.request.post_data_buffer or b"")
        uploads.append(fields)
        number = seq["next"]
        seq["next"] += 1
        image = fields["file"].endswith(".png")
        attachment = {
            "id": number, "filename": fields["file"], "content_type": "image/png" if image else "application/pdf",
            "size": 2048, "is_image": image, "url": f"/widget/files/{number}/{fields['file']}",
        }  # fmt: skip
        message = {
            "id": 100 + number, "conversation_id": int(fields["conversation_id"]), "seq": number,
            "client_id": fields["client_id"], "author_type": "visitor", "author_name": None, "kind": "message",
            "body": "", "created_at": "2026-11-30T09:00:00Z", "attachments": [attachment],
        }  # fmt: skip
        ack = {"type": "ack", "client_id": fields["client_id"], "conversation_id": message["conversation_id"]}
        await route.fulfill(
            status=201,
            body=json.dumps({**ack, "message": message}),
            headers={"Access-Control-Allow-Origin": site_url, "Content-Type": "application/json"},
        )

    async def file_of_the_server(route: Route) -> None:
        await route.fulfill(status=200, body=PNG, headers={"Content-Type": "image/png"})

    await page.route(f"{server_url}/widget/api/attachments", attachments_endpoint)
    await page.route(f"{server_url}/widget/files/**", file_of_the_server)
    try:
        await page.goto(site_url)
        await page.get_by_role("button", name="Open chat").click()
        conversation_id = await _visitor_message(page, "Here is a photo of the broken box")
        await expect(page.get_by_role("button", name="Attach a file")).to_be_visible()
        async with page.expect_file_chooser() as chooser:
            await page.get_by_role("button", name="Attach a file").click()
        await (await chooser.value).set_files({"name": "box.png", "mimeType": "image/png", "buffer": PNG})
        preview = page.get_by_role("img", name="box.png")
        await expect(preview).to_be_visible()
        assert await preview.get_attribute("src") == f"{server_url}/widget/files/2/box.png"
        assert await preview.evaluate("img => img.naturalWidth") == 1

        await page.evaluate(DROP_OR_PASTE, ["drop", "invoice.pdf", "application/pdf"])
        await expect(page.get_by_role("link", name="invoice.pdf (2 kB)")).to_have_attribute(
            "href", f"{server_url}/widget/files/3/invoice.pdf"
        )
        await page.evaluate(DROP_OR_PASTE, ["paste", "receipt.pdf", "application/pdf"])
        await expect(page.get_by_role("link", name="receipt.pdf (2 kB)")).to_be_visible()
        await page.screenshot(path=str(artifacts_dir / "widget-attachments-phone.png"))
    finally:
        await context.close()
    visitor_token = uploads[0]["visitor_token"]
    assert [u["file"] for u in uploads] == ["box.png", "invoice.pdf", "receipt.pdf"]
    expected: dict[str, Any] = {
        "widget_token": token,
        "visitor_token": visitor_token,
        "conversation_id": str(conversation_id),
    }
    assert all(u.items() >= expected.items() and u["client_id"] for u in uploads)
    assert len({u["client_id"] for u in uploads}) == 3 and visitor_token.startswith("fdv_")


async def test_a_refused_upload_says_so_and_leaves_nothing_pending(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
) -> None:
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = widget_pages.SHOP_PAGE.format(server=server_url, token=token, title="Candy Shop")
    context = await browser.new_context()
    page = await context.new_page()

    async def too_big(route: Route) -> None:
        refusal = {"error": "invalid", "field": "file", "message": "files up to 10 MB"}
        await route.fulfill(status=413, json=refusal, headers={"Access-Control-Allow-Origin": site_url})

    await page.route(f"{server_url}/widget/api/attachments", too_big)
    try:
        await page.goto(site_url)
        await page.get_by_role("button", name="Open chat").click()
        await _visitor_message(page, "A file follows")
        await page.evaluate(DROP_OR_PASTE, ["drop", "huge.pdf", "application/pdf"])
        await expect(page.get_by_role("alert")).to_have_text("Could not send huge.pdf. files up to 10 MB")
        await expect(page.locator(".fdw-msg")).to_have_count(1)  # the "sending" line is gone
    finally:
        await context.close()
