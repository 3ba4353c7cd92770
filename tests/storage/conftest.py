"""Fixtures for the storage tests: one ``backend`` per Store implementation.

``redis_url`` comes from tests/conftest_redis.py; importing it here makes this directory work on
its own, and is harmless once the top-level conftest also loads that plugin.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from storage import MemoryStore, Store
from storage.redis_store import RedisStore
from storage.sqlite import SQLiteStore
from tests.conftest_redis import redis_url  # noqa: F401  (fixture re-export)


@dataclass
class Backend:
    """Opens stores on one backend location; ``reopen`` simulates a restart of the process."""

    name: str
    durable: bool
    factory: Callable[[], Store]
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        store = self.factory()
        self.opened.append(store)
        return store

    async def reopen(self, store: Store) -> Store:
        await self.close(store)
        return self.open()

    async def close(self, store: Store) -> None:
        if store in self.opened:
            self.opened.remove(store)
            await store.close()

    async def close_all(self) -> None:
        for store in list(self.opened):
            await self.close(store)


async def _make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if name == "memory":
        return Backend("memory", False, MemoryStore)
    if name == "sqlite":
        # A not-yet-existing sub-directory: the store must create it.
        path = tmp_path / "data" / "helpdesk.db"
        return Backend("sqlite", True, lambda: SQLiteStore(path))
    if name == "redis":
        url = request.getfixturevalue("redis_url")
        # A unique prefix per test isolates tests even on a shared REDIS_URL.
        prefix = f"helpdesk-test-{uuid.uuid4().hex[:12]}:"
        return Backend("redis", True, lambda: RedisStore(url, prefix=prefix))
    raise ValueError(name)


async def _cleanup(backend: Backend) -> None:
    await backend.close_all()
    if backend.name == "redis":
        store = backend.factory()
        assert isinstance(store, RedisStore)
        try:
            client = store._redis
            keys = [k async for k in client.scan_iter(match=f"{store.prefix}*")]
            if keys:
                await client.delete(*keys)
        finally:
            await store.close()


ALL = ["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)]
DURABLE = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=ALL)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Every Store implementation, memory, SQLite and Redis."""
    b = await _make_backend(request.param, request, tmp_path)
    try:
        yield b
    finally:
        await _cleanup(b)


@pytest.fixture(params=DURABLE)
async def durable_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Only the backends whose data outlives the store object (SQLite, Redis)."""
    b = await _make_backend(request.param, request, tmp_path)
    try:
        yield b
    finally:
        await _cleanup(b)


@pytest.fixture
async def store(backend: Backend) -> Store:
    """A store opened on the current backend (closed by the backend fixture)."""
    return backend.open()
