"""Words, stop words and Snowball stems, the way PostgreSQL's ``english`` / ``german`` configurations see them.

PostgreSQL stems inside the database; SQLite has no German stemmer, so its index holds words stemmed here by
the same Snowball algorithms (PyStemmer) after dropping the same stop words (PostgreSQL's lists, copied into
``stopwords/``). Query words and snippet highlighting go through these functions on both databases, so what is
marked in a snippet is what the index matched.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import Stemmer

# Letters and digits; an underscore or punctuation separates words (PostgreSQL's parser splits there too).
WORD = re.compile(r"[^\W_]+")
# Longer "words" are noise (hashes, pasted URLs) and would not fit the vocabulary's column.
MAX_WORD = 60
_STOPWORDS_DIR = Path(__file__).parent / "stopwords"
# PyStemmer's stemmers are not thread-safe: one per thread (each keeps its own cache of recent words).
_local = threading.local()


@cache
def stop_words(language: str) -> frozenset[str]:
    """The language's stop words (lower case), as PostgreSQL drops them."""
    path = _STOPWORDS_DIR / f"{language}.txt"
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(language)
    if stemmer is None:
        stemmer = stemmers[language] = Stemmer.Stemmer(language)
    return stemmer


def fold(word: str) -> str:
    """Lower case without diacritics ("Rücksendung" -> "rucksendung"), as SQLite's ``remove_diacritics 2``."""
    word = word.lower()
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> Iterator[re.Match[str]]:
    """The words of a text with their places (for highlighting)."""
    return (m for m in WORD.finditer(text) if len(m.group()) <= MAX_WORD)


def meaningful_words(text: str, language: str) -> list[str]:
    """Lower-case words of the text that are not stop words, in order (repeats kept)."""
    stops = stop_words(language)
    return [w for w in (m.group().lower() for m in words(text)) if w not in stops]


def stem(word: str, language: str) -> str:
    """The Snowball stem of one lower-case word, folded like the SQLite index folds it."""
    return fold(_stemmer(language).stemWord(word))


def stems(words_: list[str], language: str) -> list[str]:
    stemmer = _stemmer(language)
    return [fold(s) for s in stemmer.stemWords(words_)]


def stemmed_text(text: str, language: str) -> str:
    """The text as the SQLite index stores it: its meaningful words' stems, separated by spaces."""
    return " ".join(stems(meaningful_words(text, language), language))
