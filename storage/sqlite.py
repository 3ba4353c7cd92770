"""SQLite backend: the durable default for a single host (one or several processes on one file).

All SQLite calls run on one dedicated worker thread, so the event loop never blocks on disk I/O
and the connection is only ever touched by the thread that created it. Cross-process safety
comes from SQLite itself: WAL mode, ``BEGIN IMMEDIATE`` for read-modify-write and a busy
timeout so a second process waits for the lock instead of failing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from storage.base import ConcurrencyError, Record

log = logging.getLogger(__name__)

T = TypeVar("T")

# DELETE ... RETURNING makes consume a single atomic statement; older SQLite gets a transaction.
HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)

# How often (seconds) a write also sweeps every expired key, so dead rows do not pile up.
PURGE_INTERVAL = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    etag TEXT NOT NULL,
    expires_at REAL
);
CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    log TEXT NOT NULL,
    entry TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_name ON log (log, id);
"""


def _expired(expires_at: float | None, now: float) -> bool:
    return expires_at is not None and expires_at <= now


class SQLiteStore:
    """Store on a SQLite file (or ``:memory:``), safe to share between processes on one host."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0) -> None:
        self.path = str(path)
        self._busy_timeout_ms = int(busy_timeout * 1000)
        # One worker: every statement is serialised, so in-process callers never race each other.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._last_purge = 0.0

    # --- worker-thread helpers -------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """Open lazily on the worker thread, so constructing the store never touches the disk."""
        if self._conn is not None:
            return self._conn
        if self.path != ":memory:" and not self.path.startswith("file:"):
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit; transactions are opened explicitly with BEGIN IMMEDIATE.
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
            uri=self.path.startswith("file:"),
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal" and self.path != ":memory:":
                log.warning("SQLite store %s could not switch to WAL (journal_mode=%s)", self.path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
            # Not executescript(): it commits implicitly, and the schema must be created under the lock.
            conn.execute("BEGIN IMMEDIATE")
            for statement in filter(None, (s.strip() for s in SCHEMA.split(";"))):
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        log.debug("SQLite store opened at %s (sqlite %s)", self.path, sqlite3.sqlite_version)
        return conn

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("SQLiteStore is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(self._connection()))

    @staticmethod
    def _transaction(conn: sqlite3.Connection, body: Callable[[], T]) -> T:
        """Run ``body`` inside BEGIN IMMEDIATE: the write lock is taken up front, so no upgrade deadlock."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = body()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _maybe_purge(self, conn: sqlite3.Connection, now: float) -> None:
        if now - self._last_purge < PURGE_INTERVAL:
            return
        self._last_purge = now
        purged = conn.execute(
            "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
        ).rowcount
        if purged:
            log.debug("SQLite store purged %d expired keys", purged)

    # --- Store contract --------------------------------------------------------------------

    async def get(self, key: str) -> Record | None:
        def op(conn: sqlite3.Connection) -> Record | None:
            row = conn.execute("SELECT value, etag, expires_at FROM kv WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            now = time.time()
            if _expired(row[2], now):
                # Opportunistic purge; re-check expiry in SQL so a concurrent rewrite is not lost.
                conn.execute("DELETE FROM kv WHERE key = ? AND expires_at <= ?", (key, now))
                return None
            return Record(json.loads(row[0]), row[1])

        return await self._run(op)

    async def put(self, key: str, value: Any, *, etag: str | None = None, ttl: float | None = None) -> str:
        payload = json.dumps(value)

        def op(conn: sqlite3.Connection) -> str:
            def body() -> str:
                now = time.time()
                row = conn.execute("SELECT etag, expires_at FROM kv WHERE key = ?", (key,)).fetchone()
                current = None if row is None or _expired(row[1], now) else row[0]
                if etag == "*" and current is not None:
                    raise ConcurrencyError(key)
                if etag not in (None, "*") and current != etag:
                    raise ConcurrencyError(key)
                new_etag = uuid.uuid4().hex
                expires_at = now + ttl if ttl else None
                conn.execute(
                    "INSERT INTO kv (key, value, etag, expires_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, etag = excluded.etag, "
                    "expires_at = excluded.expires_at",
                    (key, payload, new_etag, expires_at),
                )
                self._maybe_purge(conn, now)
                return new_etag

            return self._transaction(conn, body)

        return await self._run(op)

    async def delete(self, key: str) -> None:
        await self._run(lambda conn: conn.execute("DELETE FROM kv WHERE key = ?", (key,)))

    async def consume(self, key: str) -> Any | None:
        def op(conn: sqlite3.Connection) -> Any | None:
            if HAS_RETURNING:
                # One statement in autocommit mode: atomic across threads and processes.
                row = conn.execute(
                    "DELETE FROM kv WHERE key = ? RETURNING value, expires_at", (key,)
                ).fetchone()
            else:

                def body() -> tuple[str, float | None] | None:
                    found = conn.execute("SELECT value, expires_at FROM kv WHERE key = ?", (key,)).fetchone()
                    if found is not None:
                        conn.execute("DELETE FROM kv WHERE key = ?", (key,))
                    return found

                row = self._transaction(conn, body)
            if row is None or _expired(row[1], time.time()):
                return None
            return json.loads(row[0])

        return await self._run(op)

    async def append(self, log: str, entry: Any) -> None:
        payload = json.dumps(entry)
        await self._run(
            lambda conn: conn.execute(
                "INSERT INTO log (log, entry, at) VALUES (?, ?, ?)", (log, payload, time.time())
            )
        )

    async def read_log(self, log: str, *, limit: int | None = None) -> list[Any]:
        def op(conn: sqlite3.Connection) -> list[Any]:
            if limit is None:
                rows = conn.execute("SELECT entry FROM log WHERE log = ? ORDER BY id", (log,)).fetchall()
            elif limit <= 0:
                rows = []
            else:
                rows = conn.execute(
                    "SELECT entry FROM log WHERE log = ? ORDER BY id DESC LIMIT ?", (log, limit)
                ).fetchall()
                rows.reverse()
            return [json.loads(r[0]) for r in rows]

        return await self._run(op)

    async def ping(self) -> bool:
        try:
            return await self._run(lambda conn: conn.execute("SELECT 1").fetchone() == (1,))
        except (sqlite3.Error, OSError, RuntimeError):
            log.warning("SQLite store %s is not usable", self.path, exc_info=True)
            return False

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def op() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, op)
        finally:
            # The queue is empty now, so this does not block the loop for long.
            self._executor.shutdown(wait=True)
