"""The console at product level, in Chromium on a desktop and a phone: the contact picker of the complaint
form, sorting and bulk-tagging the contacts list, the CSV import's progress and error report, and every
console page fitting a 390 px wide screen."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.reports.catalogue import REPORTS
from frontdesk.settings import Settings
from frontdesk.web.console import current_console_user
from tests.browser.test_console import VIEWPORTS, _fits_the_screen, _sign_in
from tests.factories import WorkspaceHandle, make_workspace
from tests.helpcenter.test_console import example_article
from tests.test_no_server_errors import api_routes


@pytest.fixture
async def shop(engine: AsyncEngine) -> WorkspaceHandle:
    workspace = await make_workspace(engine, "Polish Shop")
    await workspace.product("TEA-1", "Tea")
    names = ["Jürgen Müller", "Anna Müllerová", "Zoë Adams", "Bob Stone", "Émile Zola", "Chloé Martin"]
    for index, name in enumerate(names):
        contact = await workspace.contact(name=name, emails=[f"c{index}@polish.example"], country="DE")
        for n in range(index % 3):
            await workspace.order(f"O-{index}-{n}", contact, "TEA-1", ordered_at=f"2026-10-0{n + 1}T10:00:00Z")
    return workspace


# --- the contact picker -----------------------------------------------------------------------------------


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_a_complaint_is_raised_by_picking_the_contact_by_name(
    browser: Browser, server_url: str, shop: WorkspaceHandle, artifacts_dir: Path, screen: str, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await _sign_in(page, server_url, shop.admin_email)
        await page.goto(f"{server_url}/complaints")
        picker = page.get_by_role("combobox", name="Contact")
        await picker.fill("mull")  # accents ignored: both Müllers
        options = page.get_by_role("listbox").get_by_role("option")
        await expect(options).to_have_count(2)
        await expect(picker).to_have_attribute("aria-expanded", "true")
        first = await options.nth(0).get_attribute("id")
        await expect(picker).to_have_attribute("aria-activedescendant", first or "")
        await picker.press("ArrowDown")  # the keyboard moves through the list...
        await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        chosen = (await options.nth(1).locator("span").text_content()) or ""
        await picker.press("Enter")  # ...and Enter chooses, without sending the form
        await expect(picker).to_have_value(chosen)
        await expect(page.get_by_role("listbox")).to_be_hidden()
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"complaint-picker-{screen}-{backend}.png", full_page=True)
        await page.get_by_label("Summary").fill("Parcel arrived broken")
        await page.get_by_role("button", name="Raise complaint").last.click()
        await expect(page.get_by_role("heading", name="Parcel arrived broken")).to_be_visible()
        await expect(page.get_by_role("status")).to_have_text("Complaint raised.")
        await expect(page.locator("dl.profile").get_by_role("link", name=chosen)).to_be_visible()
    finally:
        await context.close()


# --- the contacts list --------------------------------------------------------------------------------------


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_the_contacts_list_sorts_by_column_and_tags_a_selection(
    browser: Browser, server_url: str, shop: WorkspaceHandle, artifacts_dir: Path, screen: str, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await _sign_in(page, server_url, shop.admin_email)
        names = page.locator("table.contacts tbody td[data-label=Name] a")

        async def sort_by(header: str, value: str) -> None:
            # A desktop sorts by clicking a column's header; a phone, whose table shows as cards, by the menu.
            if screen == "desktop":
                await page.get_by_role("link", name=header, exact=True).click()
            else:
                await page.get_by_label("Sort").select_option(value)
            await expect(page).to_have_url(re.compile(rf"sort={re.escape(value)}(&|$)"))

        await sort_by("Name", "name")
        await expect(names.first).to_have_text("Anna Müllerová")
        shown = await names.all_text_contents()
        assert shown == sorted(shown, key=lambda name: name.casefold().replace("é", "e").replace("ë", "e"))
        await sort_by("Orders", "-orders")  # largest first on the first click
        await expect(page.locator("td[data-label=Orders]").first).to_have_text("2")
        orders = [int(n) for n in await page.locator("td[data-label=Orders]").all_text_contents()]
        assert orders == sorted(orders, reverse=True)
        await page.reload()  # the sort is in the URL
        await expect(page.get_by_label("Sort")).to_have_value("-orders")
        if screen == "desktop":
            await expect(page.locator("th[aria-sort=descending]")).to_contain_text("Orders")

        await page.get_by_label("Select all contacts on this page").check()
        await expect(page.get_by_text("6 contacts selected")).to_be_visible()
        await page.get_by_label("Select Bob Stone").uncheck()
        await expect(page.get_by_text("5 contacts selected")).to_be_visible()
        await page.get_by_label("Tag to add").fill("Newsletter")
        await page.get_by_role("button", name="Add tag").click()
        await expect(page.get_by_role("status")).to_have_text("Tag 'newsletter' added to 5 contacts.")
        await expect(page).to_have_url(re.compile(r"sort=-orders"))  # back to the same list
        bob = page.locator("tr", has_text="Bob Stone")
        await expect(bob.locator(".tag")).to_have_count(0)
        await expect(page.locator("tr", has_text="Zoë Adams").locator(".tag")).to_have_text("newsletter")
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"contacts-bulk-{screen}-{backend}.png", full_page=True)
    finally:
        await context.close()


# --- the CSV import -------------------------------------------------------------------------------------------


def _import_file(rows: int) -> bytes:
    lines = ["name,emails,country"]
    for n in range(rows):
        country = "XX" if n % 1000 == 7 else "DE"  # a few refused rows
        lines.append(f"Imported {n},imported{n}@polish.example,{country}")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_an_import_shows_progress_and_offers_the_refused_rows(
    browser: Browser,
    server_url: str,
    shop: WorkspaceHandle,
    artifacts_dir: Path,
    screen: str,
    database: object,
    tmp_path: Path,
) -> None:
    backend = getattr(database, "backend", "db")
    rows = 12_000
    upload = tmp_path / "customers.csv"
    upload.write_bytes(_import_file(rows))
    context = await browser.new_context(viewport=VIEWPORTS[screen], accept_downloads=True)  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await _sign_in(page, server_url, shop.admin_email)
        await page.get_by_role("link", name="Import CSV").click()
        await expect(page.get_by_role("heading", name="Import contacts")).to_be_visible()
        assert await _fits_the_screen(page)
        await page.locator("input[type=file]").set_input_files(upload)
        await page.get_by_role("button", name="Import", exact=True).click()
        # The upload is stored before the page moves on: a busy machine (CI) took longer than 5 s for it once.
        await expect(page).to_have_url(re.compile(r"/contacts/import/[\w-]+$"), timeout=30_000)
        bar = page.locator("progress.import-progress")
        await expect(bar).to_be_visible()
        await expect(page.locator("[data-import-state=done]")).to_be_visible(timeout=60_000)
        await expect(bar).to_have_attribute("value", "100")
        refused = rows // 1000
        summary = page.locator("[data-import-summary]")
        await expect(summary).to_have_text(f"{rows - refused:,} contacts imported, {refused} rows refused.")
        await page.reload()  # the result survives a reload
        await expect(summary).to_have_text(f"{rows - refused:,} contacts imported, {refused} rows refused.")
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"contact-import-{screen}-{backend}.png", full_page=True)
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Download the refused rows (CSV)").click()
        download = await waiting.value
        report = list(csv.DictReader(io.StringIO((await download.path()).read_text())))
        assert [int(row["row"]) for row in report] == [n + 2 for n in range(rows) if n % 1000 == 7]
        assert {row["field"] for row in report} == {"country"}
    finally:
        await context.close()


# --- every console page on a phone ------------------------------------------------------------------------


def _needs_console_user(dependant: Dependant) -> bool:
    return dependant.call is current_console_user or any(_needs_console_user(d) for d in dependant.dependencies)


def console_pages(settings: Settings, engine: AsyncEngine) -> Iterator[str]:
    """The paths of every GET route that shows a signed-in agent a page (not a file, not a fragment)."""
    app = create_app(settings, engine=engine)
    for path, route in api_routes(app):
        if "GET" not in route.methods or path.startswith("/api/") or not _needs_console_user(route.dependant):
            continue
        if re.search(r"\.(csv|json)$|/export$|/size$|/progress$|/messages$|/log$", path):
            continue  # downloads and the fragments pages fetch for themselves
        yield path


async def _examples(server_url: str, shop: WorkspaceHandle) -> dict[str, list[str]]:
    """A real value for each path parameter of a console page, made through the API like an integration."""
    # Long unbroken text is what widens a page on a phone: an address, a tag, a rule, a summary.
    long_email = "ada.augusta.king.countess.of.lovelace@analytical-engine-enthusiasts.example"
    contact = await shop.contact(
        name="Ada Augusta King-Noel, Countess of Lovelace",
        emails=[long_email],
        tags=["analytical-engine-early-adopter"],
    )
    babbage = await shop.contact(name="Charles Babbage", emails=["charles@polish.example"])
    conversation = await shop.conversation("Where is my parcel?")
    async with httpx.AsyncClient(base_url=server_url, headers=shop.headers) as api:
        rule = 'country in ("DE", "AT", "CH") and orders >= 2 and days_since_last_order < 90 and email_domain != "x.y"'
        segment = (await api.post("/api/v1/segments", json={"name": "Repeat buyers in DACH", "rule": rule})).json()
        if "id" not in segment:
            segment = (await api.post("/api/v1/segments", json={"name": "Germans", "rule": 'country = "DE"'})).json()
        survey = (await api.post("/api/v1/surveys", json={"name": "Autumn NPS", "segment": str(segment["id"])})).json()
        complaint = (
            await api.post(
                "/api/v1/complaints",
                json={"contact_id": contact, "summary": "Parcel-arrived-damaged-and-the-replacement-never-came"},
            )
        ).json()
        code = (await api.get(f"/api/v1/contacts/{contact}/referral-code")).json()["code"]
        referred = await api.post("/api/v1/referrals", json={"referral_code": code, "contact_id": babbage})
        assert referred.status_code == 201, referred.text
        await api.post("/api/v1/attributes", json={"key": "newsletter", "label": "Newsletter", "type": "boolean"})
        await api.patch(f"/api/v1/contacts/{contact}", json={"attributes": {"newsletter": True}})
        # Connections: a shop with a delivery, and a webhook endpoint (a long address) with one.
        connected = await api.post("/api/v1/shop-connections", json={"kind": "shopify", "name": "Analytical Engine"})
        assert connected.status_code == 201, connected.text
        shop_connection = connected.json()
        order = json.dumps({"id": 1, "email": long_email, "currency": "EUR", "line_items": []}).encode()
        digest = hmac.new(shop_connection["secret"].encode(), order, hashlib.sha256).digest()
        headers = {
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": "polish-1",
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        }
        token = shop_connection["webhook_url"].rsplit("/", 1)[-1]
        received = await api.post(f"/hooks/shops/{token}", content=order, headers=headers)
        assert received.status_code == 200, received.text
        endpoint = (
            await api.post(
                "/api/v1/webhook-endpoints",
                json={"url": "https://93.184.215.14/integrations/frontdesk/webhooks/receive-every-customer-event-here",
                      "event_types": ["contact.created"], "description": "Analytical-engine-enthusiasts-CRM"},
            )
        ).json()  # fmt: skip
        await shop.contact(name="Luigi Menabrea", emails=["luigi@polish.example"])
        webhook_deliveries = (await api.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
    return {
        "connection_id": [str(shop_connection["id"])],
        "shop_delivery_id": [str(received.json()["delivery"])],
        "endpoint_id": [str(endpoint["id"])],
        "webhook_delivery_id": [str(webhook_deliveries[0]["id"])],
        "contact_id": [str(contact)],
        "conversation_id": [str(conversation)],
        "segment": [str(segment["id"])],
        "survey_id": [str(survey["id"])],
        "complaint_id": [str(complaint["id"])],
        "key": [report.key for report in REPORTS],
        "article_id": [await example_article(shop)],
        "locale": ["en"],
        "number": ["1", "2"],
    }


def _expand(path: str, examples: dict[str, list[str]], job_url: str) -> list[str]:
    if path == "/contacts/import/{job_id}":
        return [job_url]
    # Both a shop's and an endpoint's deliveries are {delivery_id}: each page gets its own kind.
    delivery = "webhook_delivery_id" if "/webhooks/" in path else "shop_delivery_id"
    examples = {**examples, "delivery_id": examples[delivery]}
    names = re.findall(r"\{(\w+)\}", path)
    missing = [name for name in names if name not in examples]
    assert not missing, f"{path}: add an example value for {missing} to _examples"
    paths = [path]
    for name in names:
        paths = [p.replace(f"{{{name}}}", value) for p in paths for value in examples[name]]
    return paths


async def _start_an_import(page: Page, server_url: str, tmp_path: Path) -> str:
    upload = tmp_path / "few.csv"
    upload.write_bytes(b"name,country\nFew One,DE\nFew Two,XX\n")
    await page.goto(f"{server_url}/contacts/import")
    await page.locator("input[type=file]").set_input_files(upload)
    await page.get_by_role("button", name="Import", exact=True).click()
    await expect(page.locator("[data-import-state=done]")).to_be_visible()
    return page.url


async def test_every_console_page_fits_a_phone(
    browser: Browser,
    server_url: str,
    shop: WorkspaceHandle,
    settings: Settings,
    engine: AsyncEngine,
    artifacts_dir: Path,
    database: object,
    tmp_path: Path,
) -> None:
    backend = getattr(database, "backend", "db")
    examples = await _examples(server_url, shop)
    context = await browser.new_context(viewport=VIEWPORTS["phone"])  # type: ignore[arg-type]
    page = await context.new_page()
    checked: list[str] = []
    too_wide: list[Any] = []
    try:
        await _sign_in(page, server_url, shop.admin_email)
        job_url = await _start_an_import(page, server_url, tmp_path)
        for route in sorted(set(console_pages(settings, engine))):
            for path in _expand(route, examples, job_url):
                response = await page.goto(path if path.startswith("http") else f"{server_url}{path}")
                # 422: a page that explains why it has nothing to show yet (the purchase model without orders)
                assert response is not None and response.status in (200, 422), (path, response and response.status)
                await page.wait_for_load_state("load")
                checked.append(path)
                if not await _fits_the_screen(page):
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    too_wide.append((path, width))
                    name = re.sub(r"[^\w]+", "-", path.split("//")[-1]).strip("-")
                    await page.screenshot(path=artifacts_dir / f"too-wide-{name}-{backend}.png", full_page=True)
    finally:
        await context.close()
    assert len(checked) >= 20, checked  # the route walk found the console (not an empty list)
    assert not too_wide, f"wider than 390 px: {too_wide}"
