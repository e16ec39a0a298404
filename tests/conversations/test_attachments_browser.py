"""The console's upload UI in Chromium: the paper clip, a drop and a paste each send a file, images show as
thumbnails, a refused file says why, and the composer still fits a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import browser  # noqa: F401  (the shared Chromium)
from tests.factories import PASSWORD, WorkspaceHandle
from tests.storage.samples import EXE, PNG

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

# Until the inbox page includes them itself (the INBOX work wires the composer), the test adds the hooks the
# page will carry: the upload URL on the composer, the stylesheet and the script. Once wired, this does nothing.
WIRE_UP = """async (conversationId) => {
  const form = document.querySelector("form#composer");
  if (!form.dataset.attachmentsUrl) form.dataset.attachmentsUrl = `/inbox/${conversationId}/attachments`;
  if (!document.querySelector('link[href="/static/attachments.css"]')) {
    const link = document.createElement("link");
    link.rel = "stylesheet"; link.href = "/static/attachments.css";
    document.head.appendChild(link);
  }
  if (!window.frontdeskAttachments) {
    await new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "/static/attachments.js"; script.onload = resolve; script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  if (!window.frontdeskInbox.appendHtml) {
    window.frontdeskInbox.appendHtml = (html) => {  // the rendered line replaces its live copy, if one came first
      const holder = document.createElement("ol");
      holder.innerHTML = html;
      for (const li of [...holder.children]) {
        const shown = document.querySelector(`#messages li[data-seq="${li.dataset.seq}"]`);
        if (shown) shown.replaceWith(li); else document.getElementById("messages").append(li);
      }
    };
  }
}"""

# A file dropped or pasted, as the browser delivers it: a DataTransfer holding a File.
GIVE_FILE = """([kind, bytes, name, type]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
  const target = kind === "drop" ? document.getElementById("messages") : document.querySelector("#composer textarea");
  if (kind === "drop") {
    target.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: transfer }));
    target.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: transfer }));
  } else {
    target.dispatchEvent(new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: transfer }));
  }
}"""


async def _fits_the_screen(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_an_agent_sends_files_by_button_drop_and_paste(
    browser: Browser,  # noqa: F811
    server_url: str,
    workspace: WorkspaceHandle,
    artifacts_dir: Path,
    screen: str,
    tmp_path: Path,
) -> None:
    conversation = await workspace.conversation("Can you show me?")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(f"{server_url}/login")
        await page.get_by_label("E-mail").fill(workspace.admin_email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.goto(f"{server_url}/inbox/{conversation}")
        await page.evaluate(WIRE_UP, conversation)

        photo = tmp_path / "broken mug.png"
        photo.write_bytes(PNG)
        clip = page.get_by_role("button", name="Attach files")
        await expect(clip).to_be_visible()
        async with page.expect_file_chooser() as chooser:
            await clip.click()
        await (await chooser.value).set_files(photo)
        thumbnail = page.locator("#messages li.msg.agent img[alt='broken mug.png']")
        await expect(thumbnail).to_be_visible()
        assert await thumbnail.evaluate("img => img.complete && img.naturalWidth === 1")  # the bytes, served

        await page.evaluate(GIVE_FILE, ["drop", list(b"order 1234\n"), "order.txt", "text/plain"])
        await expect(page.locator("#messages a[download='order.txt']")).to_contain_text("11 B")
        await page.evaluate(GIVE_FILE, ["paste", list(PNG), "image.png", "image/png"])
        await expect(page.locator("#messages img[alt='image.png']")).to_be_visible()

        await page.evaluate(GIVE_FILE, ["drop", list(EXE), "cat.png", "image/png"])
        await expect(page.locator(".attachment-upload.error")).to_contain_text("not accepted")
        assert await page.locator("#messages li.msg").count() == 4  # the question and three files
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"attachments-console-{screen}.png", full_page=True)
        assert errors == []
    finally:
        await context.close()
