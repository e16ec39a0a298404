"""How the console words numbers: "1 complaint", "2 complaints", "1,204 contacts"."""

from __future__ import annotations

from typing import Any

# Nouns whose plural is not the singular plus "s"; every other noun the console counts takes an "s".
IRREGULAR_PLURALS = {
    "person": "people",
    "reply": "replies",
    "category": "categories",
    "company": "companies",
    "activity": "activities",
    "entry": "entries",
    "match": "matches",
    "business": "businesses",
}


def plural_noun(count: int | float, singular: str, plural: str | None = None) -> str:
    """The noun alone, singular for exactly one and plural otherwise (0 and 2 both take the plural)."""
    if count == 1:
        return singular
    return plural or IRREGULAR_PLURALS.get(singular) or f"{singular}s"


def plural(count: Any, singular: str, plural: str | None = None) -> str:
    """``count`` with thousands separators, followed by the noun in the right number: ``plural(1, "day")``."""
    number = int(count or 0) if not isinstance(count, float) else count
    shown = f"{number:,}" if isinstance(number, int) else f"{number:,.1f}"
    return f"{shown} {plural_noun(number, singular, plural)}"


def in_words(value: Any) -> str:
    """A stored value as a person reads it: Yes/No for booleans, lists joined with commas, "key: value" for
    a mapping, a dash for nothing; never Python's spelling (``True``, ``['a']``, ``{'k': 1}``)."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(in_words(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key.replace('_', ' ')}: {in_words(item)}" for key, item in value.items())
    return str(value)
