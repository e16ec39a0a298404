"""The widget stays one small dependency-free file: under 60 kB as served, readable (not minified)."""

from __future__ import annotations

import gzip
import re

import httpx

from tests.conversations.test_widget_catalogue import WIDGET_JS

LIMIT_BYTES = 60 * 1000


def test_widget_js_is_one_file_under_60_kb_and_its_sizes_are_printed() -> None:
    source = WIDGET_JS.read_bytes()
    raw, zipped = len(source), len(gzip.compress(source, compresslevel=9))
    print(f"widget.js: {raw} bytes raw, {zipped} bytes gzipped")  # a figure of the closing note
    assert raw < LIMIT_BYTES
    text = source.decode()
    # Dependency-free: no import, no other script loaded, no request to any host but its own server (base).
    assert not re.search(r"^\s*import\s|\brequire\(|importScripts|createElement\(\"script\"\)", text, re.MULTILINE)
    assert not re.search(r"https?://(?!FRONTDESK/|www\.w3\.org/2000/svg)", text)
    # Readable: not minified (a minified file would have few, very long lines).
    lines = text.splitlines()
    assert len(lines) > 400 and max(len(line) for line in lines) <= 200


async def test_the_served_script_is_the_file_and_cacheable(client: httpx.AsyncClient) -> None:
    response = await client.get("/widget.js")
    assert response.status_code == 200 and response.content == WIDGET_JS.read_bytes()
    assert response.headers["content-type"].startswith("application/javascript")
    assert "max-age" in response.headers["cache-control"]
