"""A local SMTP server (aiosmtpd) on a free port, for tests that send mail."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

from aiosmtpd.controller import Controller


@contextlib.contextmanager
def running_smtp(handler: Any, **options: Any) -> Iterator[int]:
    """Serves ``handler`` on 127.0.0.1 until the block ends; yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
