"""CSV that is safe to open in a spreadsheet: the one writer every CSV export goes through.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula, and Excel also treats a
leading tab or carriage return that way. Text that a customer or agent typed (a name, a tag, a comment)
could then call ``HYPERLINK``/``WEBSERVICE`` or, in older programs, DDE. Following OWASP's advice
(https://owasp.org/www-community/attacks/CSV_Injection), such text cells are written with a single quote in
front and enclosed in double quotes, so every spreadsheet shows them as text.

Numbers the exporter writes itself (``int``, ``float``, ``Decimal``, e.g. an amount of ``-12.50``) are not
text anyone typed: they are written as they are and stay numbers. Text that only looks like a number
("-12.50" in a name) is neutralised like any other text. A cell that already begins with a single quote gets
one more, so ``unquote_cell``, its exact inverse, gives back on import exactly what was exported, and leaves
a quote that ``neutralise`` could not have added (``'t Hooft``) alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
LINE_END = "\r\n"  # RFC 4180, as the csv module writes by default

Cell = str | int | float | Decimal | None


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it, never runs it."""
    if text.startswith((*FORMULA_STARTS, ESCAPE)):
        return ESCAPE + text
    return text


def unquote_cell(text: str) -> str:
    """The value ``neutralise`` was given (the importer's side): its exact inverse, so only a quote that
    ``neutralise`` could have added goes. A name typed as ``'t Hooft`` in a hand-made file stays as it is."""
    if text.startswith(ESCAPE) and text[1:].startswith((*FORMULA_STARTS, ESCAPE)):
        return text[1:]
    return text


def format_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = neutralise(value)
    if text != value or any(c in text for c in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def format_row(cells: Sequence[Cell]) -> str:
    """One CSV line (RFC 4180 quoting, CRLF end), text cells neutralised."""
    line = ",".join(format_cell(cell) for cell in cells)
    if line == "" and cells:  # one empty cell, not an empty line (as the csv module writes it)
        line = '""'
    return line + LINE_END


class CsvWriter:
    """``csv.writer``'s ``writerow``/``writerows`` with every text cell neutralised."""

    def __init__(self, stream: _Writable) -> None:
        self.stream = stream

    def writerow(self, cells: Sequence[Cell]) -> None:
        self.stream.write(format_row(cells))

    def writerows(self, rows: Iterable[Sequence[Cell]]) -> None:
        for cells in rows:
            self.writerow(cells)
