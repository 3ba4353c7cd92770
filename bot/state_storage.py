"""Bot Framework ``Storage`` on top of any :class:`storage.Store`.

Conversation and user state (including dialog stacks) then live wherever STORAGE_URL points,
so a restart or another replica resumes a dialog at the step it was on.

Serialisation follows botbuilder-azure's Blob/Cosmos storages: ``jsonpickle`` flattens the state
(``DialogState``, ``DialogInstance``, prompt options and activities are plain objects, not JSON),
and restores it on read. ``keys=True`` keeps non-string dict keys intact. The stored document
never carries ``e_tag``; the store's eTag is authoritative and is put back on read.
"""

from __future__ import annotations

import logging
import pickle
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from storage.base import ConcurrencyError, Store

log = logging.getLogger(__name__)

STATE_PREFIX = "state/"
_MISSING = object()


def _get_etag(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _set_etag(item: Any, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif item is not None:
        try:
            item.e_tag = etag
        except AttributeError:  # slotted or read-only item: nothing to update in place
            log.debug("cannot set e_tag on %s", type(item).__name__)


def encode_item(item: Any) -> Any:
    """JSON-safe form of a state item, without its e_tag."""
    flat = Pickler(keys=True).flatten(item)
    if isinstance(flat, dict):
        flat.pop("e_tag", None)
    return flat


def decode_item(flat: Any) -> Any:
    """Rebuild the objects that :func:`encode_item` flattened (``safe``: never evals py/repr).

    Plain JSON (a user profile) is already what it decodes to: jsonpickle would only copy it.
    """
    if _is_plain(flat):
        return flat
    return Unpickler(keys=True, safe=True).restore(flat)


def _is_plain(flat: Any) -> bool:
    """No jsonpickle tags ("py/...") and no encoded non-string keys ("json://...") anywhere."""
    if isinstance(flat, dict):
        return all(not k.startswith(_TAGGED) and _is_plain(v) for k, v in flat.items())
    if isinstance(flat, list):
        return all(_is_plain(v) for v in flat)
    return True


_TAGGED = ("py/", "json://")


class BotStateStorage(Storage):
    """botbuilder ``Storage`` adapter with MemoryStorage's eTag rules, backed by a Store.

    * ``read`` returns only the keys that exist, each with ``e_tag`` set to the store's eTag.
    * ``write`` with ``e_tag`` None or ``"*"`` writes unconditionally; with any other e_tag it writes
      only if that eTag is still current, else raises :class:`storage.ConcurrencyError` (another turn
      or replica saved first). As in MemoryStorage, an e_tag on an item that no longer exists
      recreates it. After a write the item's ``e_tag`` is updated in place, so a second save of
      the same state in one turn does not conflict with the first.
    * ``ttl`` (seconds) lets idle conversations expire instead of accumulating forever.

    Decoding with jsonpickle costs ~30 µs for an empty dialog stack, on every turn. The last state
    decoded for a key is kept as a pickle, tagged with the store's eTag: while the store still holds
    that eTag (eTags are unique per write, on every store), the state is that pickle. Any write, here
    or on another replica, changes the eTag, so the new state is decoded from the store as written.
    Pickles are made here from decoded objects, never read from the store.
    """

    def __init__(self, store: Store, *, prefix: str = STATE_PREFIX, ttl: float | None = None,
                 decoded_cache_size: int = 4096) -> None:
        super().__init__()
        self.store = store
        self.prefix = prefix
        self.ttl = ttl
        self._decoded: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._decoded_max = decoded_cache_size

    def _remember(self, key: str, etag: str, item: Any) -> None:
        if self._decoded_max <= 0:
            return
        try:
            blob = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # anything pickle refuses is decoded from the store every time
            self._decoded.pop(key, None)
            return
        self._decoded[key] = (etag, blob)
        self._decoded.move_to_end(key)
        while len(self._decoded) > self._decoded_max:
            self._decoded.popitem(last=False)

    def _recall(self, key: str, etag: str) -> Any:
        cached = self._decoded.get(key)
        if cached is None or cached[0] != etag:
            return _MISSING
        self._decoded.move_to_end(key)
        return pickle.loads(cached[1])  # made by _remember in this process, never read from the store

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def read(self, keys: list[str]) -> dict[str, Any]:
        items: dict[str, Any] = {}
        for key in keys or ():
            record = await self.store.get(self._key(key))
            if record is None:
                self._decoded.pop(key, None)
                continue
            item = self._recall(key, record.etag)
            if item is _MISSING:
                item = decode_item(record.value)
                self._remember(key, record.etag, item)
            _set_etag(item, record.etag)
            items[key] = item
        return items

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise Exception("Changes are required when writing")  # same message as MemoryStorage
        for key, item in changes.items():
            etag = _get_etag(item)
            if etag == "":
                raise Exception("BotStateStorage.write(): etag missing")
            value = encode_item(item)
            store_key = self._key(key)
            if etag in (None, "*"):
                new_etag = await self.store.put(store_key, value, ttl=self.ttl)
            else:
                try:
                    new_etag = await self.store.put(store_key, value, etag=etag, ttl=self.ttl)
                except ConcurrencyError:
                    if await self.store.get(store_key) is not None:
                        log.info("state write conflict on %s: it changed since it was read", key)
                        raise
                    # Gone since it was read (deleted or expired): recreate, but only if nobody
                    # else has meanwhile (create-only put raises ConcurrencyError otherwise).
                    new_etag = await self.store.put(store_key, value, etag="*", ttl=self.ttl)
            _set_etag(item, new_etag)

    async def delete(self, keys: Iterable[str]) -> None:
        # BotState.delete passes a set, so accept any iterable.
        for key in keys:
            self._decoded.pop(key, None)
            await self.store.delete(self._key(key))
