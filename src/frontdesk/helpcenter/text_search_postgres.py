"""The search index on PostgreSQL: a weighted ``tsvector`` per published version (GIN), pg_trgm for typos.

``help_search_documents`` (migration 0016): ``document`` = title at weight A || body at weight B, built by the
database with the version's language configuration (``english`` / ``german``: Snowball stems, stop words).
Queries are built from cleaned words only (letters and digits, see stemming.WORD) joined with ``|``, so
``to_tsquery`` never sees user syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from frontdesk.db import UTCDateTime

# ts_rank weights for {D, C, B, A}: a title (A) match is worth five body (B) matches. Normalisation 1 divides
# by 1 + log(document length) so long articles do not win by repeating a word.
_RANK = "ts_rank('{0.02, 0.05, 0.2, 1.0}', matched.document, terms.query, 1)"
# Similarity from which vocabulary words are candidates for a misspelt word ("refnud" ~ "refund" is 0.27,
# under pg_trgm's default 0.3); the edit distance then decides.
_TRIGRAM_THRESHOLD = "0.2"


# Every step is a MATERIALIZED CTE so that a plan made without statistics (a new workspace's first articles)
# still computes each step once: the words' queries, the matches, the scope's size, each word's rank in each
# match, each word's rarity, then the page; only the page's rows are read from help_translations.
MATCH_PAGE_SQL = (
    "WITH terms AS MATERIALIZED ("
    "SELECT typed.i, to_tsquery(CAST(:cfg AS regconfig), typed.word) AS query "
    "FROM unnest(:words) WITH ORDINALITY AS typed(word, i)), "
    "matched AS MATERIALIZED ("
    "SELECT translation_id, document FROM help_search_documents "
    "WHERE workspace_id = :ws AND locale = :locale "
    "AND document @@ to_tsquery(CAST(:cfg AS regconfig), :query)), "
    "scope AS MATERIALIZED ("
    "SELECT count(*) AS n FROM help_search_documents WHERE workspace_id = :ws AND locale = :locale), "
    "hits AS MATERIALIZED ("
    f"SELECT matched.translation_id, terms.i, {_RANK} AS term_rank "
    "FROM matched JOIN terms ON matched.document @@ terms.query), "
    "rarity AS MATERIALIZED ("
    "SELECT hits.i, ln(1 + (scope.n - count(*) + 0.5) / (count(*) + 0.5)) AS idf "
    "FROM hits CROSS JOIN scope GROUP BY hits.i, scope.n), "
    "scored AS MATERIALIZED ("
    "SELECT hits.translation_id, sum(hits.term_rank * rarity.idf) AS score, count(*) OVER () AS total "
    "FROM hits JOIN rarity ON rarity.i = hits.i GROUP BY hits.translation_id "
    "ORDER BY score DESC, hits.translation_id LIMIT :limit OFFSET :offset) "
    "SELECT t.id, t.article_id, t.slug, t.published_title, t.published_description, t.published_text, "
    "t.published_at, scored.score, scored.total "
    "FROM scored JOIN help_translations AS t ON t.id = scored.translation_id "
    "WHERE t.workspace_id = :ws AND t.locale = :locale AND t.published_at IS NOT NULL "
    "ORDER BY scored.score DESC, t.id"
)


async def replace_document(
    session: AsyncSession, *, translation_id: int, workspace_id: int, locale: str, language: str, title: str, body: str
) -> None:
    await session.execute(
        text(
            "INSERT INTO help_search_documents (translation_id, workspace_id, locale, document) "
            "VALUES (:id, :ws, :locale, setweight(to_tsvector(CAST(:cfg AS regconfig), :title), 'A') "
            "|| setweight(to_tsvector(CAST(:cfg AS regconfig), :body), 'B')) "
            "ON CONFLICT (translation_id) DO UPDATE SET workspace_id = excluded.workspace_id, "
            "locale = excluded.locale, document = excluded.document"
        ),
        {"id": translation_id, "ws": workspace_id, "locale": locale, "cfg": language, "title": title, "body": body},
    )


async def delete_documents(session: AsyncSession, translation_ids: Sequence[int]) -> None:
    await session.execute(
        text("DELETE FROM help_search_documents WHERE translation_id = ANY(:ids)"), {"ids": list(translation_ids)}
    )


async def has_document(session: AsyncSession, translation_id: int) -> bool:
    found = await session.scalar(
        text("SELECT 1 FROM help_search_documents WHERE translation_id = :id"), {"id": translation_id}
    )
    return found is not None


async def delete_vocabulary(session: AsyncSession, *, workspace_id: int, locale: str, words: list[str]) -> None:
    await session.execute(
        text(
            "DELETE FROM help_search_words WHERE workspace_id = :ws AND locale = :locale "
            "AND word = ANY(CAST(:words AS varchar[]))"
        ),
        {"ws": workspace_id, "locale": locale, "words": words},
    )


async def add_vocabulary(session: AsyncSession, *, workspace_id: int, locale: str, words: set[str]) -> None:
    if not words:
        return
    await session.execute(
        text(
            "INSERT INTO help_search_words (workspace_id, locale, word) "
            "SELECT :ws, :locale, unnest(CAST(:words AS varchar[])) ON CONFLICT DO NOTHING"
        ),
        {"ws": workspace_id, "locale": locale, "words": sorted(words)},
    )


async def correction_candidates(
    session: AsyncSession, *, workspace_id: int, locale: str, words: list[str]
) -> dict[str, list[str]]:
    """Vocabulary words similar to each misspelt word (pg_trgm's GIN index), most similar first, 100 per word."""
    await session.execute(
        text("SELECT set_config('pg_trgm.similarity_threshold', :threshold, true)"), {"threshold": _TRIGRAM_THRESHOLD}
    )
    rows = await session.execute(
        text(
            "SELECT typed.word, nearby.word FROM unnest(:words) AS typed(word) CROSS JOIN LATERAL ("
            "SELECT word FROM help_search_words WHERE workspace_id = :ws AND locale = :locale AND word % typed.word "
            "ORDER BY similarity(word, typed.word) DESC, word LIMIT 100) AS nearby"
        ).bindparams(bindparam("words", type_=ARRAY(String))),
        {"ws": workspace_id, "locale": locale, "words": words},
    )
    candidates: dict[str, list[str]] = {word: [] for word in words}
    for typed, similar in rows:
        candidates[typed].append(similar)
    return candidates


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
    """One page of published versions matching any word (stemmed by the database), best first, with the count.
    A prefix (letters and digits only) matches the lexemes starting with it (``refu:*``).

    ts_rank knows no word rarity: "how do I return my order" would rank an article saying "order" four
    times above the one titled "return". So each word's rank is weighted by its BM25 inverse document
    frequency in the workspace's language (as SQLite's bm25() does), counted over the matches in the same query.
    """
    terms = sorted(set(words)) + ([f"{prefix}:*"] if prefix else [])
    result = await session.execute(
        text(MATCH_PAGE_SQL).bindparams(bindparam("words", type_=ARRAY(String))).columns(published_at=UTCDateTime()),
        {
            "cfg": language,
            "words": terms,
            "query": " | ".join(terms),
            "ws": workspace_id,
            "locale": locale,
            "limit": limit,
            "offset": offset,
        },
    )
    return result.all()
