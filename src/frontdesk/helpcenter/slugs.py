"""Slugs and language codes of the public help center: the checks every name passes and the paths built from them.

Its own module because articles (``service``), collections, rendering and the help center's settings all check
names and build paths the same way; none of them owns the rules.
"""

from __future__ import annotations

import re

from slugify import slugify

from frontdesk.errors import InvalidInput
from frontdesk.helpcenter.models import LANGUAGES

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 160


def article_path(workspace_slug: str, locale: str, slug: str) -> str:
    return f"/help/{workspace_slug}/{locale}/articles/{slug}"


def check_locale(locale: str, field: str = "locale") -> str:
    if locale not in LANGUAGES:
        raise InvalidInput(f"unknown language {locale!r}; known: {', '.join(LANGUAGES)}", field=field)
    return locale


def check_slug(slug: str, field: str = "slug") -> str:
    if len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        raise InvalidInput(
            "a slug is lower-case letters, digits and single hyphens (e.g. how-returns-work), at most 160",
            field=field,
        )
    return slug


def slug_from(text: str) -> str:
    return slugify(text, max_length=80, word_boundary=True) or "article"
