"""The console's CSV import: upload a file, watch a progress bar while it is imported in batches, download
the rows that were refused with their reasons.

The import runs in this process as a background task; its progress is kept in memory (``IMPORTS``) and
polled by the page (HTMX, every second). A reload of the page finds the same import while this process
runs; once the import ended, the page shows its result until the entry expires. Several serving processes
behind a load balancer would each know only their own imports: the job would then need a table.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import UploadFile

from frontdesk import csvinput
from frontdesk.contacts import importer
from frontdesk.csvsafe import format_row
from frontdesk.deps import AppSettings, DbSession
from frontdesk.errors import DomainError, InvalidInput, NotFound
from frontdesk.guard import MAX_BODY_BYTES, allow_uploads
from frontdesk.web.console import ConsoleAgent, ConsoleUser, FormAgent, render
from frontdesk.web.wording import plural
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)
KEPT_SECONDS = 6 * 3600  # how long a finished import's result and error report stay available
MAX_KEPT = 200  # imports remembered by this process at most; the oldest finished ones go first
RAW_TYPES = {"text/csv", "application/csv", "application/octet-stream", "application/vnd.ms-excel"}


@dataclass
class ImportJob:
    id: str
    workspace_id: int
    file_name: str
    total: int  # rows below the header, counted before the import starts
    progress: importer.ImportProgress
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: str | None = None
    task: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        return self.finished is not None

    @property
    def percent(self) -> int:
        if self.done and self.error is None:
            return 100
        return min(99, int(self.progress.total_rows * 100 / self.total)) if self.total else 0


IMPORTS: dict[str, ImportJob] = {}


def _forget_old() -> None:
    now = time.monotonic()
    for key, job in list(IMPORTS.items()):
        if job.finished is not None and now - job.finished > KEPT_SECONDS:
            del IMPORTS[key]
    finished = sorted((job for job in IMPORTS.values() if job.done), key=lambda job: job.finished or 0)
    while len(IMPORTS) > MAX_KEPT and finished:
        del IMPORTS[finished.pop(0).id]


def get_job(workspace_id: int, job_id: str) -> ImportJob:
    """The import, only for its own workspace: another workspace's id is as unknown as a made-up one."""
    job = IMPORTS.get(job_id)
    if job is None or job.workspace_id != workspace_id:
        raise NotFound("this import is not known (any more): imports are kept for a few hours")
    return job


async def _run(job: ImportJob, factory: async_sessionmaker[AsyncSession], data: bytes, actor: str, batch: int) -> None:
    try:
        header, rows = csvinput.read(io.BytesIO(data))
        async with factory() as session:
            await importer.import_rows(
                session=session,
                workspace_id=job.workspace_id,
                header=header,
                rows=rows,
                atomic=job.progress.atomic,
                actor=actor,
                batch_size=batch,
                progress=job.progress,
            )
    except DomainError as exc:
        job.error = exc.detail
    except Exception:
        logger.exception("console import %s stopped after row %s", job.id, job.progress.stored_through_row)
        job.error = "the import stopped because of a server error"
    finally:
        job.finished = time.monotonic()


def _page(request: Request, user: ConsoleUser, *, job: ImportJob | None = None, error: str | None = None) -> Any:
    recent = sorted(
        (j for j in IMPORTS.values() if j.workspace_id == user.principal.workspace_id),
        key=lambda j: j.started,
        reverse=True,
    )[:5]
    return render(
        request,
        "pages/contact_import.html",
        status_code=422 if error else 200,
        user=user,
        job=job,
        error=error,
        recent=recent,
        summary=summary,
        columns=importer.COLUMNS,
        max_bytes=MAX_BODY_BYTES,
    )


@router.get("/contacts/import")
async def import_form(request: Request, user: ConsoleAgent) -> Any:
    return _page(request, user)


@router.post(allow_uploads("/contacts/import"))
async def start_import(request: Request, session: DbSession, settings: AppSettings, user: FormAgent) -> Any:
    """Start an import of the uploaded file and go to its progress page.

    The page's script sends the file as the raw body (a CSV media type, its name in ``X-File-Name``); the plain
    form (no JavaScript) sends it as multipart, which the input guard admits here (``allow_uploads``).
    """
    user.principal.require(Role.agent)
    await session.close()  # the import uses a session of its own; this request holds no connection
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media.startswith("multipart/"):
        form = await request.form()
        upload = form.get("file")
        atomic = form.get("atomic") == "on"
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _page(request, user, error="Choose a CSV file to import.")
        file_name, data = upload.filename, await upload.read(settings.max_upload_bytes + 1)
    elif media in RAW_TYPES:
        file_name = unquote(request.headers.get("x-file-name", "")) or "import.csv"
        atomic = request.query_params.get("atomic") in {"on", "1", "true"}
        data = await request.body()
    else:
        return _page(request, user, error="Choose a CSV file to import.")
    try:
        if len(data) > settings.max_upload_bytes:
            raise InvalidInput(f"the file is larger than {settings.max_upload_bytes:,} bytes", field="file")
        total = csvinput.check(io.BytesIO(data))
    except DomainError as exc:
        return _page(request, user, error=f"This file cannot be imported: {exc.detail}.")
    file_name = "".join(ch for ch in file_name if ch.isprintable())[:200] or "import.csv"
    _forget_old()
    job = ImportJob(
        id=secrets.token_urlsafe(12),
        workspace_id=user.principal.workspace_id,
        file_name=file_name,
        total=total,
        progress=importer.ImportProgress(atomic=atomic),
    )
    IMPORTS[job.id] = job
    job.task = asyncio.create_task(
        _run(job, request.app.state.session_factory, data, user.principal.label, settings.import_batch_size)
    )
    return Response(status_code=303, headers={"Location": f"/contacts/import/{job.id}"})


@router.get("/contacts/import/{job_id}")
async def import_status(job_id: str, request: Request, user: ConsoleAgent) -> Any:
    return _page(request, user, job=get_job(user.principal.workspace_id, job_id))


@router.get("/contacts/import/{job_id}/progress")
async def import_progress(job_id: str, request: Request, user: ConsoleAgent) -> Any:
    """The progress block alone, for the page's polling; it stops polling itself once the import ended."""
    job = get_job(user.principal.workspace_id, job_id)
    return render(request, "partials/import_progress.html", user=user, job=job, summary=summary)


@router.get("/contacts/import/{job_id}/errors.csv", responses={200: {"content": {"text/csv": {}}}})
async def import_errors(job_id: str, user: ConsoleAgent) -> Response:
    """The refused rows: line number in the file, the column, and why; ready to fix and import again."""
    job = get_job(user.principal.workspace_id, job_id)
    lines = [format_row(["row", "field", "message"])]
    lines += [format_row([error.row, error.field, error.message]) for error in job.progress.errors]
    name = job.file_name.rsplit(".", 1)[0] or "import"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:60]
    return Response(
        "".join(lines),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{safe}-errors.csv"'},
    )


def summary(job: ImportJob) -> str:
    """The result in a sentence, for the page and the list of recent imports."""
    report = job.progress
    if job.error and report.stored_through_row == 0 and report.created == 0:
        return f"Stopped: {job.error}. Nothing was imported."
    text = f"{plural(report.created, 'contact')} imported"
    if report.failed_rows:
        text += f", {plural(len(report.failed_rows), 'row')} refused"
    if report.atomic and report.failed_rows:
        text = f"Nothing imported: {plural(len(report.failed_rows), 'row')} refused (all or nothing was chosen)"
    if job.error:
        text += f". Stopped after line {report.stored_through_row}: {job.error}"
    return text + "."
