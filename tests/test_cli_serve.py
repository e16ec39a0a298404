"""`frontdesk serve` never shows the database password, whether the database answers or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from frontdesk.cli import app, server
from frontdesk.settings import get_settings

SECRET = "s3cret-Pa55word"


@pytest.fixture
def url_with_password(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"postgresql+asyncpg://frontdesk:{SECRET}@127.0.0.1:1/frontdesk"
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_serve_shows_the_database_without_its_password(url_with_password: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    monkeypatch.setattr(server, "migrate_url", lambda url: None)
    monkeypatch.setattr(server.uvicorn, "run", lambda *args, **kwargs: started.append(kwargs))
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert started and SECRET not in result.output
    assert "frontdesk:***@127.0.0.1:1/frontdesk" in result.output


def test_serve_with_an_unreachable_database_fails_without_showing_the_password(url_with_password: str) -> None:
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert SECRET not in result.output and "cannot prepare the database" in result.output
    assert result.exception is None or SECRET not in repr(result.exception)
