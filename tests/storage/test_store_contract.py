"""The Store contract (storage/base.py), run against every backend: memory, SQLite and Redis."""

from __future__ import annotations

import asyncio

import pytest

from storage import ConcurrencyError, Record, Store
from tests.storage.conftest import Backend

TTL = 0.2
AFTER_TTL = 0.45  # comfortably past TTL, still short


async def test_get_missing_is_none(store: Store) -> None:
    assert await store.get("nope") is None


async def test_put_get_roundtrip(store: Store) -> None:
    value = {"user": "Zoé", "devices": [1, 2.5, None, True], "nested": {"a": {"b": "c"}}}
    etag = await store.put("state/a", value)
    assert isinstance(etag, str) and etag
    assert await store.get("state/a") == Record(value, etag)


async def test_every_put_gets_a_new_etag(store: Store) -> None:
    first = await store.put("k", 1)
    second = await store.put("k", 2)
    assert first != second
    assert await store.get("k") == Record(2, second)


@pytest.mark.parametrize("value", [0, "", [], {}, None, "text", 3.25])
async def test_scalar_and_empty_values(store: Store, value: object) -> None:
    etag = await store.put("k", value)
    assert await store.get("k") == Record(value, etag)


async def test_put_with_current_etag_succeeds(store: Store) -> None:
    etag = await store.put("k", {"n": 1})
    new_etag = await store.put("k", {"n": 2}, etag=etag)
    assert await store.get("k") == Record({"n": 2}, new_etag)


async def test_put_with_stale_etag_raises(store: Store) -> None:
    stale = await store.put("k", {"n": 1})
    current = await store.put("k", {"n": 2})
    with pytest.raises(ConcurrencyError):
        await store.put("k", {"n": 3}, etag=stale)
    assert await store.get("k") == Record({"n": 2}, current)


async def test_put_with_etag_on_missing_key_raises(store: Store) -> None:
    with pytest.raises(ConcurrencyError):
        await store.put("k", 1, etag="0123456789abcdef")
    assert await store.get("k") is None


async def test_star_etag_is_create_only(store: Store) -> None:
    etag = await store.put("k", "first", etag="*")
    with pytest.raises(ConcurrencyError):
        await store.put("k", "second", etag="*")
    assert await store.get("k") == Record("first", etag)


async def test_concurrent_writers_with_same_etag_one_wins(store: Store) -> None:
    etag = await store.put("k", 0)

    async def writer(n: int) -> bool:
        try:
            await store.put("k", n, etag=etag)
        except ConcurrencyError:
            return False
        return True

    results = await asyncio.gather(*(writer(n) for n in range(1, 21)))
    assert results.count(True) == 1
    record = await store.get("k")
    assert record is not None and record.value == results.index(True) + 1


async def test_delete(store: Store) -> None:
    await store.delete("absent")  # no error
    await store.put("k", 1)
    await store.delete("k")
    assert await store.get("k") is None
    assert await store.consume("k") is None


async def test_ttl_expiry(store: Store) -> None:
    await store.put("short", {"code": "123456"}, ttl=TTL)
    await store.put("long", "stays")
    record = await store.get("short")
    assert record is not None and record.value == {"code": "123456"}
    await asyncio.sleep(AFTER_TTL)
    assert await store.get("short") is None
    assert await store.consume("short") is None
    assert (await store.get("long")) is not None


async def test_expired_key_counts_as_absent_for_etags(store: Store) -> None:
    stale = await store.put("k", 1, ttl=TTL)
    await asyncio.sleep(AFTER_TTL)
    with pytest.raises(ConcurrencyError):
        await store.put("k", 2, etag=stale)
    etag = await store.put("k", 3, etag="*")
    assert await store.get("k") == Record(3, etag)


async def test_put_without_ttl_clears_previous_ttl(store: Store) -> None:
    await store.put("k", 1, ttl=TTL)
    etag = await store.put("k", 2)
    await asyncio.sleep(AFTER_TTL)
    assert await store.get("k") == Record(2, etag)


async def test_consume_once(store: Store) -> None:
    await store.put("confirm/abc", {"action": "sync", "device": "d1"})
    assert await store.consume("confirm/abc") == {"action": "sync", "device": "d1"}
    assert await store.consume("confirm/abc") is None
    assert await store.get("confirm/abc") is None
    assert await store.consume("never-there") is None


async def test_consume_exactly_once_under_50_concurrent_consumers(store: Store) -> None:
    for round_ in range(3):
        await store.put(f"confirm/{round_}", {"round": round_})
        results = await asyncio.gather(*(store.consume(f"confirm/{round_}") for _ in range(50)))
        winners = [r for r in results if r is not None]
        assert winners == [{"round": round_}]


async def test_logs_are_ordered(store: Store) -> None:
    for i in range(5):
        await store.append("audit", {"i": i})
    await store.append("feedback", "other log")
    assert await store.read_log("audit") == [{"i": i} for i in range(5)]
    assert await store.read_log("feedback") == ["other log"]
    assert await store.read_log("missing") == []


async def test_log_limit_returns_the_latest(store: Store) -> None:
    for i in range(5):
        await store.append("audit", i)
    assert await store.read_log("audit", limit=2) == [3, 4]
    assert await store.read_log("audit", limit=1) == [4]
    assert await store.read_log("audit", limit=10) == [0, 1, 2, 3, 4]
    assert await store.read_log("audit", limit=0) == []


async def test_concurrent_appends_all_kept(store: Store) -> None:
    await asyncio.gather(*(store.append("audit", i) for i in range(30)))
    assert sorted(await store.read_log("audit")) == list(range(30))


async def test_keys_and_logs_do_not_collide(store: Store) -> None:
    await store.put("audit", {"kv": True})
    await store.append("audit", "entry")
    assert await store.get("audit") is not None
    assert await store.read_log("audit") == ["entry"]


async def test_ping(store: Store) -> None:
    assert await store.ping() is True


async def test_survives_reopen(backend: Backend) -> None:
    if not backend.durable:
        pytest.skip(f"{backend.name} store is not durable by design")
    store = backend.open()
    etag = await store.put("state/conv", {"step": 2})
    await store.append("audit", "before restart")
    await store.put("confirm/x", "once")

    reopened = await backend.reopen(store)
    assert await reopened.get("state/conv") == Record({"step": 2}, etag)
    assert await reopened.read_log("audit") == ["before restart"]
    assert await reopened.consume("confirm/x") == "once"
    await reopened.append("audit", "after restart")
    assert await reopened.read_log("audit") == ["before restart", "after restart"]
    # The eTag read before the restart is still valid after it.
    await reopened.put("state/conv", {"step": 3}, etag=etag)


async def test_two_clients_see_each_other(durable_backend: Backend) -> None:
    """Two store objects on one location (two replicas/processes) share data and eTags."""
    a, b = durable_backend.open(), durable_backend.open()
    etag = await a.put("k", "from a")
    assert await b.get("k") == Record("from a", etag)
    await b.put("k", "from b", etag=etag)
    with pytest.raises(ConcurrencyError):
        await a.put("k", "lost update", etag=etag)
    await a.put("confirm/1", 1)
    results = await asyncio.gather(*(s.consume("confirm/1") for s in (a, b) for _ in range(10)))
    assert [r for r in results if r is not None] == [1]
