"""Redis backend: shared by several bot replicas.

Each key is a hash ``{prefix}kv:{key}`` with fields ``v`` (the JSON value) and ``e`` (its eTag).
The eTag check-and-set and consume run as Lua scripts, so they are atomic on the server whatever
the number of replicas; logs are lists ``{prefix}log:{name}``. The two namespaces keep a key and a
log of the same name from colliding.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from storage.base import ConcurrencyError, Record

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "helpdesk:"

# KEYS[1] hash; ARGV: expected etag ("" = unconditional, "*" = create only), new etag, value, ttl ms.
# Returns 1 when written, 0 on an eTag mismatch. DEL first so a put without ttl clears an old one.
_PUT = """
local current = redis.call('HGET', KEYS[1], 'e')
local expected = ARGV[1]
if expected == '*' then
  if current then return 0 end
elseif expected ~= '' then
  if current ~= expected then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'e', ARGV[2])
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

# KEYS[1] hash. Returns the value and deletes the key in one step: exactly one caller gets it.
_CONSUME = """
local value = redis.call('HGET', KEYS[1], 'v')
if value then redis.call('DEL', KEYS[1]) end
return value
"""


class RedisStore:
    """Store on Redis (``redis://``, ``rediss://`` or ``unix://`` URL); namespaced by ``prefix``."""

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX, **client_options: Any) -> None:
        """Connection resilience (issue 16): after a redis-server restart or an Azure Cache failover, every
        pooled connection failed once on its next use, so requests failed for 10 s or more after Redis was
        back. Now a connection idle for ``health_check_interval`` seconds is PINGed (and reopened) before use,
        and a connection error or timeout reconnects and retries the command up to 3 times with jittered
        exponential backoff (50 ms to 0.5 s): bounded, so a Redis that stays down fails a turn in ~2 s.

        A retried write may run twice if the connection broke after Redis executed it; the store's operations
        tolerate that: a create-only put fails its eTag check (treated as "someone else got there"), a second
        consume finds nothing (never two syncs), a log append may be duplicated.
        """
        self.prefix = prefix
        client_options.setdefault("decode_responses", True)
        client_options.setdefault("health_check_interval", 2)
        client_options.setdefault("retry", Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=3))
        client_options.setdefault("retry_on_error", [RedisConnectionError, RedisTimeoutError, ConnectionResetError,
                                                     BrokenPipeError])
        client_options.setdefault("socket_connect_timeout", 2)
        client_options.setdefault("socket_timeout", 5)
        client_options.setdefault("socket_keepalive", True)
        self._redis: aioredis.Redis = aioredis.Redis.from_url(url, **client_options)
        self._put = self._redis.register_script(_PUT)
        self._consume = self._redis.register_script(_CONSUME)

    def _kv(self, key: str) -> str:
        return f"{self.prefix}kv:{key}"

    def _log(self, name: str) -> str:
        return f"{self.prefix}log:{name}"

    async def get(self, key: str) -> Record | None:
        # A hash that expired is gone server-side, so absence covers expiry too.
        value, etag = await self._redis.hmget(self._kv(key), ["v", "e"])
        if value is None or etag is None:
            return None
        return Record(json.loads(value), etag)

    async def put(self, key: str, value: Any, *, etag: str | None = None, ttl: float | None = None) -> str:
        new_etag = uuid.uuid4().hex
        ttl_ms = max(1, int(ttl * 1000)) if ttl else 0
        written = await self._put(
            keys=[self._kv(key)], args=[etag or "", new_etag, json.dumps(value), ttl_ms]
        )
        if not int(written):
            raise ConcurrencyError(key)
        return new_etag

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._kv(key))

    async def consume(self, key: str) -> Any | None:
        value = await self._consume(keys=[self._kv(key)])
        return None if value is None else json.loads(value)

    async def append(self, log: str, entry: Any) -> None:
        await self._redis.rpush(self._log(log), json.dumps(entry))

    async def read_log(self, log: str, *, limit: int | None = None) -> list[Any]:
        if limit is not None and limit <= 0:
            return []
        start = 0 if limit is None else -limit
        return [json.loads(e) for e in await self._redis.lrange(self._log(log), start, -1)]

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            log.warning("Redis store is not reachable", exc_info=True)
            return False

    async def close(self) -> None:
        # aclose() also disconnects the pool that from_url created for this client.
        await self._redis.aclose()
