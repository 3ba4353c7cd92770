"""Durable "I'll tell you when it's done" watches: a restart no longer loses them (issue 16, defect 10).

After a sync, the bot watches the device's action state and tells the user when it completes. That watch was a
task in one process: a restart or a deploy dropped it and the user never heard back. Now each watch is a record
in the Store (``watch/{id}``: the conversation reference, device, language, deadline), listed in one of a few
index keys, and run under a **lease**: the replica running it renews the lease at every poll; a watch whose lease
has lapsed (its replica died) is adopted, by an eTag write so only one replica wins, when any replica starts and
then every ``adopt_every`` seconds. A watch ends (record deleted) when the sync finishes and the notice is sent,
or when its deadline passes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference

from bot.settings import Settings
from dialogs.sync_dialog import state_label
from intune.models import Device
from intune.sync_service import SyncService
from presentation.i18n import Translator
from storage import ConcurrencyError, Store

log = logging.getLogger(__name__)

_PREFIX = "watch/"
_INDEX = "watches/index/"
_SHARDS = 16
_SINCE_MARGIN_S = 5.0  # the sync was requested just before the watch began; older sync entries are not it


class Watches:
    """Start, persist, resume and run completion watches for one app (one per HelpdeskBot)."""

    def __init__(self, settings: Settings, store: Store, sync: SyncService | None, adapter: Any, *,
                 messenger: Any = None, lease_s: float | None = None, adopt_every: float = 15.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.messenger = messenger  # dialogs.messenger.Messenger: notices meant for a user's 1:1 chat
        self.store = store
        self.sync = sync
        self.adapter = adapter
        self.owner = uuid.uuid4().hex
        self.lease_s = lease_s if lease_s is not None else max(30.0, 3 * settings.completion_poll_s)
        self.adopt_every = adopt_every
        self.clock = clock
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._adopter: asyncio.Task[Any] | None = None
        # The SDK posts proactive messages with blocking `requests` calls and sleeps between retries:
        # they run on their own threads so a slow or dead serviceUrl never stalls other turns.
        self._delivery = ThreadPoolExecutor(max_workers=2, thread_name_prefix="watch-notice")
        self.delivered = 0

    # -- starting a watch ----------------------------------------------------------------------
    async def start(self, turn_context: TurnContext, device: Device, lang: str, *,
                    private_to: str | None = None) -> str | None:
        """Persist a watch for ``device`` on this conversation and run it; returns its id. ``private_to`` (an
        Entra object id) sends the notice to that user's 1:1 chat instead (a sync asked in a group chat)."""
        if self.sync is None:
            return None
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        now = self.clock()
        watch_id = uuid.uuid4().hex
        record = {
            "id": watch_id, "device_id": device.id, "device_name": device.name, "lang": lang,
            "reference": reference.serialize(), "private_to": private_to, "since": now - _SINCE_MARGIN_S,
            "deadline": now + self.settings.completion_watch_s,
            "owner": self.owner, "lease_until": now + self.lease_s,
        }
        etag = await self.store.put(_PREFIX + watch_id, record, ttl=self._ttl(record))
        await self._index(watch_id, add=True)
        self._run(watch_id, record, etag)
        return watch_id

    # -- resuming ------------------------------------------------------------------------------
    async def resume(self) -> int:
        """Adopt every pending watch whose lease has lapsed (its process stopped); returns how many."""
        adopted = 0
        for shard in range(_SHARDS):
            record = await self.store.get(f"{_INDEX}{shard}")
            for watch_id in list(record.value.get("ids", [])) if record else []:
                if watch_id in self._tasks:
                    continue
                if await self._adopt(watch_id):
                    adopted += 1
        if adopted:
            log.info("resumed %d pending completion watch(es)", adopted)
        return adopted

    def start_adopting(self) -> None:
        """Resume now, then every ``adopt_every`` seconds (watches of a replica that died meanwhile)."""
        if self._adopter is None and self.sync is not None:
            self._adopter = asyncio.create_task(self._adopt_loop())

    async def _adopt_loop(self) -> None:
        while True:
            try:
                await self.resume()
            except Exception:
                log.warning("could not resume pending watches", exc_info=True)
            await asyncio.sleep(self.adopt_every)

    async def _adopt(self, watch_id: str) -> bool:
        current = await self.store.get(_PREFIX + watch_id)
        if current is None:  # finished, or expired with its TTL
            await self._index(watch_id, add=False)
            return False
        record = dict(current.value)
        now = self.clock()
        if now >= float(record.get("deadline", 0)):
            await self._finish(watch_id)
            return False
        if float(record.get("lease_until", 0)) > now and record.get("owner") != self.owner:
            return False  # another replica is running it
        record.update(owner=self.owner, lease_until=now + self.lease_s)
        try:
            etag = await self.store.put(_PREFIX + watch_id, record, etag=current.etag, ttl=self._ttl(record))
        except ConcurrencyError:
            return False  # another replica adopted it first
        self._run(watch_id, record, etag)
        return True

    # -- running -------------------------------------------------------------------------------
    def _run(self, watch_id: str, record: dict[str, Any], etag: str) -> None:
        task = asyncio.create_task(self._watch(watch_id, record, etag))
        self._tasks[watch_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(watch_id, None))

    async def _watch(self, watch_id: str, record: dict[str, Any], etag: str) -> None:
        assert self.sync is not None
        since = datetime.fromtimestamp(float(record["since"]), UTC)
        status = None
        try:
            while True:
                remaining = float(record["deadline"]) - self.clock()
                if remaining <= 0:
                    break
                status = await self.sync.wait_for_completion(
                    record["device_id"], timeout=min(remaining, self.lease_s / 2),
                    interval=self.settings.completion_poll_s, since=since)
                if status is not None and status.state in status.TERMINAL_STATES:
                    break
                renewed = await self._renew(watch_id, record, etag)
                if renewed is None:
                    return  # lost the lease: another replica runs it now
                etag = renewed
        except asyncio.CancelledError:
            raise  # shutting down: the record stays, another start-up resumes it
        except Exception:
            log.warning("watching the sync of a device failed", exc_info=True)
            return  # the lease lapses and the watch is adopted again
        if status is not None and status.state in status.TERMINAL_STATES:
            await self._notify(record, status.state)
        await self._finish(watch_id)

    async def _renew(self, watch_id: str, record: dict[str, Any], etag: str) -> str | None:
        record["lease_until"] = self.clock() + self.lease_s
        try:
            return await self.store.put(_PREFIX + watch_id, record, etag=etag, ttl=self._ttl(record))
        except ConcurrencyError:
            return None

    async def _notify(self, record: dict[str, Any], state: str) -> None:
        t = Translator(record.get("lang") or "en")
        text = t("Update: {name} — sync {state}.", name=record.get("device_name") or "", state=state_label(t, state))
        if record.get("private_to") and self.messenger is not None:
            try:
                if await self.messenger.to_user(None, record["private_to"], text, reference=record["reference"]):
                    self.delivered += 1
            except Exception:
                log.warning("could not deliver the completion notice", exc_info=True)
            return
        reference = ConversationReference().deserialize(record["reference"])

        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activity(text)

        def deliver() -> None:
            asyncio.run(self.adapter.continue_conversation(reference, send, self.settings.app_id or None))

        try:
            await asyncio.get_running_loop().run_in_executor(self._delivery, deliver)
            self.delivered += 1
        except Exception:
            log.warning("could not deliver the completion notice", exc_info=True)

    async def _finish(self, watch_id: str) -> None:
        try:
            await self.store.delete(_PREFIX + watch_id)
            await self._index(watch_id, add=False)
        except Exception:
            log.warning("could not remove a finished watch (its TTL will)", exc_info=True)

    # -- the index -----------------------------------------------------------------------------
    async def _index(self, watch_id: str, *, add: bool) -> None:
        """Add or remove an id in its shard of the index (eTag retries: replicas write concurrently)."""
        key = f"{_INDEX}{zlib.crc32(watch_id.encode()) % _SHARDS}"
        for _ in range(20):
            current = await self.store.get(key)
            ids = list(current.value.get("ids", [])) if current else []
            if (watch_id in ids) == add:
                return
            ids = [*ids, watch_id] if add else [i for i in ids if i != watch_id]
            try:
                await self.store.put(key, {"ids": ids}, etag=current.etag if current else "*")
                return
            except ConcurrencyError:
                await asyncio.sleep(0.005)
        log.warning("could not update the watch index for %s after 20 tries", watch_id)

    def _ttl(self, record: dict[str, Any]) -> float:
        return max(60.0, float(record["deadline"]) - self.clock() + 3600.0)

    async def close(self) -> None:
        """Stop watching and hand the watches over: their records stay, with the lease released, so the next
        start-up (or another replica, within ``adopt_every``) resumes them at once. After a crash the lease
        lapses by itself within ``lease_s``."""
        running = list(self._tasks)
        tasks = [t for t in (self._adopter, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._adopter = None
        for watch_id in running:
            try:
                current = await self.store.get(_PREFIX + watch_id)
                if current is not None and current.value.get("owner") == self.owner:
                    record = {**current.value, "lease_until": 0}
                    await self.store.put(_PREFIX + watch_id, record, etag=current.etag, ttl=self._ttl(record))
            except Exception:
                log.info("could not release the lease of watch %s; it lapses by itself", watch_id)
        self._delivery.shutdown(wait=False, cancel_futures=True)

