"""Searching published articles, inside the database.

CONTRACT (other modules rely on these names and shapes; the implementation behind them may change):

- ``index_translation(session=, translation=)``: put a *published* version's published copy into the index
  (replacing what was there); called by service.do_publish and when a published version's slug changes.
- ``remove_translations(session=, translation_ids=)``: take versions out of the index (unpublish, delete).
- ``search_articles(session=, workspace_id=, locale=, query=, limit=10, offset=0) -> SearchResults``: published
  versions of one workspace in one language, best first, with a highlighted snippet each (HTML-safe: the text
  is escaped and only ``<mark>`` tags are added), and ``corrected_query`` when misspelt words were corrected.
  Added since the foundation (with defaults): ``SearchHit.title_html`` (the title escaped, matched words
  marked) and ``as_you_type=False`` (the widget's suggestions while a question is typed: the unfinished last
  word matches the words it begins).

How: a query is the OR of its meaningful words (stop words dropped, as PostgreSQL drops them), matched by
Snowball stem — FTS5 over stems kept by us on SQLite (text_search_sqlite), a weighted ``tsvector`` on
PostgreSQL (text_search_postgres). Ranking favours title matches and articles matching more of the words. A
word of four letters or more that no published article contains is corrected to the closest word of the
workspace's vocabulary (trigram candidates from the database, then the edit distance), and the search runs
with both. Snippets are cut and marked here, from the page's plain text only (search_snippets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.helpcenter import search_snippets, stemming, text_search_postgres, text_search_sqlite
from frontdesk.helpcenter.models import LANGUAGES, HelpSearchWord, HelpTranslation
from frontdesk.helpcenter.typos import closest_word

MAX_QUERY = 200
# A question rarely has more meaningful words; more would only make the OR query slower.
MAX_QUERY_WORDS = 24
# Shorter words are too ambiguous to correct (and the vocabulary keeps none).
MIN_CORRECTED_WORD = 4
MAX_LIMIT = 100
# Above this many published versions in one workspace and language, a removal does not re-read the others to
# prune the vocabulary (a withdrawn article's rare words may then still be offered as corrections).
VOCABULARY_PRUNE_LIMIT = 2000
# A shorter word being typed would match too many words to suggest anything useful.
MIN_PREFIX = 3


@dataclass(frozen=True)
class SearchHit:
    translation_id: int
    article_id: int
    locale: str
    slug: str
    title: str
    description: str
    snippet_html: str  # escaped text with <mark>…</mark> around the matched words
    published_at: datetime
    score: float
    title_html: str = ""  # the title escaped, with <mark>…</mark> around the matched words


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    corrected_query: str | None = None


def _backend(session: AsyncSession) -> ModuleType:
    return text_search_postgres if session.get_bind().dialect.name == "postgresql" else text_search_sqlite


def vocabulary_words(text: str, language: str) -> set[str]:
    """The words a misspelt query word may be corrected to: meaningful, four letters or more, not numbers."""
    return {
        w
        for w in stemming.meaningful_words(text, language)
        if len(w) >= MIN_CORRECTED_WORD and not w.isdigit() and len(w) <= stemming.MAX_WORD
    }


async def index_translation(*, session: AsyncSession, translation: HelpTranslation) -> None:
    """Indexes the published copy (replacing the version's previous entry); a version never published is removed."""
    language = LANGUAGES.get(translation.locale)
    if language is None or translation.published_at is None:
        await remove_translations(session=session, translation_ids=[translation.id])
        return
    title, body = translation.published_title or "", translation.published_text or ""
    backend = _backend(session)
    reindexed = await backend.has_document(session, translation.id)
    await backend.replace_document(
        session,
        translation_id=translation.id,
        workspace_id=translation.workspace_id,
        locale=translation.locale,
        language=language,
        title=title,
        body=body,
    )
    await backend.add_vocabulary(
        session,
        workspace_id=translation.workspace_id,
        locale=translation.locale,
        words=vocabulary_words(f"{title}\n{body}", language),
    )
    if reindexed:  # the previous copy's words may be gone from it
        await _prune_vocabulary(session, backend, {(translation.workspace_id, translation.locale)}, [])


async def remove_translations(*, session: AsyncSession, translation_ids: list[int]) -> None:
    """Out of the index; the vocabulary keeps only words still in an indexed version, so "Showing results for …"
    never offers a word of a withdrawn article."""
    if not translation_ids:
        return
    backend = _backend(session)
    scopes = {
        (workspace_id, locale)
        for workspace_id, locale in await session.execute(
            select(HelpTranslation.workspace_id, HelpTranslation.locale)
            .where(HelpTranslation.id.in_(translation_ids))
            .distinct()
        )
    }
    await backend.delete_documents(session, translation_ids)
    await _prune_vocabulary(session, backend, scopes, translation_ids)


async def _prune_vocabulary(
    session: AsyncSession, backend: ModuleType, scopes: set[tuple[int, str]], removed_ids: list[int]
) -> None:
    """Drops the vocabulary words of each workspace+language that no remaining published version contains
    (rebuilt from the published copies, up to VOCABULARY_PRUNE_LIMIT versions)."""
    for workspace_id, locale in sorted(scopes):
        language = LANGUAGES.get(locale)
        if language is None:
            continue
        published = [
            HelpTranslation.workspace_id == workspace_id,
            HelpTranslation.locale == locale,
            HelpTranslation.published_at.is_not(None),
            HelpTranslation.id.not_in(removed_ids),
        ]
        if (await session.scalar(select(func.count()).where(*published)) or 0) > VOCABULARY_PRUNE_LIMIT:
            continue
        kept: set[str] = set()
        for title, body in await session.execute(
            select(HelpTranslation.published_title, HelpTranslation.published_text).where(*published)
        ):
            kept |= vocabulary_words(f"{title or ''}\n{body or ''}", language)
        known = await session.scalars(
            select(HelpSearchWord.word).where(
                HelpSearchWord.workspace_id == workspace_id, HelpSearchWord.locale == locale
            )
        )
        gone = sorted(set(known) - kept)
        if gone:
            await backend.delete_vocabulary(session, workspace_id=workspace_id, locale=locale, words=gone)


def clean_query(query: str) -> str:
    """Trimmed, inner runs of whitespace collapsed, cut at MAX_QUERY characters."""
    return " ".join(query.split())[:MAX_QUERY].strip()


def query_words(query: str, language: str) -> list[str]:
    """The query's meaningful words, lower case, each once, in order."""
    return list(dict.fromkeys(stemming.meaningful_words(query, language)))[:MAX_QUERY_WORDS]


async def _corrections(
    session: AsyncSession, backend: ModuleType, workspace_id: int, locale: str, language: str, words: list[str]
) -> dict[str, str]:
    """Misspelt query words -> the vocabulary words they were meant to be (words found as typed are left alone)."""
    long_words = [w for w in words if len(w) >= MIN_CORRECTED_WORD and not w.isdigit()]
    if not long_words:
        return {}
    known = set(
        await session.scalars(
            select(HelpSearchWord.word).where(
                HelpSearchWord.workspace_id == workspace_id,
                HelpSearchWord.locale == locale,
                HelpSearchWord.word.in_(long_words),
            )
        )
    )
    unknown = [w for w in long_words if w not in known]
    if not unknown:
        return {}
    candidates = await backend.correction_candidates(session, workspace_id=workspace_id, locale=locale, words=unknown)
    corrections: dict[str, str] = {}
    for word in unknown:
        similar: list[str] = candidates.get(word, [])
        # "refunded" is absent from the vocabulary but "refunds" shares its stem: it is no typo, the index finds it.
        word_stem = stemming.stem(word, language)
        if any(stemming.stem(s, language) == word_stem for s in similar):
            continue
        best = closest_word(word, similar)
        if best is not None:
            corrections[word] = best
    return corrections


def _corrected_query(query: str, corrections: dict[str, str]) -> str:
    """The query as typed with each misspelt word replaced (what "Showing results for …" shows)."""

    def replace(match: re.Match[str]) -> str:
        typed = match.group()
        corrected = corrections.get(typed.lower())
        if corrected is None:
            return typed
        return corrected.capitalize() if typed[:1].isupper() else corrected  # "Passwrot" -> "Passwort"

    return stemming.WORD.sub(replace, query)


def _typed_prefix(query: str, words: list[str]) -> str | None:
    """The word being typed: the query's last word when nothing follows it, of three letters or more."""
    last = next((m for m in reversed(list(stemming.words(query)))), None)
    if last is None or last.end() != len(query) or len(last.group()) < MIN_PREFIX:
        return None
    word = last.group().lower()
    return word if word in words else None


async def search_articles(
    *,
    session: AsyncSession,
    workspace_id: int,
    locale: str,
    query: str,
    limit: int = 10,
    offset: int = 0,
    as_you_type: bool = False,
) -> SearchResults:
    """``as_you_type``: the query is still being typed (the widget's suggestions), so its last word, when no
    space or punctuation follows it, also matches the words it begins ("refu" finds "refund") and is not
    corrected as a typo."""
    still_typing = as_you_type and query[-1:].isalnum()  # before trimming: a space ends the word
    query = clean_query(query)
    language = LANGUAGES.get(locale)
    words = query_words(query, language) if language else []
    if language is None or not words or limit <= 0:
        return SearchResults(query=query)
    prefix = _typed_prefix(query, words) if still_typing else None
    backend = _backend(session)
    corrections = await _corrections(
        session, backend, workspace_id, locale, language, [w for w in words if w != prefix]
    )
    searched = list(dict.fromkeys([*words, *corrections.values()]))
    rows = await backend.match_page(
        session,
        workspace_id=workspace_id,
        locale=locale,
        language=language,
        words=searched,
        limit=min(limit, MAX_LIMIT),
        offset=max(offset, 0),
        prefix=prefix,
    )
    marker = search_snippets.Marker(
        stems={stemming.stem(w, language) for w in searched},
        words=set(corrections.values()),
        language=language,
        prefix=stemming.fold(prefix) if prefix else "",
    )
    hits = [
        SearchHit(
            translation_id=translation_id,
            article_id=article_id,
            locale=locale,
            slug=slug,
            title=title or "",
            description=description or "",
            snippet_html=search_snippets.snippet_html(text or "", marker),
            published_at=published_at,
            score=float(score),
            title_html=search_snippets.marked_html(title or "", marker),
        )
        for translation_id, article_id, slug, title, description, text, published_at, score, _ in rows
    ]
    # Every match is ranked to find the best ones, so the count comes with the page (0 past the last page).
    total = int(rows[0][-1]) if rows else 0
    return SearchResults(
        query=query,
        hits=hits,
        total=total,
        corrected_query=_corrected_query(query, corrections) if corrections else None,
    )
