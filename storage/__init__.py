"""Framework-free key/value storage shared by conversation state and the Intune domain.

One interface (:class:`Store`) with three backends: memory (unit tests), SQLite (the durable
default) and Redis (shared by several replicas). Everything above it - Bot Framework state,
confirmations, cooldowns, feedback, the audit log - goes through this interface only.
"""

from storage.base import ConcurrencyError, Record, Store
from storage.memory import MemoryStore

__all__ = ["ConcurrencyError", "MemoryStore", "Record", "Store", "open_store"]


def open_store(url: str) -> Store:
    """Open a store from a URL: ``memory://``, ``sqlite:///path/to/file`` or ``redis://host:port/db``."""
    if url.startswith("memory:"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        from storage.sqlite import SQLiteStore

        # SQLAlchemy's convention: sqlite:///relative/path, sqlite:////absolute/path
        path = url.split("://", 1)[1] if "://" in url else url.split(":", 1)[1]
        if path.startswith("/"):
            path = path[1:]
        return SQLiteStore(path or ":memory:")
    if url.startswith(("redis://", "rediss://", "unix://")):
        from storage.redis_store import RedisStore

        return RedisStore(url)
    raise ValueError(f"unsupported STORAGE_URL scheme: {url.split(':', 1)[0]!r}")
