"""What the widget saw of a visit (pages, referrer, language, time zone) and the browser it runs in.

Stored in ``Conversation.context`` for agents only. Everything comes from the visitor's browser, so every
value is checked on its own: a bad one is dropped, never fatal, and never stops the chat.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

MAX_URL = 2000
MAX_TITLE = 300
MAX_PAGES = 20
MAX_TEXT = 100
MAX_OFFSET_MINUTES = 14 * 60  # UTC-12 to UTC+14

# Checked in this order: most browsers also name the engines they descend from ("Chrome ... Safari").
_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"(?:OPR|Opera)/(\d+)"),
    ("Samsung Internet", r"SamsungBrowser/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:Chrome|CriOS|Chromium)/(\d+)"),
    ("Safari", r"Version/(\d+)[.\d]* (?:Mobile/\w+ )?Safari/"),
)
_WINDOWS = {"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7"}


def parse_user_agent(header: str | None) -> dict[str, str]:
    """Browser and OS names (with major versions) of a User-Agent header; empty for what it doesn't know."""
    agent = (header or "")[:1000]
    found: dict[str, str] = {}
    for name, pattern in _BROWSERS:
        match = re.search(pattern, agent)
        if match:
            found["browser"] = f"{name} {match.group(1)}"
            break
    os_name = _operating_system(agent)
    if os_name:
        found["os"] = os_name
    return found


def _operating_system(agent: str) -> str | None:
    if match := re.search(r"(?:iPhone|CPU) OS (\d+)(?:_(\d+))?", agent):
        return "iOS " + ".".join(part for part in match.groups() if part)
    if "iPad" in agent:
        return "iPadOS"
    if match := re.search(r"Android (\d+(?:\.\d+)?)", agent):
        return f"Android {match.group(1)}"
    if match := re.search(r"Windows NT (\d+\.\d+)", agent):
        return "Windows " + _WINDOWS.get(match.group(1), match.group(1))
    if match := re.search(r"Mac OS X (\d+)[_.](\d+)", agent):
        return f"macOS {match.group(1)}.{match.group(2)}"
    if "CrOS" in agent:
        return "ChromeOS"
    if "Linux" in agent:
        return "Linux"
    return None


def _url(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > MAX_URL or "\x00" in value:
        return None
    parts = urlsplit(value)
    return value if parts.scheme in {"http", "https"} and parts.netloc else None


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    if not isinstance(value, str) or "\x00" in value:
        return None
    value = value.strip()
    return value[:limit] or None


def _pages(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    pages = []
    for page in value[-MAX_PAGES:]:
        if not isinstance(page, dict) or (url := _url(page.get("url"))) is None:
            continue
        entry: dict[str, Any] = {"url": url}
        if title := _text(page.get("title"), MAX_TITLE):
            entry["title"] = title
        if isinstance(at := page.get("at"), str) and len(at) <= 40:
            with contextlib.suppress(ValueError):
                entry["at"] = datetime.fromisoformat(at.replace("Z", "+00:00")).isoformat()
        pages.append(entry)
    return pages


def visit_context(raw: Any, user_agent: str | None) -> dict[str, Any]:
    """The checked context: only the values that passed, plus browser and OS from the User-Agent header."""
    given = raw if isinstance(raw, dict) else {}
    context: dict[str, Any] = {}
    for key in ("page_url", "referrer"):
        if (url := _url(given.get(key))) is not None:
            context[key] = url
    if title := _text(given.get("page_title"), MAX_TITLE):
        context["page_title"] = title
    if (language := _text(given.get("language"), 35)) and re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", language):
        context["language"] = language
    if (zone := _text(given.get("time_zone"), 64)) and re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):
        context["time_zone"] = zone
    offset = given.get("utc_offset_minutes")
    if isinstance(offset, int) and not isinstance(offset, bool) and abs(offset) <= MAX_OFFSET_MINUTES:
        context["utc_offset_minutes"] = offset
    if pages := _pages(given.get("pages")):
        context["pages"] = pages
    context.update(parse_user_agent(user_agent))
    return context


def later_page(stored: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """A conversation's context after another page load of the same visit: the page and the pages move on."""
    updated = dict(stored)
    for key in ("page_url", "page_title", "pages"):
        if key in fresh:
            updated[key] = fresh[key]
    return updated
