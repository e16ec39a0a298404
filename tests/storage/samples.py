"""Small real files of each allowed type, and files that must be refused, built in memory."""

from __future__ import annotations

import base64
import io
import zipfile

# A 1x1 PNG (a real image: browsers show it).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + b"\x08" * 64 + bytes.fromhex("ffd9")
WEBP = b"RIFF" + (26).to_bytes(4, "little") + b"WEBPVP8 " + b"\x00" * 18
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


ZIP = _zip({"notes.txt": "hello"})
DOCX = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
XLSX = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
ODT = _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office/>"})
TEXT = "Order 1234: the mug arrived broken. Grüße, Zoë ✓\n".encode()
CSV_TEXT = b"sku,quantity\nMUG-1,2\n"

# (bytes, a name a sender might give it, the type that must be found, the extension the stored name gets)
ALLOWED = [
    (PNG, "photo.png", "image/png", "png"),
    (JPEG, "photo.jpeg", "image/jpeg", "jpeg"),
    (GIF, "anim.gif", "image/gif", "gif"),
    (WEBP, "pic.webp", "image/webp", "webp"),
    (PDF, "invoice.pdf", "application/pdf", "pdf"),
    (ZIP, "logs.zip", "application/zip", "zip"),
    (DOCX, "letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    (XLSX, "sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    (ODT, "letter.odt", "application/vnd.oasis.opendocument.text", "odt"),
    (TEXT, "notes.txt", "text/plain", "txt"),
    (CSV_TEXT, "order.csv", "text/csv", "csv"),
]

# Programs and documents a browser would run, each given a harmless name: refused by what they are.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
BARE_SVG = b'  <svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SCRIPT_IN_TEXT = b"hello <script>fetch('/api')</script>"
BINARY_NOISE = bytes(range(256))
LATIN1 = "Grüße".encode("latin-1")
REFUSED = [
    (EXE, "cat.png"),
    (EXE, "report.pdf"),
    (ELF, "notes.txt"),
    (HTML, "page.txt"),
    (HTML, "photo.jpg"),
    (SVG, "logo.png"),
    (BARE_SVG, "logo.txt"),
    (SCRIPT_IN_TEXT, "notes.csv"),
    (BINARY_NOISE, "data.txt"),
    (LATIN1, "old.txt"),
    (b"GIF87a" * 0 + b"BM" + b"\x00" * 60, "pic.bmp"),  # a bitmap: an image, but not one on the list
]
