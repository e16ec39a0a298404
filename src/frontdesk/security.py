"""Passwords, API keys and session tokens."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.settings import get_settings

API_KEY_PREFIX = "fdk_"
T = TypeVar("T")


@lru_cache
def _password_hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.password_time_cost, memory_cost=settings.password_memory_cost_kib)


def hash_password(password: str) -> str:
    return _password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash that never matches, checked when an email is unknown so both paths take the same time.
_DUMMY_HASH: str | None = None


def verify_password_for_unknown_user(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    verify_password(_DUMMY_HASH, password)


# argon2 releases the GIL while it hashes, so password checks run in threads beside the event loop. Those
# threads run at a lower scheduling priority (Linux schedules threads one by one): under a flood of sign-ins
# the cores go to the event loop first, and chats keep their latency while the sign-ins wait. The pool is
# bounded: a flood queues here instead of starting a thread (and 64 MiB of argon2 memory) per request.
_HASHING_THREADS = max(1, min(4, (os.cpu_count() or 2) - 1))
_HASHING_NICENESS = 19


def _lower_thread_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not on every platform; then threads keep the default
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _HASHING_NICENESS)


_hashing_pool = ThreadPoolExecutor(
    max_workers=_HASHING_THREADS, thread_name_prefix="frontdesk-argon2", initializer=_lower_thread_priority
)


async def hash_password_async(password: str) -> str:
    """``hash_password`` off the event loop: argon2 takes tens of milliseconds by design."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, hash_password, password)


class PasswordChecksBusy(Exception):
    """Too many password checks are already waiting: refused at once rather than queued without end."""


# A flood of sign-ins from many addresses passes the per-IP limit; beyond this many waiting checks (seconds of
# argon2 work) a sign-in is refused with "busy", so the queue, and the memory it holds, stays bounded.
MAX_WAITING_CHECKS = 100
_waiting_checks = 0


def password_checks_busy() -> bool:
    """Whether a new password check would be refused (lets a caller refuse before doing other work)."""
    return _waiting_checks >= MAX_WAITING_CHECKS


async def _check_in_pool(function: Callable[..., T], *args: str) -> T:
    global _waiting_checks
    if password_checks_busy():
        raise PasswordChecksBusy
    _waiting_checks += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_hashing_pool, function, *args)
    finally:
        _waiting_checks -= 1


async def verify_password_async(password_hash: str, password: str) -> bool:
    """``verify_password`` off the event loop; raises ``PasswordChecksBusy`` when too many checks wait."""
    return await _check_in_pool(verify_password, password_hash, password)


async def verify_password_for_unknown_user_async(password: str) -> None:
    """``verify_password_for_unknown_user`` off the event loop; may raise ``PasswordChecksBusy`` likewise."""
    await _check_in_pool(verify_password_for_unknown_user, password)


def token_digest(token: str) -> str:
    """Keyed SHA-256 of a high-entropy token: fast to look up, useless to someone who steals the table."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def tokens_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def login_form_token(nonce: str) -> str:
    """The sign-in form's CSRF token for the random ``nonce`` in the visitor's cookie (signed double submit).

    Nobody signed in yet, so there is no session to keep a token in: the form carries a keyed hash of the
    cookie's nonce. A forged form on another site cannot read the cookie, nor compute the hash without the key.
    """
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"login-form:" + nonce.encode(), hashlib.sha256).hexdigest()
