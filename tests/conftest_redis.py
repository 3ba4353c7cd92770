"""pytest plugin: a ``redis_url`` session fixture for tests marked ``@pytest.mark.redis``.

Order of preference: ``REDIS_URL`` from the environment; else a throwaway ``redis-server`` on a
free loopback port (no persistence), stopped at the end of the session; else skip locally, but
FAIL under CI (``CI`` set), so a CI machine without Redis cannot pass by silently skipping.
``scripts/redis-for-tests.sh`` installs redis-server on a fresh Debian/Ubuntu machine.

Enable with ``pytest_plugins = ["tests.conftest_redis"]`` in the top-level conftest.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 10.0


def running_in_ci() -> bool:
    """CI providers set CI=true (GitHub, GitLab...); treat any value but empty/0/false as CI."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pings(port: int) -> bool:
    """Raw RESP PING, so the fixture needs no event loop and no redis client to close."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _start_server(binary: str, workdir: str) -> tuple[subprocess.Popen[bytes], int]:
    # A port picked here may be taken before redis binds it; retry a few times with new ports.
    last_error = ""
    for _ in range(3):
        port = _free_port()
        logfile = os.path.join(workdir, f"redis-{port}.log")
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
                "--logfile",
                logfile,
                "--loglevel",
                "warning",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if _pings(port):
                return proc, port
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        try:
            with open(logfile, errors="replace") as fh:
                last_error = fh.read().strip()[-2000:]
        except OSError:
            last_error = f"exit code {proc.returncode}"
    raise RuntimeError(f"redis-server did not answer PING: {last_error or 'no output'}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Redis to test against (see module docstring for where it comes from)."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        reason = (
            "no Redis for @pytest.mark.redis tests: set REDIS_URL or install redis-server "
            "(scripts/redis-for-tests.sh)"
        )
        if running_in_ci():
            pytest.fail(f"{reason}; CI must not skip them", pytrace=False)
        pytest.skip(reason)
    proc, port = _start_server(binary, str(tmp_path_factory.mktemp("redis")))
    log.info("started redis-server pid %d on 127.0.0.1:%d", proc.pid, port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
