"""In-process store for unit tests: same contract, nothing durable."""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from typing import Any

from storage.base import ConcurrencyError, Record


class MemoryStore:
    """Dict-backed Store; values are deep-copied so callers never share mutable state with it."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, str, float | None]] = {}
        self._logs: dict[str, list[str]] = {}
        self._lock = asyncio.Lock()

    def _live(self, key: str) -> tuple[str, str, float | None] | None:
        item = self._data.get(key)
        if item is not None and item[2] is not None and item[2] <= time.time():
            del self._data[key]
            return None
        return item

    async def get(self, key: str) -> Record | None:
        item = self._live(key)
        return None if item is None else Record(json.loads(item[0]), item[1])

    async def put(self, key: str, value: Any, *, etag: str | None = None, ttl: float | None = None) -> str:
        async with self._lock:
            current = self._live(key)
            if etag == "*" and current is not None:
                raise ConcurrencyError(key)
            if etag not in (None, "*") and (current is None or current[1] != etag):
                raise ConcurrencyError(key)
            new_etag = uuid.uuid4().hex
            expires = time.time() + ttl if ttl else None
            self._data[key] = (json.dumps(value), new_etag, expires)
            return new_etag

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def consume(self, key: str) -> Any | None:
        async with self._lock:
            item = self._live(key)
            if item is None:
                return None
            del self._data[key]
            return json.loads(item[0])

    async def append(self, log: str, entry: Any) -> None:
        self._logs.setdefault(log, []).append(json.dumps(entry))

    async def read_log(self, log: str, *, limit: int | None = None) -> list[Any]:
        entries = self._logs.get(log, [])
        if limit is not None:
            entries = entries[-limit:] if limit > 0 else []
        return [json.loads(e) for e in entries]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    def snapshot(self) -> dict[str, Any]:
        """Plain copy of the live keys, for test assertions."""
        return {k: copy.deepcopy(json.loads(v[0])) for k in list(self._data) if (v := self._live(k))}
