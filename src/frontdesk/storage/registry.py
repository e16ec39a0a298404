"""The storage the running application uses, for code that has no request to ask (erasure).

``create_app`` configures it. Code outside an app (the CLI, a test calling a service directly) gets the
backend the process's settings name, which is where such an app would have put the files too.
"""

from __future__ import annotations

from frontdesk.settings import Settings, get_settings
from frontdesk.storage.base import Storage
from frontdesk.storage.local import LocalStorage
from frontdesk.storage.s3 import S3Storage

_current: Storage | None = None


def storage_from_settings(settings: Settings) -> Storage:
    if settings.storage_s3_bucket:
        return S3Storage(
            settings.storage_s3_bucket,
            endpoint_url=settings.storage_s3_endpoint_url,
            region=settings.storage_s3_region,
            access_key_id=settings.storage_s3_access_key_id,
            secret_access_key=settings.storage_s3_secret_access_key,
        )
    return LocalStorage(settings.storage_path)


def configure(storage: Storage) -> None:
    global _current
    _current = storage


def configured() -> Storage:
    global _current
    if _current is None:
        _current = storage_from_settings(get_settings())
    return _current
