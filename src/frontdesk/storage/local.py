"""Attachments on local disk, under one root directory (the default: ``settings.storage_path``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from pathlib import Path

from frontdesk.storage.base import FileMissing, check_key


class LocalStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        # Two-letter fan-out keeps directories small when there are many files.
        check_key(key)
        return self.root / key[:2] / key

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(self._put, self._path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed: a reader never sees half a file, and a crash leaves no partial one.
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            partial.write_bytes(data)
            os.replace(partial, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise FileMissing(key) from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)
