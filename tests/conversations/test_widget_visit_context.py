"""The visit's context as the server keeps it: browser and OS from the User-Agent, every value checked alone."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.conversations.visit_context import MAX_PAGES, later_page, parse_user_agent, visit_context

USER_AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36": (
        "Chrome 131",
        "Windows 10",
    ),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
    "Edg/131.0.2903.86": ("Edge 131", "Windows 10"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Safari/605.1.15": ("Safari 17", "macOS 10.15"),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1": ("Safari 17", "iOS 17.5"),
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36": ("Chrome 131", "Android 14"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0": ("Firefox 133", "Linux"),
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 "
    "Chrome/121.0.0.0 Mobile Safari/537.36": ("Samsung Internet 25", "Android 13"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
    "OPR/116.0.0.0": ("Opera 116", "Windows 10"),
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36": (
        "Chrome 131",
        "ChromeOS",
    ),
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 "
    "Mobile/15E148 Safari/604.1": ("Chrome 131", "iOS 18.1"),
}


@pytest.mark.parametrize("header", list(USER_AGENTS))
def test_the_major_browsers_and_systems_are_named(header: str) -> None:
    assert parse_user_agent(header) == dict(zip(("browser", "os"), USER_AGENTS[header], strict=True))


def test_an_unknown_or_missing_user_agent_names_nothing() -> None:
    assert parse_user_agent(None) == {} and parse_user_agent("curl/8.5.0") == {}


def test_good_values_are_kept_and_bad_ones_dropped_one_by_one() -> None:
    given_context = {
        "page_url": "https://shop.example/a",
        "page_title": "  A page  ",
        "referrer": "javascript:alert(1)",
        "language": "en-GB",
        "time_zone": "America/New_York",
        "utc_offset_minutes": True,
        "pages": [{"url": f"https://shop.example/{n}", "at": "yesterday"} for n in range(30)]
        + ["junk", {"url": "ftp://x"}],
        "unknown": "ignored",
    }
    kept = visit_context(given_context, None)
    assert kept["page_url"] == "https://shop.example/a" and kept["page_title"] == "A page"
    assert kept["language"] == "en-GB" and kept["time_zone"] == "America/New_York"
    assert "referrer" not in kept and "utc_offset_minutes" not in kept and "unknown" not in kept
    assert [page["url"] for page in kept["pages"]] == [f"https://shop.example/{n}" for n in range(12, 30)]
    assert all("at" not in page for page in kept["pages"])  # not a time: dropped, the page kept
    assert visit_context({"page_url": "https://shop.example/" + "x" * 2000}, None) == {}
    assert visit_context({"utc_offset_minutes": -300}, None) == {"utc_offset_minutes": -300}


def test_a_later_page_moves_the_page_on_and_keeps_the_rest() -> None:
    stored = {"page_url": "https://a.example/1", "browser": "Firefox 128", "referrer": "https://r.example/"}
    fresh = {"page_url": "https://a.example/2", "pages": [{"url": "https://a.example/2"}]}
    assert later_page(stored, fresh) == {**stored, **fresh}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(raw=st.dictionaries(st.sampled_from(["page_url", "page_title", "referrer", "language", "time_zone",
                                              "utc_offset_minutes", "pages"]), JSON) | JSON,
       agent=st.none() | st.text(max_size=300))  # fmt: skip
def test_any_value_from_a_browser_is_kept_checked_or_dropped_never_an_error(raw: Any, agent: str | None) -> None:
    kept = visit_context(raw, agent)
    assert set(kept) <= {"page_url", "page_title", "referrer", "language", "time_zone", "utc_offset_minutes", "pages",
                         "browser", "os"}  # fmt: skip
    assert len(kept.get("pages", [])) <= MAX_PAGES
    for key in ("page_url", "referrer"):
        assert key not in kept or (kept[key].startswith(("http://", "https://")) and len(kept[key]) <= 2000)
