"""The storage interface every backend implements."""

from __future__ import annotations

import re
import secrets
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-]{32,100}$")


class FileMissing(Exception):
    """No bytes are stored under the key (never stored, or deleted)."""


def new_key() -> str:
    """A fresh key: 256 random bits, URL- and path-safe."""
    return secrets.token_urlsafe(32)


def valid_key(key: str) -> bool:
    return bool(_KEY.fullmatch(key))


def check_key(key: str) -> str:
    # Keys come from new_key(); anything else (a path, a name) is a bug, refused before it reaches a backend.
    if not valid_key(key):
        raise ValueError("not a storage key")
    return key


class Storage(Protocol):
    """Bytes by key. ``put`` overwrites; ``delete`` of a missing key is not an error (erasure may repeat)."""

    async def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """The bytes; ``FileMissing`` when nothing is stored under ``key``."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...
