"""A real `frontdesk serve` process on a free port, which tests can stop and start again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self, database_url: str, log_dir: Path, *, port: int | None = None, redis_url: str | None = None):
        self.database_url = database_url
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.redis_url = redis_url
        self.log_path = log_dir / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        try:
            self._start()
        except RuntimeError:
            if self.fixed_port:
                raise
            self.port = free_port()  # another process may have taken the free port first
            self._start()

    def _start(self) -> None:
        env = {**os.environ, "FRONTDESK_DATABASE_URL": self.database_url}
        # The server shares the test database with tests that run a webhook dispatcher of their own: its
        # dispatcher would take their deliveries. Tests that need one run it (tests/browser/test_webhooks_console).
        env["FRONTDESK_WEBHOOK_DISPATCHER"] = "false"
        if self.redis_url:
            env["FRONTDESK_REDIS_URL"] = self.redis_url
        else:
            env.pop("FRONTDESK_REDIS_URL", None)
        command = [str(Path(sys.executable).parent / "frontdesk"), "serve", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"frontdesk serve did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """An abrupt crash: no graceful shutdown."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None
