"""The widget's texts: one catalogue in widget.js, every language complete, every key used defined."""

from __future__ import annotations

import json
import re
from pathlib import Path

WIDGET_JS = Path(__file__).parents[2] / "src" / "frontdesk" / "widget" / "static" / "widget.js"


def _source() -> str:
    return WIDGET_JS.read_text(encoding="utf-8")


def _catalogue() -> dict[str, dict[str, str]]:
    block = _source().split("// TEXTS-BEGIN", 1)[1].split("// TEXTS-END", 1)[0]
    literal = block.split("=", 1)[1].strip().rstrip(";")
    catalogue: dict[str, dict[str, str]] = json.loads(literal)  # written as strict JSON on purpose
    return catalogue


def test_english_and_german_have_the_same_keys_and_no_empty_text() -> None:
    catalogue = _catalogue()
    assert {"en", "de"} <= catalogue.keys()
    english = set(catalogue["en"])
    for language, texts in catalogue.items():
        assert set(texts) == english, f"{language}: missing {english - set(texts)}, extra {set(texts) - english}"
        assert all(isinstance(text, str) and text.strip() for text in texts.values()), language
        # A placeholder in one language is in every language: {n} and {name} are filled in by t().
        for key, text in texts.items():
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", catalogue["en"][key])), key


def test_every_key_the_widget_uses_is_in_the_catalogue() -> None:
    used = set(re.findall(r"""\bt\(\s*"([a-z_]+)"\s*[,)]""", _source()))
    # Keys built at run time: the status names of the conversation list.
    used |= {f"status_{status}" for status in ("open", "pending", "snoozed", "resolved")}
    assert len(used) > 40
    assert used - set(_catalogue()["en"]) == set()
    assert 't("status_" + c.status)' in _source()


def test_german_texts_are_german() -> None:
    german = _catalogue()["de"]
    assert german["send"] == "Senden" and german["ended"] == "Dieses Gespräch ist beendet."
    assert sum(german[key] == text for key, text in _catalogue()["en"].items()) <= 2  # "Chat", nothing else alike
