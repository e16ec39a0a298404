"""How the inbox search compares text: accents and case ignored for names, LIKE wildcards escaped."""

from __future__ import annotations

import unicodedata


def fold_for_search(text: str) -> str:
    """As contacts.search_name is stored: NFKD, combining marks dropped, case folded ("Müller" -> "muller")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE ... ESCAPE '\\', with the user's own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
