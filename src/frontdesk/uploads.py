"""Uploaded CSV files: size-capped and checked whole (``frontdesk.csvinput``) before any row is imported."""

from __future__ import annotations

import io
import logging
from typing import Any

from fastapi import UploadFile
from fastapi.responses import JSONResponse

from frontdesk import csvinput
from frontdesk.errors import DomainError, InvalidInput, problem
from frontdesk.settings import Settings

logger = logging.getLogger(__name__)


async def read_csv_upload(file: UploadFile, settings: Settings) -> tuple[csvinput.Header, csvinput.Rows]:
    """The file's header and rows; a file too large, not UTF-8, binary or not valid CSV is a 422 naming the line."""
    raw = await file.read(settings.max_upload_bytes + 1)
    if len(raw) > settings.max_upload_bytes:
        raise InvalidInput(f"the file is larger than {settings.max_upload_bytes} bytes", field="file")
    binary = io.BytesIO(raw)
    csvinput.check(binary)
    return csvinput.read(binary)


def import_interrupted(exc: Exception, report: dict[str, Any]) -> JSONResponse:
    """The answer when an import stopped after some of its batches were stored: what went wrong, and the
    report of what was stored (``stored_through_row``), so the caller can resume from the next row."""
    stored = report["stored_through_row"]
    if isinstance(exc, DomainError):
        status, title, detail = exc.status_code, exc.title, exc.detail
    else:
        logger.exception("import stopped after row %s", stored)
        status, title, detail = 500, "Import interrupted", "the import stopped because of a server error"
    detail += f"; rows up to line {stored} were stored (except the rejected ones), none after it"
    return problem(status, title, detail, report=report)
