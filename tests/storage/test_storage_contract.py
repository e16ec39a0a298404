"""Every storage backend keeps the same promises: local disk, and an S3-compatible bucket (moto's server)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from frontdesk.settings import Settings
from frontdesk.storage import FileMissing, LocalStorage, S3Storage, Storage, new_key, storage_from_settings
from tests.live_server import free_port

BUCKET = "frontdesk-test-files"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    endpoint: str = request.getfixturevalue("s3_endpoint")
    return S3Storage(BUCKET, endpoint_url=endpoint, region="us-east-1", **CREDENTIALS)


async def test_put_then_get_returns_the_same_bytes(storage: Storage) -> None:
    key = new_key()
    data = bytes(range(256)) * 41  # every byte value, not a multiple of any block size
    assert not await storage.exists(key)
    await storage.put(key, data, content_type="application/octet-stream")
    assert await storage.exists(key)
    assert await storage.get(key) == data


async def test_put_overwrites(storage: Storage) -> None:
    key = new_key()
    await storage.put(key, b"first", content_type="text/plain")
    await storage.put(key, b"second", content_type="text/plain")
    assert await storage.get(key) == b"second"


async def test_delete_removes_the_bytes_and_may_repeat(storage: Storage) -> None:
    key = new_key()
    await storage.put(key, b"to be erased", content_type="text/plain")
    await storage.delete(key)
    assert not await storage.exists(key)
    with pytest.raises(FileMissing):
        await storage.get(key)
    await storage.delete(key)  # erasure may run twice: a missing key is no error


async def test_a_key_never_stored_is_missing(storage: Storage) -> None:
    with pytest.raises(FileMissing):
        await storage.get(new_key())
    assert not await storage.exists(new_key())


async def test_keys_are_random_and_never_a_path(storage: Storage) -> None:
    keys = {new_key() for _ in range(1000)}
    assert len(keys) == 1000 and all(len(key) >= 43 for key in keys)
    for bad in ("../../etc/passwd", "a/b", "", "short", "x" * 31 + "/", "..%2f" * 10):
        with pytest.raises(ValueError):
            await storage.put(bad, b"x", content_type="text/plain")
        with pytest.raises(ValueError):
            await storage.get(bad)


async def test_concurrent_puts_of_different_keys_all_land(storage: Storage) -> None:
    files = {new_key(): f"file {i}".encode() for i in range(20)}
    await asyncio.gather(*(storage.put(k, v, content_type="text/plain") for k, v in files.items()))
    assert [await storage.get(k) for k in files] == list(files.values())


def test_local_disk_is_the_default_and_a_bucket_is_used_when_configured(tmp_path: Path) -> None:
    local = storage_from_settings(Settings(environment="test", storage_path=str(tmp_path)))
    assert isinstance(local, LocalStorage) and local.root == tmp_path
    bucket = storage_from_settings(
        Settings(environment="test", storage_s3_bucket=BUCKET, storage_s3_endpoint_url="http://127.0.0.1:9")
    )
    assert isinstance(bucket, S3Storage) and bucket.bucket == BUCKET


async def test_local_files_stay_under_the_root_and_leave_no_partial_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    key = new_key()
    await storage.put(key, b"abc", content_type="text/plain")
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]  # noqa: ASYNC240  (a test's look at its own tmp dir)
    assert stored == [tmp_path / key[:2] / key]
