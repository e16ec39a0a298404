"""The e-mail outbox: rows written with what they announce, sent later, each at most once.

A sender claims a row (``pending`` -> ``sending``) in its own committed transaction before talking to the
mail server, so two processes never send the same row, and a crash mid-send leaves the row ``sending``
rather than pending: it shows in the console as unconfirmed instead of going out a second time. A server
that refuses to connect leaves the row pending for the next round; one that refuses the address fails it.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.db import utcnow
from frontdesk.feedback.models import EmailStatus, OutboxEmail
from frontdesk.scheduling.service import run_every
from frontdesk.settings import Settings

log = logging.getLogger(__name__)
POLL_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool  # smtps://
    starttls: bool  # smtp:// on a port other than 25 upgrades when the server offers it

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("FRONTDESK_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        implicit = parts.scheme == "smtps"
        port = parts.port or (465 if implicit else 587)
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=not implicit and port != 25,
        )


class InsecureConnection(smtplib.SMTPException):
    """The connection did not become TLS, and credentials must not cross it in clear."""


class Refused(Exception):
    """The server refused this message for good (bad address, policy): retrying would not help."""


def _send_blocking(server: SmtpServer, sender: str, email: OutboxEmail) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    # A stable id: a receiving server that sees it twice can tell it is one message.
    message["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}", domain="frontdesk.invalid")
    message.set_content(email.body)
    connection: smtplib.SMTP
    if server.implicit_tls:
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=30, context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=30)
    with connection:
        connection.ehlo()
        encrypted = server.implicit_tls
        if not encrypted and (server.starttls or server.username) and connection.has_extn("starttls"):
            # A failed handshake raises here, before anything secret has been sent.
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
            encrypted = True
        if server.username:
            if not encrypted:
                raise InsecureConnection(
                    f"{server.host}:{server.port} did not offer STARTTLS: the SMTP password is not sent in clear "
                    "(use a server that offers STARTTLS, or smtps://)"
                )
            connection.login(server.username, server.password or "")
        try:
            connection.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise Refused(str(exc)[:500]) from exc


async def _claim(session: AsyncSession, email_id: int) -> bool:
    claimed = await session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == EmailStatus.pending.value)
        .values(status=EmailStatus.sending.value)
    )
    await session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


async def deliver_pending(
    factory: async_sessionmaker[AsyncSession], settings: Settings, *, limit: int = 500
) -> dict[str, int]:
    """Send up to ``limit`` pending e-mails; counts of sent, failed and deferred ones."""
    counts = {"sent": 0, "failed": 0, "deferred": 0}
    if not settings.smtp_url:
        return counts
    server = SmtpServer.from_url(settings.smtp_url)
    async with factory() as session:
        ids = list(
            await session.scalars(
                select(OutboxEmail.id)
                .where(OutboxEmail.status == EmailStatus.pending.value)
                .order_by(OutboxEmail.id)
                .limit(limit)
            )
        )
        for email_id in ids:
            if not await _claim(session, email_id):
                continue  # another process has it
            email = await session.get(OutboxEmail, email_id)
            assert email is not None
            status, error = EmailStatus.sent, None
            try:
                await asyncio.to_thread(_send_blocking, server, settings.smtp_from, email)
            except Refused as exc:
                status, error = EmailStatus.failed, str(exc)
            except (OSError, smtplib.SMTPException) as exc:
                # Not delivered (no connection, authentication, no TLS, server busy): safe to try again later.
                status, error = EmailStatus.pending, f"{type(exc).__name__}: {exc}"[:500]
                if isinstance(exc, InsecureConnection):
                    log.error("outbox: %s", exc)
            email.status, email.last_error = status.value, error
            email.sent_at = utcnow() if status is EmailStatus.sent else None
            await session.commit()
            counts[{"sent": "sent", "failed": "failed", "pending": "deferred"}[status.value]] += 1
            if status is EmailStatus.pending:
                break  # the server is not reachable: the rest would fail the same way
    return counts


async def run_mail_sender(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Every ``POLL_SECONDS``, one of the serving processes sends the outbox while an SMTP server is configured."""

    async def send_outbox() -> None:
        counts = await deliver_pending(factory, settings)
        if any(counts.values()):
            log.info("outbox: %s", counts)

    await run_every(factory, "mail_outbox", POLL_SECONDS, send_outbox)
