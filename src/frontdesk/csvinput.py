"""Reading CSV files for import: one reader for every importer, the CLI and the API.

A file is checked whole before any row is written (``check``): its encoding, NUL characters, its CSV
structure and cell sizes, and that it has rows at all. A file that fails gets one clear error naming the line
(and the character, where that helps); nothing of it has been stored. Only then does ``read`` hand the rows to
an importer, which judges them one by one. Two passes over the file cost far less than writing its rows, and
they mean a broken file can never leave half of itself behind.

- Encoding: UTF-8, with or without a byte-order mark. Other encodings are refused by name: UTF-16 and UTF-32
  (byte-order mark), and bytes that are not UTF-8 (Latin-1, Windows-1252), with the line and byte offset of
  the first one, so the user knows to save the file as "CSV UTF-8".
- Line ends: ``\\n``, ``\\r\\n`` and a lone ``\\r`` (old Mac files) alike.
- A cell may be at most ``MAX_CELL_CHARS`` long; no field of Frontdesk takes more.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from frontdesk.errors import InvalidInput

MAX_CELL_CHARS = 131_072  # the csv module's own default limit, which is process-wide: we keep it, not raise it
CHUNK_BYTES = 1 << 20
FIELD = "file"

Header = list[str] | None
Rows = Iterator[tuple[int, list[str]]]

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field=FIELD)


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


class _Place:
    """Where the text decoded so far ends: line and characters into that line."""

    def __init__(self) -> None:
        self.line = 1
        self.column = 0
        self.last = ""

    def at(self, text: str) -> str:
        """'line L, character C' of the character that follows ``self`` + ``text``."""
        breaks = _line_breaks(self.last + text) - _line_breaks(self.last)
        last_break = max(text.rfind("\n"), text.rfind("\r"))
        column = len(text) - last_break if last_break >= 0 else self.column + len(text) + 1
        return f"line {self.line + breaks}, character {column}"

    def advance(self, text: str) -> None:
        if not text:
            return
        self.line += _line_breaks(self.last + text) - _line_breaks(self.last)
        last_break = max(text.rfind("\n"), text.rfind("\r"))
        self.column = len(text) - last_break - 1 if last_break >= 0 else self.column + len(text)
        self.last = text[-1]


def check_encoding(binary: BinaryIO) -> None:
    """Raise ``InvalidInput`` naming the first place that is not UTF-8 text or holds a NUL character."""
    head = binary.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise _refuse(f"the file is {name} text; save it as UTF-8 (in Excel: 'CSV UTF-8')")
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    place = _Place()
    fed = 0
    chunk = head
    while chunk:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            before = exc.object[: exc.start].decode("utf-8", "replace")
            offset = fed - (len(exc.object) - len(chunk)) + exc.start
            raise _refuse(
                f"{place.at(before)} (byte {offset + 1}, 0x{exc.object[exc.start]:02X}) is not UTF-8: the file "
                "looks like Latin-1, Windows-1252 or binary data; save it as UTF-8 (in Excel: 'CSV UTF-8')"
            ) from None
        nul = text.find("\x00")
        if nul >= 0:
            raise _refuse(f"{place.at(text[:nul])} is a NUL character: the file looks like binary data, not CSV text")
        fed += len(chunk)
        place.advance(text)
        chunk = binary.read(CHUNK_BYTES)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _refuse("the file ends in the middle of a UTF-8 character: it is cut short or not UTF-8") from None


def _reader(binary: BinaryIO) -> tuple[io.TextIOWrapper, Header, Rows]:
    stream = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, strict=True)

    def next_record() -> list[str] | None:
        line = reader.line_num + 1  # where the row starts (a quoted cell may span lines)
        try:
            return next(reader, None)
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise _refuse(f"line {line}: a cell is longer than {MAX_CELL_CHARS} characters") from None
            if "unexpected end of data" in str(exc):
                raise _refuse(f'line {line}: a quoted cell of this row is never closed (" missing)') from None
            raise _refuse(f"line {line}: the file is not valid CSV ({exc})") from None

    header = next_record()
    while header and not header[-1].strip():
        header.pop()  # spreadsheets often save empty columns after the last named one

    def numbered() -> Rows:
        while (values := next_record()) is not None:
            if any(value.strip() for value in values):
                yield reader.line_num, values

    return stream, header, numbered()


def check(binary: BinaryIO) -> int:
    """Check the whole file (see the module's description) and return its number of rows below the header."""
    check_encoding(binary)
    binary.seek(0)
    stream, header, rows = _reader(binary)
    try:
        if not header or not any(column.strip() for column in header):
            raise _refuse("the file is empty: the first line must name the columns")
        count = sum(1 for _ in rows)
        if count == 0:
            raise _refuse("the file has a header line but no rows below it")
    finally:
        stream.detach()  # the caller's file stays open for ``read``
    binary.seek(0)
    return count


def unnamed_column(header: list[str]) -> InvalidInput | None:
    """The error for a header with a column without a name (between named ones), if it has one."""
    for index, name in enumerate(header):
        if not name.strip():
            return InvalidInput(f"column {index + 1} has no name in the header line", field=FIELD)
    return None


def read(binary: BinaryIO) -> tuple[Header, Rows]:
    """The header (without empty trailing columns) and the non-blank rows as (line number, cells); the header is
    line 1. ``check`` first."""
    _, header, rows = _reader(binary)
    return header, rows
