"""The search index on SQLite: FTS5 over Snowball stems, BM25 with the title weighted, a trigram table for typos.

``help_search_documents`` (migration 0016) holds per published version one ``scope`` token (``w12en``: one
workspace's one language), the title's and the body's stems (stemming.stemmed_text); its rowid is the
version's id. The FTS tables have no foreign keys: every removal is explicit here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import UTCDateTime
from frontdesk.helpcenter import stemming

# Title matches count ten times body matches (scope has weight 0: it only selects).
_RANK = "bm25(help_search_documents, 0, 10.0, 1.0)"
# SQLite's default limit of bound variables is 32766 (3.32+); stay far below in one statement.
_CHUNK = 500


def scope_token(workspace_id: int, locale: str) -> str:
    return f"w{workspace_id}{locale}"


def _quoted(term: str) -> str:
    """An FTS5 string: whatever the user typed is a literal term, never syntax."""
    return '"' + term.replace('"', '""') + '"'


async def replace_document(
    session: AsyncSession, *, translation_id: int, workspace_id: int, locale: str, language: str, title: str, body: str
) -> None:
    await delete_documents(session, [translation_id])
    await session.execute(
        text("INSERT INTO help_search_documents (rowid, scope, title, body) VALUES (:id, :scope, :title, :body)"),
        {
            "id": translation_id,
            "scope": scope_token(workspace_id, locale),
            "title": stemming.stemmed_text(title, language),
            "body": stemming.stemmed_text(body, language),
        },
    )


async def delete_documents(session: AsyncSession, translation_ids: Sequence[int]) -> None:
    for start in range(0, len(translation_ids), _CHUNK):
        await session.execute(
            text("DELETE FROM help_search_documents WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"ids": list(translation_ids[start : start + _CHUNK])},
        )


async def has_document(session: AsyncSession, translation_id: int) -> bool:
    found = await session.scalar(text("SELECT 1 FROM help_search_documents WHERE rowid = :id"), {"id": translation_id})
    return found is not None


async def delete_vocabulary(session: AsyncSession, *, workspace_id: int, locale: str, words: list[str]) -> None:
    """Words out of the vocabulary and the trigram table (GLOB uses the trigram index; words hold no wildcards)."""
    for start in range(0, len(words), _CHUNK):
        await session.execute(
            text(
                "DELETE FROM help_search_words WHERE workspace_id = :ws AND locale = :locale AND word IN :words"
            ).bindparams(bindparam("words", expanding=True)),
            {"ws": workspace_id, "locale": locale, "words": words[start : start + _CHUNK]},
        )
    scope = scope_token(workspace_id, locale)
    await session.execute(
        text("DELETE FROM help_search_trigrams WHERE word GLOB :word AND scope = :scope"),
        [{"word": w, "scope": scope} for w in words],
    )


async def add_vocabulary(session: AsyncSession, *, workspace_id: int, locale: str, words: set[str]) -> None:
    """Words not yet known go into the vocabulary and the trigram table (only new ones: no duplicates there)."""
    ordered = sorted(words)
    new: list[str] = []
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        known = set(
            await session.scalars(
                text(
                    "SELECT word FROM help_search_words "
                    "WHERE workspace_id = :ws AND locale = :locale AND word IN :words"
                ).bindparams(bindparam("words", expanding=True)),
                {"ws": workspace_id, "locale": locale, "words": chunk},
            )
        )
        new.extend(w for w in chunk if w not in known)
    if not new:
        return
    scope = scope_token(workspace_id, locale)
    await session.execute(
        text("INSERT INTO help_search_words (workspace_id, locale, word) VALUES (:ws, :locale, :word)"),
        [{"ws": workspace_id, "locale": locale, "word": w} for w in new],
    )
    await session.execute(
        text("INSERT INTO help_search_trigrams (word, scope) VALUES (:word, :scope)"),
        [{"word": w, "scope": scope} for w in new],
    )


async def correction_candidates(
    session: AsyncSession, *, workspace_id: int, locale: str, words: list[str]
) -> dict[str, list[str]]:
    """Vocabulary words sharing trigrams with each misspelt word, most shared first (at most 200 per word)."""
    scope = scope_token(workspace_id, locale)
    candidates: dict[str, list[str]] = {}
    for word in words:
        trigrams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
        if not trigrams:
            continue
        rows = await session.scalars(
            text(
                "SELECT word FROM help_search_trigrams WHERE help_search_trigrams MATCH :match AND scope = :scope "
                "ORDER BY rank LIMIT 200"
            ),
            {"match": "word : (" + " OR ".join(_quoted(t) for t in trigrams) + ")", "scope": scope},
        )
        candidates[word] = list(rows)
    return candidates


def match_expression(
    *, workspace_id: int, locale: str, language: str, words: list[str], prefix: str | None = None
) -> str:
    """FTS5 MATCH text: the workspace's language, and any of the words' stems (or a stem starting with the
    prefix) in the title or the body."""
    terms = [_quoted(t) for t in sorted(set(stemming.stems(words, language)))]
    if prefix:
        terms.append(_quoted(stemming.fold(prefix)) + " *")
    return f"scope : {_quoted(scope_token(workspace_id, locale))} AND " + "{title body} : (" + " OR ".join(terms) + ")"


async def match_page(
    session: AsyncSession,
    *,
    workspace_id: int,
    locale: str,
    language: str,
    words: list[str],
    limit: int,
    offset: int,
    prefix: str | None = None,
) -> Sequence[Row[tuple[int, int, str, str, str, str, object, float, int]]]:
    """One page of published versions matching any word (by stem), best first, each row with the match count."""
    match = match_expression(workspace_id=workspace_id, locale=locale, language=language, words=words, prefix=prefix)
    # bm25() only works in a plain query of the FTS table: rank there, then read the page's versions only.
    result = await session.execute(
        text(
            "WITH matched AS MATERIALIZED ("
            f"SELECT rowid AS id, -{_RANK} AS score FROM help_search_documents "
            "WHERE help_search_documents MATCH :match), "
            "page AS MATERIALIZED ("
            "SELECT id, score, count(*) OVER () AS total FROM matched "
            "ORDER BY score DESC, id LIMIT :limit OFFSET :offset) "
            "SELECT t.id, t.article_id, t.slug, t.published_title, t.published_description, t.published_text, "
            "t.published_at, page.score, page.total "
            "FROM page JOIN help_translations AS t ON t.id = page.id "
            # The index alone is not trusted (FTS rows have no foreign keys): the version itself must be of this
            # workspace and language, and published.
            "WHERE t.workspace_id = :ws AND t.locale = :locale AND t.published_at IS NOT NULL "
            "ORDER BY page.score DESC, t.id"
        ).columns(published_at=UTCDateTime()),
        {"match": match, "limit": limit, "offset": offset, "ws": workspace_id, "locale": locale},
    )
    return result.all()
