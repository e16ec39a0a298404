"""A real `frontdesk serve` process on a free port, which tests can stop and start again."""

from __future__ import annotations

import ctypes
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

# Each pytest-xdist worker picks ports from a range of its own, below the ephemeral ports the kernel gives
# outgoing connections: a port one worker probed as free and then lost to another worker's server (or a server
# restarted on its old port) would answer /healthz for the wrong database.
PORTS_PER_WORKER = 1500
FIRST_PORT = 20000


def _worker_number() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, …; unset without xdist
    try:
        return int(name.removeprefix("gw")) + 1
    except ValueError:
        return 0


PR_SET_PDEATHSIG = 1


def end_with_the_test_process() -> None:
    """Run in the child before exec: the kernel sends it SIGTERM when the test process that started it dies, so a
    killed or crashed test run leaves no server behind holding ports and database connections (CI runs later on
    the same machine)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    start = FIRST_PORT + _worker_number() * PORTS_PER_WORKER
    candidates = random.sample(range(start, start + PORTS_PER_WORKER), k=100)
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {start} and {start + PORTS_PER_WORKER}")


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
        # Every request comes from 127.0.0.1: schemathesis alone sends hundreds to the public operations in seconds,
        # which the per-address limit would answer 429 unchecked (the limit is tested in tests/realtime).
        env["FRONTDESK_IP_REQUEST_BURST"] = "100000"
        if self.redis_url:
            env["FRONTDESK_REDIS_URL"] = self.redis_url
            # Servers on one test database share channels and counts; other test runs (xdist workers, other
            # checkouts on this machine) use the same Redis with databases of their own, and must not hear them.
            own = hashlib.sha256(self.database_url.encode()).hexdigest()[:12]
            env["FRONTDESK_REDIS_CHANNEL_PREFIX"] = f"frontdesk-test-{own}:"
            env["FRONTDESK_RATE_LIMIT_KEY_PREFIX"] = f"frontdesk-test-limits-{own}"
        else:
            env.pop("FRONTDESK_REDIS_URL", None)
        command = [str(Path(sys.executable).parent / "frontdesk"), "serve", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=end_with_the_test_process
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                answered = httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
                if answered and self.process.poll() is None:  # ours, not a server that had the port before
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
