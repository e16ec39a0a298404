"""What may be stored: a file's type is read from its bytes (``filetype``) and must be on the allow-list.

The name and the browser's Content-Type are never trusted: a renamed program, an HTML page or an SVG (which
can carry script) is refused whatever it is called, and the stored name gets the extension of the type found.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]

from frontdesk.errors import InvalidInput

MAX_FILENAME = 255


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]  # the first is the one a name gets when its own does not fit

    @property
    def is_image(self) -> bool:
        return self.content_type in INLINE_IMAGES


# Raster images browsers show as they are; never SVG (an SVG is a document that can run script).
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_BINARY_TYPES = {
    t.content_type: t
    for t in (
        FileType("image/png", ("png",)),
        FileType("image/jpeg", ("jpg", "jpeg")),
        FileType("image/gif", ("gif",)),
        FileType("image/webp", ("webp",)),
        FileType("application/pdf", ("pdf",)),
        FileType("application/zip", ("zip",)),
        FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",)),
        FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
        FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",)),
        FileType("application/vnd.oasis.opendocument.text", ("odt",)),
        FileType("application/vnd.oasis.opendocument.spreadsheet", ("ods",)),
        FileType("application/vnd.oasis.opendocument.presentation", ("odp",)),
    )
}
PLAIN_TEXT = FileType("text/plain", ("txt", "log", "md"))
CSV = FileType("text/csv", ("csv",))
ALLOWED_TYPES = (*_BINARY_TYPES.values(), PLAIN_TEXT, CSV)
ALLOWED_LABEL = "an image (PNG, JPEG, GIF, WebP), a PDF, plain text, CSV, ZIP or an office document"

# Markup a browser would render or run if it ever sniffed it: text holding any of these is not "plain text".
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml)\b", re.IGNORECASE)
_LOOKS_LIKE_EXTENSION = re.compile(r"[A-Za-z0-9]{1,8}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    filename: str
    type: FileType

    @property
    def content_type(self) -> str:
        return self.type.content_type


def detect_type(data: bytes, filename: str) -> FileType:
    """The allowed type of ``data``; ``InvalidInput`` on ``file`` for anything else."""
    guessed = filetype.guess(data)
    if guessed is not None:
        found = _BINARY_TYPES.get(guessed.mime)
        if found is None:
            raise InvalidInput(f"files of type {guessed.mime} are not accepted; send {ALLOWED_LABEL}", field="file")
        return found
    if not _is_plain_text(data):
        raise InvalidInput(f"the file's type is not recognised; send {ALLOWED_LABEL}", field="file")
    # Text has no signature: CSV and plain text differ only in what the sender calls them.
    return CSV if _extension(filename) == "csv" else PLAIN_TEXT


def _is_plain_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _MARKUP.search(data) is None


def _extension(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


def safe_filename(raw: str | None, file_type: FileType) -> str:
    """A name to show and send back: no path, no control characters, at most 255 characters, and an
    extension that matches the type found in the bytes (``report.exe`` holding a PDF becomes ``report.pdf``)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _CONTROL.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and extension.lower() in file_type.extensions):
        if not (dot and stem and _LOOKS_LIKE_EXTENSION.fullmatch(extension)):
            stem = name  # "v1.2 notes": the dot is part of the name, which keeps it and gains an extension
        extension = file_type.extensions[0]
    stem = stem.strip(" .") or "file"
    stem = stem[: MAX_FILENAME - len(extension) - 1].rstrip(" .") or "file"
    return f"{stem}.{extension.lower()}"


def check_file(data: bytes, filename: str | None, *, max_bytes: int) -> CheckedFile:
    """``data`` read as at most ``max_bytes + 1`` bytes: refused when empty, too large or of a type not allowed."""
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > max_bytes:
        raise InvalidInput(f"the file is larger than {max_bytes} bytes", field="file")
    file_type = detect_type(data, filename or "")
    return CheckedFile(data=data, filename=safe_filename(filename, file_type), type=file_type)
