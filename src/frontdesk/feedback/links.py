"""Personal links for surveys and reviews: signed, bound to one workspace and one purpose, expiring.

A link carries its claims (workspace, purpose, subject, expiry) and an HMAC-SHA256 over them, keyed with a
key derived from the server's secret and that workspace: changing any claim, or presenting a link of one
workspace to another's pages, breaks the signature. Links are not stored (a copy of the database does not
leak them); "one answer" is kept where answers are stored, one per subject.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from frontdesk.errors import NotFound
from frontdesk.settings import get_settings


class InvalidLink(NotFound):
    """Forged, damaged, expired or for something else: the public page says the link does not work."""


@dataclass(frozen=True)
class LinkClaims:
    workspace_id: int
    purpose: str  # what the link opens, e.g. "survey" or "review"
    subject_id: int  # the survey recipient or order the link is for
    expires_at: datetime


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(workspace_id: int) -> bytes:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"feedback-links:{workspace_id}".encode(), hashlib.sha256).digest()


def sign_link(
    *, workspace_id: int, purpose: str, subject_id: int, valid_for: timedelta, now: datetime | None = None
) -> str:
    expires = int(((now or datetime.now(UTC)) + valid_for).timestamp())
    payload = json.dumps([workspace_id, purpose, subject_id, expires], separators=(",", ":")).encode()
    signature = hmac.new(_key(workspace_id), payload, hashlib.sha256).digest()
    return f"{_encode(payload)}.{_encode(signature)}"


def read_link(token: str, *, purpose: str, workspace_id: int | None = None, now: datetime | None = None) -> LinkClaims:
    """The claims of a genuine, unexpired link for ``purpose`` (and ``workspace_id``, when given)."""
    try:
        payload_part, signature_part = token.split(".")
        payload, signature = _decode(payload_part), _decode(signature_part)
        claimed_workspace, claimed_purpose, subject_id, expires = json.loads(payload)
        if not isinstance(claimed_workspace, int) or not isinstance(subject_id, int) or not isinstance(expires, int):
            raise ValueError("malformed claims")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidLink("this link is not valid") from None
    expected = hmac.new(_key(claimed_workspace), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidLink("this link is not valid")
    if claimed_purpose != purpose or (workspace_id is not None and claimed_workspace != workspace_id):
        raise InvalidLink("this link is not valid")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if expires_at <= (now or datetime.now(UTC)):
        raise InvalidLink("this link has expired")
    return LinkClaims(claimed_workspace, claimed_purpose, subject_id, expires_at)
