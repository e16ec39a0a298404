from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.redis_server import OwnRedis


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A redis-server only this test uses, so it can kill it."""
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()
