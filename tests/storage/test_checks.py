"""Files are judged by their bytes: each allowed type is accepted under any name, anything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.errors import InvalidInput
from frontdesk.storage.checks import ALLOWED_TYPES, MAX_FILENAME, PLAIN_TEXT, check_file, safe_filename
from tests.storage.samples import ALLOWED, PNG, REFUSED

CAP = 10_000


@pytest.mark.parametrize(("data", "name", "content_type", "extension"), ALLOWED, ids=[a[1] for a in ALLOWED])
def test_each_allowed_type_is_found_from_its_bytes(data: bytes, name: str, content_type: str, extension: str) -> None:
    checked = check_file(data, name, max_bytes=CAP)
    assert checked.content_type == content_type
    assert checked.filename == name and checked.data == data


@pytest.mark.parametrize(("data", "name", "content_type", "extension"), ALLOWED, ids=[a[1] for a in ALLOWED])
def test_a_misleading_name_gets_the_extension_of_the_type_found(
    data: bytes, name: str, content_type: str, extension: str
) -> None:
    if content_type == "text/csv":
        return  # text has no signature: a .csv name is the only thing telling CSV from plain text
    checked = check_file(data, "holiday.exe", max_bytes=CAP)
    assert checked.content_type == content_type
    assert checked.filename.endswith("." + checked.type.extensions[0])
    assert not checked.filename.endswith(".exe")


@pytest.mark.parametrize(("data", "name"), REFUSED, ids=[f"{i}-{r[1]}" for i, r in enumerate(REFUSED)])
def test_programs_markup_and_unknown_bytes_are_refused_whatever_their_name(data: bytes, name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_file(data, name, max_bytes=CAP)
    assert refused.value.errors[0]["field"] == "file"


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        check_file(b"", "empty.txt", max_bytes=CAP)


def test_the_size_cap_is_exact() -> None:
    assert check_file(b"a" * CAP, "full.txt", max_bytes=CAP).data == b"a" * CAP
    with pytest.raises(InvalidInput, match="larger than"):
        check_file(b"a" * (CAP + 1), "over.txt", max_bytes=CAP)
    with pytest.raises(InvalidInput, match="larger than"):
        check_file(PNG + b"\x00" * CAP, "big.png", max_bytes=CAP)


def test_svg_and_html_are_never_on_the_list() -> None:
    types = {t.content_type for t in ALLOWED_TYPES}
    runnable = {"image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/javascript"}
    assert not types & runnable and not any("svg" in t or "html" in t for t in types)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("C:\\Users\\ann\\notes.txt", "notes.txt"),
        ("re\x00port\x1b[31m.txt", "report[31m.txt"),
        ("...", "file.txt"),
        ("", "file.txt"),
        (" spaced   out .md ", "spaced out.md"),
        ("right\u202eexe.txt", "rightexe.txt"),  # no right-to-left override to disguise the extension
        ("holiday.exe", "holiday.txt"),  # the extension of what the bytes are, not of what the name says
        ("v1.2 notes", "v1.2 notes.txt"),
    ],
)
def test_filenames_lose_paths_and_control_characters(given: str, expected: str) -> None:
    assert safe_filename(given, PLAIN_TEXT) == expected


@given(st.text(max_size=600), st.sampled_from(ALLOWED_TYPES))
def test_any_filename_becomes_a_safe_one_with_a_matching_extension(raw: str, file_type: object) -> None:
    from frontdesk.storage.checks import FileType

    assert isinstance(file_type, FileType)
    name = safe_filename(raw, file_type)
    assert 0 < len(name) <= MAX_FILENAME
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in name)
    assert not name.startswith(".") and name.strip() == name
    stem, _, extension = name.rpartition(".")
    assert stem and extension in file_type.extensions
    assert safe_filename(name, file_type) == name  # already safe: kept as it is


@given(st.binary(max_size=2048), st.text(max_size=40))
def test_any_bytes_are_either_an_allowed_type_or_refused_on_file(data: bytes, name: str) -> None:
    try:
        checked = check_file(data, name, max_bytes=CAP)
    except InvalidInput as refused:
        assert refused.errors[0]["field"] == "file"
        return
    assert checked.type in ALLOWED_TYPES and checked.data == data
    if checked.content_type.startswith("text/"):  # text passes only as UTF-8 without NUL or markup
        text = data.decode("utf-8")
        assert "\x00" not in text and "<script" not in text.lower() and "<svg" not in text.lower()
