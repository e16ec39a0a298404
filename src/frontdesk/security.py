"""Passwords, API keys and session tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.settings import get_settings

API_KEY_PREFIX = "fdk_"


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


# argon2 holds the GIL only briefly and spends its time hashing memory, so a few threads run hashes side by side
# while the event loop keeps serving chats. The pool is bounded: a flood of sign-ins queues here instead of
# starting a thread (and 64 MiB of argon2 memory) per request.
_HASHING_THREADS = 2
_hashing_pool = ThreadPoolExecutor(max_workers=_HASHING_THREADS, thread_name_prefix="frontdesk-argon2")


async def hash_password_async(password: str) -> str:
    """``hash_password`` off the event loop: argon2 takes tens of milliseconds by design."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, hash_password, password)


async def verify_password_async(password_hash: str, password: str) -> bool:
    """``verify_password`` off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, verify_password, password_hash, password)


async def verify_password_for_unknown_user_async(password: str) -> None:
    """``verify_password_for_unknown_user`` off the event loop."""
    await asyncio.get_running_loop().run_in_executor(_hashing_pool, verify_password_for_unknown_user, password)


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
