"""Numbers typed into URLs, forms and headers are read as ASCII digits only, everywhere.

``str.isdigit`` is true for "²" (which ``int`` refuses: a server error) and for "١٢" (which ``int`` reads as
12: a second spelling of one value). Every place that reads a number from text goes through
``frontdesk.inputs.whole_number``/``parse_id`` or checks ``isascii`` beside ``isdigit``; the scan below keeps
it so for code written later.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from frontdesk.inputs import MAX_ID, parse_id, whole_number

SOURCE = Path(__file__).parent.parent / "src" / "frontdesk"


@given(st.text(max_size=25))
def test_a_whole_number_is_ascii_digits_and_nothing_else(text: str) -> None:
    value = whole_number(text)
    stripped = text.strip()
    if re.fullmatch(r"[0-9]{1,18}", stripped):
        assert value == int(stripped)
    else:
        assert value is None
    digits = re.fullmatch(r"[0-9]{1,19}", stripped)
    assert parse_id(text) == (int(stripped) if digits and 1 <= int(stripped) <= MAX_ID else None)


def test_superscripts_other_scripts_and_overlong_ids_are_not_numbers() -> None:
    assert [whole_number(text) for text in ("²", "١٢", "1²", "12", " 7 ")] == [None, None, None, 12, 7]
    assert [parse_id(text) for text in ("0", "1", str(MAX_ID), str(MAX_ID + 1), "9" * 20)] == [
        None, 1, MAX_ID, None, None
    ]  # fmt: skip


def test_no_code_turns_isdigit_text_into_an_int_without_isascii() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ".isdigit()" in line and "int(" in line and ".isascii()" not in line
    ]
    assert offenders == [], "read numbers with frontdesk.inputs.whole_number or parse_id"
