"""Highlighted snippets of search results, cut from an article's plain text.

Built here for both databases: SQLite's index holds stems, so its ``snippet()`` would show stems, and one code
path keeps the two databases' results alike. A word is marked when its Snowball stem is one the query searched
for (so "refunded" marks "refunds"), or when it is a word a misspelt query word was corrected to.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from frontdesk.helpcenter import stemming

SNIPPET_WORDS = 30
ELLIPSIS = "…"


@dataclass(frozen=True)
class Marker:
    stems: set[str]
    words: set[str]
    language: str
    prefix: str = ""  # folded: the word being typed, matching every word that starts with it

    def matches(self, word: str) -> bool:
        lowered = word.lower()
        return (
            lowered in self.words
            or stemming.stem(lowered, self.language) in self.stems
            or bool(self.prefix and stemming.fold(lowered).startswith(self.prefix))
        )


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """text[start:end] escaped, with the spans (inside it) wrapped in <mark>."""
    parts: list[str] = []
    position = start
    for span_start, span_end in spans:
        parts.append(html.escape(text[position:span_start]))
        parts.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        position = span_end
    parts.append(html.escape(text[position:end]))
    return "".join(parts)


def marked_html(text: str, marker: Marker) -> str:
    """The whole text escaped, matched words marked (for titles)."""
    spans = [m.span() for m in stemming.words(text) if marker.matches(m.group())]
    return _marked(text, spans, 0, len(text))


def snippet_html(text: str, marker: Marker, size: int = SNIPPET_WORDS) -> str:
    """The window of ``size`` words with the most different matched words (then the most matches, then the
    earliest), centred on its matches, escaped, matched words marked, "…" where the text was cut."""
    text = " ".join(text.split())
    found = list(stemming.words(text))
    if not found:
        return html.escape(text[:200])
    keys = _match_keys([m.group().lower() for m in found], marker)
    best_start, best_score = _best_window(keys, size)
    if best_score[1] > 0:
        hits = [i for i in range(best_start, min(best_start + size, len(found))) if keys[i]]
        room = size - (hits[-1] - hits[0] + 1)
        best_start = max(0, min(hits[0] - room // 2, len(found) - size))
    last = min(best_start + size, len(found)) - 1
    start = 0 if best_start == 0 else found[best_start].start()
    end = len(text) if last == len(found) - 1 else found[last].end()
    spans = [found[i].span() for i in range(best_start, last + 1) if keys[i]]
    body = _marked(text, spans, start, end)
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(text) else "")


def _match_keys(lowered: list[str], marker: Marker) -> list[str]:
    """Per word: its stem when it is matched, else "". Only words starting like a searched stem are stemmed (a
    Snowball stem keeps at least the word's first two letters: "dying" -> "die"), which spares most of a long
    article's words."""
    starts = {stem[:2] for stem in marker.stems} | ({marker.prefix[:2]} if marker.prefix else set())
    candidates = [i for i, word in enumerate(lowered) if stemming.fold(word[:2]) in starts or word in marker.words]
    keys = [""] * len(lowered)
    candidate_stems = stemming.stems([lowered[i] for i in candidates], marker.language)
    for i, stem in zip(candidates, candidate_stems, strict=True):
        if stem in marker.stems or lowered[i] in marker.words:
            keys[i] = stem
        elif marker.prefix and stemming.fold(lowered[i]).startswith(marker.prefix):
            keys[i] = marker.prefix
    return keys


def _best_window(keys: list[str], size: int) -> tuple[int, tuple[int, int]]:
    """Start of the window of ``size`` words with the most different matched keys, then the most matches
    (keys: a matched word's stem, "" for the others); one pass, counting what enters and leaves."""
    counts: dict[str, int] = {}
    hits = 0
    best_start, best_score = 0, (-1, -1)
    for i, key in enumerate(keys):
        if key:
            counts[key] = counts.get(key, 0) + 1
            hits += 1
        leaving = i - size
        if leaving >= 0 and keys[leaving]:
            gone = keys[leaving]
            counts[gone] -= 1
            hits -= 1
            if not counts[gone]:
                del counts[gone]
        if i >= size - 1 or i == len(keys) - 1:
            score = (len(counts), hits)
            if score > best_score:
                best_start, best_score = max(0, i - size + 1), score
    return best_start, best_score
