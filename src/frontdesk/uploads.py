"""Uploaded CSV files: size-capped and decoded once, the same way for every import endpoint."""

from __future__ import annotations

from fastapi import UploadFile

from frontdesk.errors import InvalidInput
from frontdesk.settings import Settings


async def read_text_upload(file: UploadFile, settings: Settings) -> str:
    raw = await file.read(settings.max_upload_bytes + 1)
    if len(raw) > settings.max_upload_bytes:
        raise InvalidInput(f"the file is larger than {settings.max_upload_bytes} bytes", field="file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", field="file") from None
