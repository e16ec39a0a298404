"""A local SMTP server (aiosmtpd) on a free port, for tests that send mail."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from aiosmtpd.controller import Controller

from tests.live_server import free_port


@contextlib.contextmanager
def running_smtp(handler: Any, **options: Any) -> Iterator[int]:
    """Serves ``handler`` on 127.0.0.1 until the block ends; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
