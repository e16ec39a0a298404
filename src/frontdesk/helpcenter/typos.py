"""Which vocabulary word a misspelt query word was meant to be."""

from __future__ import annotations

from rapidfuzz.distance import OSA, Indel

# Edits allowed (optimal string alignment: insert, delete, substitute, swap two neighbours): one in a short
# word, two in a long one; more and "bolt" would become "boat" and "colt" alike.
LONG_WORD = 8


def allowed_edits(word: str) -> int:
    return 1 if len(word) < LONG_WORD else 2


def closest_word(word: str, candidates: list[str]) -> str | None:
    """The candidate fewest edits away (within allowed_edits), ties to the most similar spelling, then the first
    offered (the database offers the most similar first); None when none is close enough."""
    limit = allowed_edits(word)
    best: tuple[int, float, int] | None = None
    chosen: str | None = None
    for position, candidate in enumerate(candidates):
        if candidate == word:
            continue
        distance = OSA.distance(word, candidate, score_cutoff=limit)
        if distance > limit:
            continue
        # Same first letter first: people rarely mistype the first letter.
        key = (
            distance + (0 if candidate[:1] == word[:1] else 1),
            -Indel.normalized_similarity(word, candidate),
            position,
        )
        if best is None or key < best:
            best, chosen = key, candidate
    return chosen
