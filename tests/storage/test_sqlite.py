"""SQLite specifics: file layout, WAL, expiry purge, the pre-3.35 consume path and several processes."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from storage import open_store
from storage import sqlite as sqlite_module
from storage.sqlite import SQLiteStore

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def db(tmp_path: Path):
    store = SQLiteStore(tmp_path / "nested" / "dir" / "store.db")
    yield store
    await store.close()


async def test_creates_parent_dirs_schema_and_wal(db: SQLiteStore, tmp_path: Path) -> None:
    await db.put("k", 1)
    path = tmp_path / "nested" / "dir" / "store.db"
    assert path.exists()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    raw.close()
    assert {"kv", "log"} <= tables


async def test_constructor_does_not_touch_disk(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lazy" / "store.db")
    assert not (tmp_path / "lazy").exists()
    await store.close()


async def test_runs_off_the_event_loop_thread(db: SQLiteStore) -> None:
    seen: list[str] = []
    await db._run(lambda conn: seen.append(threading.current_thread().name))
    assert seen and seen[0] != threading.current_thread().name


async def test_expired_rows_are_purged(db: SQLiteStore, tmp_path: Path) -> None:
    await db.put("gone", 1, ttl=0.1)
    await db.put("also-gone", 1, ttl=0.1)
    await asyncio.sleep(0.25)
    assert await db.get("gone") is None  # purged on read
    db._last_purge = 0.0
    await db.put("other", 2)  # the periodic sweep on write takes the rest
    rows = await db._run(lambda conn: conn.execute("SELECT key FROM kv ORDER BY key").fetchall())
    assert rows == [("other",)]


async def test_consume_without_returning(monkeypatch: pytest.MonkeyPatch, db: SQLiteStore) -> None:
    monkeypatch.setattr(sqlite_module, "HAS_RETURNING", False)
    await db.put("k", {"v": 1})
    results = await asyncio.gather(*(db.consume("k") for _ in range(50)))
    assert [r for r in results if r is not None] == [{"v": 1}]
    await db.put("short", 1, ttl=0.1)
    await asyncio.sleep(0.25)
    assert await db.consume("short") is None


async def test_closed_store_refuses_work_and_close_is_idempotent(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.put("k", 1)
    await store.close()
    await store.close()
    with pytest.raises(RuntimeError):
        await store.get("k")
    assert await store.ping() is False


async def test_in_memory_database(tmp_path: Path) -> None:
    store = SQLiteStore(":memory:")
    try:
        await store.put("k", 1)
        assert (await store.get("k")).value == 1  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_open_store_dispatches_sqlite_urls(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/via-url/store.db")
    try:
        assert isinstance(store, SQLiteStore)
        await store.put("k", "v")
        assert (tmp_path / "via-url" / "store.db").exists()
    finally:
        await store.close()


# --- several processes on one file ---------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import asyncio, json, random, sys, time
    from storage.sqlite import SQLiteStore

    async def main(path, mode, start_at, n, seed):
        store = SQLiteStore(path)
        await store.ping()  # open the file before the start line
        while time.time() < start_at:
            await asyncio.sleep(0.002)
        if mode == "consume":
            # Each worker walks the keys in its own order, so they collide all over the range.
            order = list(range(n))
            random.Random(seed).shuffle(order)
            won = [k for k in order if await store.consume(f"confirm/{k}") is not None]
            result = won
        else:  # "increment": optimistic read-modify-write with retries
            from storage import ConcurrencyError
            conflicts = 0
            for _ in range(n):
                while True:
                    record = await store.get("counter")
                    try:
                        await store.put("counter", record.value + 1, etag=record.etag)
                        break
                    except ConcurrencyError:
                        conflicts += 1
            result = conflicts
        await store.close()
        print(json.dumps(result))

    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
    """
)


def _run_workers(path: Path, mode: str, n: int, workers: int = 2) -> list[object]:
    start_at = time.time() + 1.5  # lets every interpreter start before the race begins
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), mode, str(start_at), str(n), str(seed)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(workers)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    return results


async def test_two_processes_consume_each_key_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = SQLiteStore(path)
    n = 40
    for k in range(n):
        await store.put(f"confirm/{k}", {"k": k})
    await store.close()

    won_a, won_b = await asyncio.to_thread(_run_workers, path, "consume", n)
    assert isinstance(won_a, list) and isinstance(won_b, list)
    assert not set(won_a) & set(won_b), "a key was consumed by both processes"
    assert sorted(won_a + won_b) == list(range(n))


async def test_two_processes_etag_increments_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "counter.db"
    store = SQLiteStore(path)
    await store.put("counter", 0)
    await store.close()

    await asyncio.to_thread(_run_workers, path, "increment", 50)

    store = SQLiteStore(path)
    try:
        assert (await store.get("counter")).value == 100  # type: ignore[union-attr]
    finally:
        await store.close()
