"""A customer's words made fit to keep beside the business's own: what identifies them replaced by placeholders.

Visitors type their address, an order or phone number and their name into questions ("I'm Ana Ruiz, order
100234 never came, ana@x.de"). Search logs keep only the question, and a draft article made from a chat starts
from the question and the reply without the customer in them. The placeholders say what was there, so an
editor sees where the text needs a general word instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(r"[^\s@,;]+@[^\s@,;]*[^\s@,;.?!)]")
NUMBER = re.compile(r"\+?\d[\d\s().\-/]{3,}\d")  # five characters or more
LINK = re.compile(r"https?://\S+", re.IGNORECASE)
MIN_NAME = 3  # shorter name parts ("Li", "Al") are too often ordinary words


def _long_number(match: re.Match[str]) -> str:
    """Five digits or more: an order, phone, customer or card number (a year or a price is left)."""
    return "[number]" if sum(c.isdigit() for c in match.group(0)) >= 5 else match.group(0)


def scrub(text: str, *, names: Iterable[str] = (), links: bool = True) -> str:
    """``text`` with e-mail addresses, long numbers and the given names replaced, and links too when ``links``;
    a link that stays is left whole (its host's digits are no phone number)."""
    words = sorted(
        {part for name in names for part in [name, *name.split()] if len(part) >= MIN_NAME}, key=len, reverse=True
    )  # "Ana Ruiz" before "Ana"
    pieces: list[str] = []
    start = 0
    for link in LINK.finditer(text):
        pieces += [_scrub_words(text[start : link.start()], words), "[link]" if links else link.group(0)]
        start = link.end()
    return "".join([*pieces, _scrub_words(text[start:], words)])


def _scrub_words(text: str, names: list[str]) -> str:
    text = NUMBER.sub(_long_number, EMAIL.sub("[email]", text))
    for name in names:
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text
