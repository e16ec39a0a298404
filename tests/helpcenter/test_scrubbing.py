"""What identifies a customer never stays in text kept beyond them (drafts from replies, search logs)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from frontdesk.helpcenter.scrubbing import scrub

PLACEHOLDER_WORDS = {"name", "link", "number", "email"}
names = st.from_regex(r"[A-Za-zÀ-ÿ]{3,12}( [A-Za-zÀ-ÿ]{3,12})?", fullmatch=True).filter(
    lambda name: not {part.lower() for part in name.split()} & PLACEHOLDER_WORDS
)
filler = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(name=names, before=filler, after=filler, digits=st.from_regex(r"[0-9]{5,12}", fullmatch=True))
def test_names_addresses_and_long_numbers_never_stay(name: str, before: str, after: str, digits: str) -> None:
    text = f"{before} I am {name}, order {digits}, write to {name.split()[0].lower()}@shop.example {after}"
    scrubbed = scrub(text, names=[name])
    for part in name.split():
        assert not re.search(rf"(?<!\w){re.escape(part)}(?!\w)", scrubbed, flags=re.IGNORECASE)
    assert digits not in scrubbed and "@shop.example" not in scrubbed


def test_links_stay_whole_when_kept_and_go_when_not() -> None:
    reply = "Hi Ana, see http://127.0.0.1:8000/help/x/en/articles/returns or call 030 1234567"
    assert scrub(reply, names=["Ana Ruiz"], links=False) == (
        "Hi [name], see http://127.0.0.1:8000/help/x/en/articles/returns or call [number]"
    )
    assert scrub(reply, names=["Ana Ruiz"]) == "Hi [name], see [link] or call [number]"
    assert scrub("Size 42, from 2026, Al and Li") == "Size 42, from 2026, Al and Li"  # short words and years stay
