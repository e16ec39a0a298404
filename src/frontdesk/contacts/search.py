"""Accent- and case-blind name search that works the same on SQLite and PostgreSQL.

Neither database folds accents by itself in a portable way (PostgreSQL's ``unaccent`` is an extension, SQLite
has none), so every contact keeps its name folded in Python in ``contacts.search_name`` and a query is folded
the same way before it is compared.
"""

from __future__ import annotations

import unicodedata

SEARCH_NAME_LENGTH = 300
# Every code point is stable after at most three rounds (checked over all of Unicode); the bound only guards
# against a future Unicode version looping.
_MAX_ROUNDS = 6


def fold_for_search(text: str) -> str:
    """``text`` in lower case without accents: "Müller", "MÜLLER" and "Muller" all become "muller".

    Folding twice gives the same text as folding once (the test suite checks it), so a folded name can be
    searched by its own folded form. The steps repeat until nothing changes because case folding can produce
    characters that decompose further, and decomposing can produce letters with a case.
    """
    folded = text
    for _ in range(_MAX_ROUNDS):
        decomposed = unicodedata.normalize("NFKD", folded.casefold())
        step = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if step == folded:
            break
        folded = step
    return folded


def search_name_of(name: str | None) -> str:
    """What ``contacts.search_name`` holds for a contact called ``name``."""
    return fold_for_search(name or "")[:SEARCH_NAME_LENGTH]
