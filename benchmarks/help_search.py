"""Help center search: latency p50/p99 of search_articles (match, rank, typo check, snippets) against a bare
full-text query (no ranking, no snippets) run interleaved in the same run, and the share of the relevance
fixture's queries whose expected article is first / in the top 3 among thousands of generated articles, on
SQLite and PostgreSQL. Each run gets fresh temporary databases.

    python benchmarks/help_search.py [--articles 5000] [--queries 200] [--database-url URL] [--skip-sqlite]
                                     [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.helpcenter.relevance_fixture
os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

from scratch import scratch_postgres_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.helpcenter.relevance_fixture import ARTICLES, QUERIES, FixtureArticle, create_fixture_articles

from frontdesk.db import create_engine, create_session_factory, migrate, utcnow
from frontdesk.helpcenter import search, text_search_sqlite
from frontdesk.helpcenter.markdown import html_to_text, render_html
from frontdesk.helpcenter.models import LANGUAGES, HelpArticle, HelpTranslation
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import Principal, do_create_workspace

# Generated articles: shop words that also appear in the fixture (so they compete) and filler.
NOISE_TEXT = {
    "en": (
        "order orders delivery parcel account payment item items product products customer store shop email "
        "checkout price prices size colour stock discount shipping carrier warehouse return invoice card "
        "business days week weekend hours support team message chat phone app website newsletter offer sale "
        "collection spring summer autumn winter jacket shirt trousers shoes bag scarf coat dress wool cotton "
        "leather material quality label package box gift event opening branch city country region language "
        "review rating photo video guide tips care storage battery charger cable screen update version feature "
        "setting profile wishlist basket voucher member club partner program survey feedback complaint team"
    ),
    "de": (
        "Bestellung Lieferung Paket Konto Zahlung Artikel Produkt Kunde Laden Shop E-Mail Kasse Preis Größe "
        "Farbe Lager Rabatt Versand Paketdienst Rechnung Karte Werktage Woche Wochenende Stunden Kundendienst "
        "Nachricht Telefon Webseite Newsletter Angebot Sale Kollektion Frühling Sommer Herbst Winter Jacke Hemd "
        "Hose Schuhe Tasche Schal Mantel Kleid Wolle Baumwolle Leder Material Qualität Etikett Karton Geschenk "
        "Filiale Stadt Land Sprache Bewertung Foto Anleitung Tipps Pflege Akku Ladegerät Kabel Bildschirm "
        "Einstellung Profil Wunschliste Warenkorb Gutschein Mitglied Programm Umfrage Beschwerde Team"
    ),
}
TITLES = {
    "en": ["About our {a}", "{A} and {b} explained", "Everything about {a} {b}", "The {a} {b} for {c}"],
    "de": ["Alles über {a}", "{A} und {b}", "Hinweise zu {a} und {b}", "{A} im Überblick"],
}
NOISE_WORDS = {locale: words.split() for locale, words in NOISE_TEXT.items()}
GLUE = {
    locale: words.split()
    for locale, words in {
        "en": "the a our your with for and in of to from on is are can will",
        "de": "der die das und mit für im in zu von auf ist sind kann wird",
    }.items()
}


def noise_article(rng: random.Random, n: int, locale: str) -> FixtureArticle:
    vocabulary, glue = NOISE_WORDS[locale], GLUE[locale]
    a, b, c = rng.sample(vocabulary, 3)
    title = rng.choice(TITLES[locale]).format(a=a, b=b, c=c, A=a.capitalize())
    sentences = []
    for _ in range(rng.randint(4, 10)):
        words = [rng.choice(vocabulary) if rng.random() < 0.6 else rng.choice(glue) for _ in range(rng.randint(6, 14))]
        sentences.append(" ".join(words).capitalize() + ".")
    return FixtureArticle(f"noise-{n}", locale, f"{title} ({n})", " ".join(sentences))


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :] if rng.random() < 0.5 else word[:i] + word[i + 1 :]


def make_queries(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(locale, query): every fixture query, then generated word combinations and misspelt words."""
    queries = [(q.locale, q.query) for q in QUERIES]
    while len(queries) < count:
        locale = rng.choice(["en", "de"])
        vocabulary = [w for w in NOISE_WORDS[locale] if len(w) >= 5]
        if rng.random() < 0.25:
            queries.append((locale, typo(rng, rng.choice(vocabulary).lower())))
        else:
            queries.append((locale, " ".join(rng.sample(NOISE_WORDS[locale] + GLUE[locale], rng.randint(1, 4)))))
    return queries[:count]


async def build(url: str, articles: int, label: str) -> tuple[int, dict[str, int], float]:
    engine = create_engine(url)
    await migrate(engine)
    started = time.perf_counter()
    factory = create_session_factory(engine)
    async with factory.begin() as session:
        workspace, _, _ = await do_create_workspace(
            session=session,
            name="Bench Shop",
            admin=AgentCreate(email="admin@bench.example", display_name="Admin", password="correct-horse-battery"),
        )
        by = Principal(workspace_id=workspace.id, role=Role.editor, label="Bench Editor")
        ids = await create_fixture_articles(session=session, workspace_id=workspace.id, by=by)
    rng = random.Random(16)
    batch = 250
    for first in range(0, max(0, articles - len(ARTICLES)), batch):
        noise = [
            noise_article(rng, n, "en" if n % 2 else "de")
            for n in range(first, min(first + batch, articles - len(ARTICLES)))
        ]
        async with factory.begin() as session:
            await add_published_noise(session, workspace.id, noise)
        done = len(ARTICLES) + first + len(noise)
        print(f"\r{label}: {done}/{articles} articles, {time.perf_counter() - started:.0f} s", end="", flush=True)
    print()
    async with engine.begin() as connection:
        # The planner's statistics, as autovacuum would gather them after such a burst of writes.
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return workspace.id, ids, time.perf_counter() - started


async def add_published_noise(session: AsyncSession, workspace_id: int, noise: list[FixtureArticle]) -> None:
    """Published articles written straight to the tables (the fixture's go through the service): publishing
    through the service resolves article links over every published article, which grows with each one and
    would make building 5,000 articles take most of the run. What the search sees is the same: the published
    copy, indexed by search.index_translation."""
    now = utcnow()
    articles = [HelpArticle(workspace_id=workspace_id) for _ in noise]
    session.add_all(articles)
    await session.flush()
    translations = []
    for article, generated in zip(articles, noise, strict=True):
        published_html = render_html(generated.body)
        translations.append(
            HelpTranslation(
                workspace_id=workspace_id,
                article_id=article.id,
                locale=generated.locale,
                slug=generated.key,
                title=generated.title,
                description="",
                body=generated.body,
                published_title=generated.title,
                published_description="",
                published_html=published_html,
                published_text=html_to_text(published_html),
                published_at=now,
                updated_by="Benchmark",
                updated_at=now,
            )
        )
    session.add_all(translations)
    await session.flush()
    for translation in translations:
        await search.index_translation(session=session, translation=translation)


async def bare_query(session: AsyncSession, workspace_id: int, locale: str, query: str) -> None:
    """The same words through the full-text index alone: no ranking, no typo check, no snippets."""
    language = LANGUAGES[locale]
    words = search.query_words(search.clean_query(query), language)
    if not words:
        return
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT translation_id FROM help_search_documents WHERE workspace_id = :ws AND locale = :locale "
                "AND document @@ to_tsquery(CAST(:cfg AS regconfig), :query) LIMIT 10"
            ),
            {"ws": workspace_id, "locale": locale, "cfg": language, "query": " | ".join(words)},
        )
    else:
        match = text_search_sqlite.match_expression(
            workspace_id=workspace_id, locale=locale, language=language, words=words
        )
        await session.execute(
            text("SELECT rowid FROM help_search_documents WHERE help_search_documents MATCH :match LIMIT 10"),
            {"match": match},
        )


@dataclass
class Figures:
    database: str
    build_s: float
    search_ms: list[float]
    bare_ms: list[float]
    first: float
    top3: float
    not_first: list[str]


async def measure(url: str, database: str, articles: int, queries: int) -> Figures:
    workspace_id, ids, build_s = await build(url, articles, database)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    search_ms: list[float] = []
    bare_ms: list[float] = []
    rng = random.Random(8)
    workload = make_queries(rng, queries)
    for warm_locale, warm_query in workload[:10]:  # caches and prepared statements, not measured
        async with factory() as session:
            await search.search_articles(
                session=session, workspace_id=workspace_id, locale=warm_locale, query=warm_query
            )
            await bare_query(session, workspace_id, warm_locale, warm_query)
    for n, (locale, query) in enumerate(workload):
        async with factory() as session:
            for which in ("search", "bare") if n % 2 else ("bare", "search"):
                started = time.perf_counter()
                if which == "search":
                    await search.search_articles(session=session, workspace_id=workspace_id, locale=locale, query=query)
                    search_ms.append((time.perf_counter() - started) * 1000)
                else:
                    await bare_query(session, workspace_id, locale, query)
                    bare_ms.append((time.perf_counter() - started) * 1000)
    first = top3 = 0
    not_first: list[str] = []
    async with factory() as session:
        for case in QUERIES:
            results = await search.search_articles(
                session=session, workspace_id=workspace_id, locale=case.locale, query=case.query, limit=3
            )
            found = [hit.translation_id for hit in results.hits]
            first += bool(found) and found[0] == ids[case.expected]
            top3 += ids[case.expected] in found
            if not found or found[0] != ids[case.expected]:
                not_first.append(case.query)
    await engine.dispose()
    return Figures(database, build_s, search_ms, bare_ms, first / len(QUERIES), top3 / len(QUERIES), not_first)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _print(results: list[Figures], articles: int, queries: int) -> None:
    print(f"\nHelp center search: {articles} articles (en + de), {queries} queries, {len(QUERIES)} fixture queries")
    print(
        f"{'':<12}{'build s':>8}{'search p50':>11}{'p99 ms':>8}{'bare p50':>10}{'p99 ms':>8}"
        f"{'ratio p50':>10}{'p99':>6}{'first':>8}{'top 3':>8}"
    )
    for r in results:
        s50, s99 = statistics.median(r.search_ms), _percentile(r.search_ms, 0.99)
        b50, b99 = statistics.median(r.bare_ms), _percentile(r.bare_ms, 0.99)
        print(
            f"{r.database:<12}{r.build_s:>8.0f}{s50:>11.2f}{s99:>8.2f}{b50:>10.2f}{b99:>8.2f}"
            f"{s50 / b50:>10.1f}{s99 / b99:>6.1f}{r.first:>8.0%}{r.top3:>8.0%}"
        )
    for r in results:
        if r.not_first:
            print(f"{r.database}: expected article not first for {', '.join(repr(q) for q in r.not_first)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000, help="articles in all, the fixture's included")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", help="one database to use instead of both (migrated; must be empty)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FRONTDESK_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
        help="server on which a scratch database is created",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    results: list[Figures] = []
    if args.database_url:
        name = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
        results.append(await measure(args.database_url, name, args.articles, args.queries))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            if not args.skip_sqlite:
                url = f"sqlite+aiosqlite:///{tmp}/help_search.db"
                results.append(await measure(url, "sqlite", args.articles, args.queries))
            if not args.skip_postgres:
                async with scratch_postgres_database(args.postgres_url) as url:
                    results.append(await measure(url, "postgresql", args.articles, args.queries))
    _print(results, args.articles, args.queries)


if __name__ == "__main__":
    asyncio.run(main())
