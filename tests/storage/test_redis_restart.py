"""Issue 16, defect 9: a redis-server restart must cost no request that arrives once Redis is back.

Without retries, every connection pooled before the restart failed once (ConnectionError) on its next use, for
as long as the pool kept stale connections. The store's client now checks idle connections and retries
connection errors with a short backoff. This test restarts a real redis-server of its own on the same port.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.redis_store import RedisStore
from tests.conftest_redis import _pings, _start_server

pytestmark = pytest.mark.redis


class _RedisServer:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (scripts/redis-for-tests.sh)")
        self.binary, self.workdir = binary, str(workdir)
        self.proc, self.port = _start_server(binary, self.workdir)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    async def restart(self) -> None:
        self.stop()
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.workdir, "--loglevel", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if _pings(self.port):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("redis-server did not come back")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_RedisServer]:
    s = _RedisServer(tmp_path)
    yield s
    s.stop()


async def test_requests_after_a_restart_all_succeed(server: _RedisServer) -> None:
    store = RedisStore(f"redis://127.0.0.1:{server.port}/0", prefix="restart-test:")
    try:
        # Fill the pool with several connections, as a busy bot does.
        await asyncio.gather(*(store.put(f"k{i}", {"n": i}) for i in range(16)))
        await server.restart()  # a restart without persistence: the data is gone, the pool is stale
        results = await asyncio.gather(*(store.get(f"k{i}") for i in range(16)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == [], f"{len(errors)} of 16 requests failed after the restart: {errors[:2]}"
        assert results == [None] * 16
        await store.put("after", {"ok": True})
        record = await store.get("after")
        assert record is not None and record.value == {"ok": True}
        assert await store.ping()
    finally:
        await store.close()


async def test_a_request_while_redis_is_down_fails_in_bounded_time(server: _RedisServer) -> None:
    store = RedisStore(f"redis://127.0.0.1:{server.port}/0", prefix="restart-test:")
    try:
        await store.put("k", 1)
        server.stop()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(Exception):  # noqa: B017 - redis-py's ConnectionError, whatever its subclass
            await store.get("k")
        assert loop.time() - started < 5  # retries are short: the turn fails fast, the user can retry
        assert not await store.ping()
    finally:
        await store.close()
