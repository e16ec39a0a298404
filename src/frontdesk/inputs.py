"""The bounds every input shares where it enters: ids, times, text and request bodies.

Each bound is defined once here and used by every request schema and route parameter, so a value that
either database cannot store (a 65-bit id, a NUL character on PostgreSQL, a time whose offset pushes it
past year 9999) is refused as invalid input naming the field, never a crash after part of the work.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, get_args

from fastapi import Form, Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from frontdesk.db import MAX_ID
from frontdesk.errors import InvalidInput

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

# Any string in a request body without a tighter bound of its own; message bodies and notes set their own.
MAX_TEXT = 20_000

# Times are refused outside these years rather than at the edges of Python's and the databases' range
# (1 to 9999): periods, due dates and "days since" are computed from them, and need room to add a year.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text on both databases, or None when it can."""
    if "\x00" in value:
        return "must not contain the NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate such as \\ud800)"
    return None


def first_text_problem(value: Any, path: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """The first string (dict keys included) inside ``value`` that cannot be stored, with where it is."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, value)]
    while stack:  # iterative: the depth of a hostile document must not matter here
        where, item = stack.pop()
        if isinstance(item, str):
            if (problem := text_problem(item)) is not None:
                return where, problem
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    return (*where, key), problem
                stack.append(((*where, key), child))
        elif isinstance(item, list | tuple):
            stack.extend(((*where, index), child) for index, child in enumerate(item))
    return None


def whole_number(text: str, *, max_digits: int = 18) -> int | None:
    """``text`` as a whole number when it is ASCII digits only (at most ``max_digits``), else None. ``str.isdigit``
    alone would pass "²" (which ``int`` refuses) and "١٢" (which ``int`` reads as 12: two spellings of one value)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > max_digits:
        return None
    return int(text)


def parse_id(text: str) -> int | None:
    """The id written in ``text`` (ASCII digits, 1 to 2^63-1), or None."""
    value = whole_number(text, max_digits=len(str(MAX_ID)))
    return value if value is not None and 1 <= value <= MAX_ID else None


def _written_time(value: Any) -> Any:
    """Times are written as ISO 8601 text, as the OpenAPI says: a bare number (which Pydantic would read as
    seconds since 1970) is refused rather than guessed at."""
    if isinstance(value, int | float | Decimal) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        raise ValueError("must be a date and time such as 2026-05-01T10:00:00Z")
    return value


def bounded_time(value: datetime) -> datetime:
    """An aware time within ``EARLIEST``..``LATEST`` once in UTC (0001-01-01T00:00+14:00 overflows there)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone, e.g. 2026-05-01T10:00:00Z")
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}") from None
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


# A reference to a record in a body: a positive 64-bit integer, the range of every id column.
IdRef = Annotated[int, Field(ge=1, le=MAX_ID)]
# The same in a URL or a console form (in a query string: ``Annotated[IdRef | None, Query(...)]``).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
# A message sequence number to resume after (0: from the start); sequence numbers are 32-bit columns.
MAX_SEQ = 2**31 - 1
AfterSeq = Annotated[int, Query(ge=0, le=MAX_SEQ, description="Only messages after this sequence number")]

BoundedDateTime = Annotated[datetime, BeforeValidator(_written_time), AfterValidator(bounded_time)]


def _takes_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    return any(_takes_bool(argument) for argument in get_args(annotation))


def _takes_number(annotation: Any) -> bool:
    if annotation in (int, float, Decimal) or annotation is Any:
        return True
    return any(_takes_number(argument) for argument in get_args(annotation))


class RequestModel(BaseModel):
    """The base of every request body: unknown fields are refused (a typo is not silently ignored), every
    string is bounded in length and storable on both databases, wherever it sits in the body."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT)

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str | dict | list) and (found := first_text_problem(value)) is not None:
            where, problem = found
            suffix = f" (at {'.'.join(str(part) for part in where)})" if where else ""
            raise ValueError(problem + suffix)
        if (
            isinstance(value, bool)
            and info.field_name
            and not _takes_bool(cls.model_fields[info.field_name].annotation)
        ):
            # Pydantic would read true as 1: a number field given a yes/no is a mistake to report.
            raise ValueError("must be a number or text, not true or false")
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and info.field_name
            and _takes_bool(cls.model_fields[info.field_name].annotation)
            and not _takes_number(cls.model_fields[info.field_name].annotation)
        ):
            # And the other way round: pydantic would read 0 or 1.0 as false or true.
            raise ValueError("must be true or false")
        return value


def _written_date(value: Any) -> Any:
    """A date is written ``YYYY-MM-DD``, as the OpenAPI says; a number (seconds since 1970) is refused."""
    if not isinstance(value, date) and not (isinstance(value, str) and _ISO_DATE.fullmatch(value.strip())):
        raise ValueError("must be a date such as 2026-05-01")
    return value


def _bounded_date(value: date) -> date:
    if not EARLIEST.year <= value.year < LATEST.year:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BoundedDate = Annotated[date, BeforeValidator(_written_date), AfterValidator(_bounded_date)]


def form_date(text: str | None, *, field: str) -> date | None:
    """A date typed into a console form or query (``YYYY-MM-DD``, within BoundedDate's years); empty: None.
    Anything else is a 422 naming ``field`` (a year 1 would crash date arithmetic further on)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return _bounded_date(date.fromisoformat(_written_date(text)))
    except ValueError as exc:
        raise InvalidInput(
            str(exc) if _ISO_DATE.fullmatch(text) else f"{text[:40]!r} is not a date (YYYY-MM-DD)", field=field
        ) from None
