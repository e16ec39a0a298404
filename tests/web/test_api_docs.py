"""/api/v1/docs loads Swagger UI from Frontdesk itself: no other host is named, every asset is served."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from frontdesk.web.api_docs import SWAGGER_UI_VERSION, VENDOR_URL

VENDOR_DIR = Path(__file__).parents[2] / "src" / "frontdesk" / "web" / "static" / "vendor" / "swagger-ui"


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append(value)


async def test_docs_page_names_no_other_host_and_every_asset_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), "the docs page names another host"
    parser = _Assets()
    parser.feed(html)
    assets = [*parser.urls, *re.findall(r'data-openapi-url="([^"]+)"', html)]
    assert any(url.endswith("openapi.json") for url in assets)
    assert sum(url.startswith(VENDOR_URL) for url in assets) == 3  # script, stylesheet, icon
    assert not re.search(r"<script>|<script [^>]*>[^<]", html), "an inline script would need a looser CSP"
    for url in assets:
        parts = urlsplit(url)
        assert not parts.netloc and url.startswith("/"), url
        served = await client.get(url)
        assert served.status_code == 200, url
        assert served.content


async def test_openapi_no_longer_lists_fastapi_cdn_docs(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/docs/oauth2-redirect")).status_code == 404
    assert (await client.get("/redoc")).status_code == 404


def test_vendored_swagger_ui_names_its_version_and_licence() -> None:
    readme = (VENDOR_DIR / "README.md").read_text()
    assert f"swagger-ui-dist`](https://www.npmjs.com/package/swagger-ui-dist) **{SWAGGER_UI_VERSION}**" in readme
    assert "Apache License" in (VENDOR_DIR / "LICENSE").read_text()
    package_data = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"web/static/**/*"' in package_data  # the vendored files ship in the wheel
