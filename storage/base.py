"""The store contract every backend honours (see tests/storage/test_store_contract.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class ConcurrencyError(Exception):
    """A write carried an eTag that no longer matches: someone else wrote first."""


@dataclass(frozen=True, slots=True)
class Record:
    """A stored JSON value and the eTag that identifies this version of it."""

    value: Any
    etag: str


@runtime_checkable
class Store(Protocol):
    """Async key/value store with optimistic concurrency, atomic one-shot keys and append-only logs.

    Values are JSON-serialisable. Keys are plain strings; callers namespace them
    (``state/...``, ``confirm/...``, ``cooldown/...``).
    """

    async def get(self, key: str) -> Record | None:
        """The current record, or None when the key is absent or expired."""

    async def put(self, key: str, value: Any, *, etag: str | None = None, ttl: float | None = None) -> str:
        """Write ``value`` and return its new eTag.

        ``etag=None`` writes unconditionally; ``etag="*"`` writes only if the key does not exist;
        any other eTag writes only if it matches the stored one. A mismatch raises ConcurrencyError.
        ``ttl`` (seconds) makes the key expire.
        """

    async def delete(self, key: str) -> None:
        """Remove the key (no error when absent)."""

    async def consume(self, key: str) -> Any | None:
        """Atomically read and delete: exactly one caller among concurrent ones gets the value."""

    async def append(self, log: str, entry: Any) -> None:
        """Append an entry to a durable, ordered log."""

    async def read_log(self, log: str, *, limit: int | None = None) -> list[Any]:
        """Entries of a log, oldest first (the last ``limit`` ones when given)."""

    async def ping(self) -> bool:
        """True when the backend is reachable (used by /readyz)."""

    async def close(self) -> None:
        """Release connections and files."""
