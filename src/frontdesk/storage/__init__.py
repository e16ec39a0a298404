"""Where attachment bytes live: one interface, on local disk by default or in an S3-compatible bucket.

Keys are random tokens chosen by ``new_key`` (never derived from a file name), so a key cannot be guessed and
cannot climb out of the storage root. Every backend call that blocks runs in a worker thread.
"""

from __future__ import annotations

from frontdesk.storage.base import FileMissing, Storage, new_key, valid_key
from frontdesk.storage.local import LocalStorage
from frontdesk.storage.registry import configure, configured, storage_from_settings
from frontdesk.storage.s3 import S3Storage

__all__ = [
    "FileMissing",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "configure",
    "configured",
    "new_key",
    "storage_from_settings",
    "valid_key",
]
