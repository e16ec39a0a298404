"""The parts of search that need no database: stop words, stems, typo correction, snippets."""

from __future__ import annotations

from frontdesk.helpcenter import search, stemming
from frontdesk.helpcenter.search_snippets import Marker, snippet_html
from frontdesk.helpcenter.typos import closest_word


def test_stop_words_are_postgresqls_and_questions_keep_their_topic() -> None:
    assert {"the", "how", "do", "i", "my"} <= stemming.stop_words("english")
    assert {"und", "für", "über", "ich"} <= stemming.stop_words("german")
    assert search.query_words("How do I return my ORDER? my order!", "english") == ["return", "order"]
    assert search.query_words("the and of", "english") == []


def test_stems_are_snowballs_and_german_folds_umlauts_like_sqlite() -> None:
    assert stemming.stem("refunded", "english") == stemming.stem("refunds", "english") == "refund"
    assert stemming.stem("shipping", "english") == stemming.stem("ships", "english")
    assert stemming.stem("rücksendungen", "german") == stemming.stem("rücksendung", "german") == "rucksend"
    assert stemming.stemmed_text("Die Rücksendung & der Versand", "german") == "rucksend versand"


def test_query_is_trimmed_collapsed_and_cut() -> None:
    assert search.clean_query("  where   is\tmy \n parcel ") == "where is my parcel"
    assert len(search.clean_query("x" * 1000)) == search.MAX_QUERY


def test_a_misspelt_word_goes_to_the_closest_word_within_the_allowed_edits() -> None:
    assert closest_word("refnud", ["return", "refunds", "refund"]) == "refund"
    assert closest_word("pasword", ["passport", "password"]) == "password"
    assert closest_word("warrenty", ["warranty", "warrant"]) == "warranty"
    assert closest_word("bolt", ["colt", "bold"]) == "bold"  # one edit each: the same first letter wins
    assert closest_word("parcle", ["purple"]) is None  # three edits away: not a typo of it
    assert closest_word("refund", ["refund"]) is None  # nothing to correct


def test_the_snippet_is_the_window_with_the_most_query_words() -> None:
    marker = Marker(stems={"refund", "card"}, words=set(), language="english")
    text = " ".join(f"filler{i}" for i in range(100)) + " Card refunds take five days. " + "tail " * 50
    snippet = snippet_html(text, marker)
    assert "<mark>Card</mark> <mark>refunds</mark> take five days." in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    short = snippet_html("A refund & <b>", marker)
    assert short == "A <mark>refund</mark> &amp; &lt;b&gt;"
    assert snippet_html("", marker) == ""
