"""Text people write for the public (reviews, survey comments): kept as plain text, never as markup."""

from __future__ import annotations

import html
import re

import nh3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(text: str) -> str:
    """``text`` without any markup or control characters, trimmed.

    Tags are removed (with the content of ``script`` and ``style``), entities decoded, so what is stored is
    what a reader sees; every page and the public JSON escape it again on the way out.
    """
    cleaned = html.unescape(nh3.clean(text, tags=set()))
    return _CONTROL.sub("", cleaned).strip()


def as_html(text: str) -> str:
    """Plain text as an HTML fragment safe to insert into a page: escaped, line breaks kept."""
    return "<br>".join(html.escape(line) for line in text.splitlines())
