"""Issue 16, defect 8: every syncDevice call that Graph may have accepted has an audit record, across crashes.

The intent is appended before Graph is called and the outcome after. The bot killed between the two (here: the
task cancelled while it writes the outcome, as a shutdown or a crash would), or a store that fails once Graph has
answered, leaves an "outcome unknown" record in the durable store. A store that fails before Graph is called
means Graph is not called at all, and the confirmation can be used again once the store is back.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from intune import (
    DEMO_IDS,
    AuthorizationPolicy,
    Confirmation,
    DemoTenant,
    GraphClient,
    SyncService,
    SyncStatus,
)
from intune.fake_graph import FakeGraphServer
from storage.memory import MemoryStore
from storage.sqlite import SQLiteStore

from .conftest import FakeClock


class _DiesWhileRecordingTheOutcome(SQLiteStore):
    """The process dies (the task is cancelled) as it appends a sync's outcome to the audit log."""

    async def append(self, log: str, entry: Any) -> None:
        if log == "audit" and entry.get("phase", "outcome") == "outcome" and entry.get("outcome") == "requested":
            raise asyncio.CancelledError("killed")
        await super().append(log, entry)


async def test_a_crash_after_graph_accepted_leaves_an_outcome_unknown_record(
    tmp_path: Path, graph: GraphClient, authz: AuthorizationPolicy, clock: FakeClock, fake: FakeGraphServer,
    tenant: DemoTenant,
) -> None:
    path = tmp_path / "helpdesk.sqlite3"
    dying = _DiesWhileRecordingTheOutcome(path)
    service = SyncService(graph, dying, authz, clock=clock)
    alice = tenant.caller("alice")
    confirmation = await service.request_confirmation(alice, DEMO_IDS.alice_pc)
    assert isinstance(confirmation, Confirmation)
    with pytest.raises(asyncio.CancelledError):
        await service.confirm(alice, confirmation.id)
    await dying.close()
    assert len(fake.state.sync_calls) == 1  # Graph accepted the sync

    restarted = SQLiteStore(path)  # the next process, on the same durable store
    try:
        [entry] = await SyncService(graph, restarted, authz, clock=clock).audit_log()
    finally:
        await restarted.close()
    assert entry.outcome == SyncStatus.OUTCOME_UNKNOWN.value and entry.phase == "intent"
    assert entry.device_id == DEMO_IDS.alice_pc and entry.caller_id == DEMO_IDS.alice


async def test_an_intent_is_superseded_by_its_outcome(service: SyncService, store: MemoryStore,
                                                      tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    confirmation = await service.request_confirmation(alice, DEMO_IDS.alice_pc)
    assert isinstance(confirmation, Confirmation)
    assert (await service.confirm(alice, confirmation.id)).ok
    raw = await store.read_log("audit")
    assert [(e["phase"], e["outcome"]) for e in raw] == [("intent", "outcome_unknown"), ("outcome", "requested")]
    assert raw[0]["attempt"] == raw[1]["attempt"]
    assert [e.outcome for e in await service.audit_log()] == ["requested"]
    assert [e.outcome for e in await service.who_synced("DESKTOP-42QX7T1")] == ["requested"]


class _AuditDown(MemoryStore):
    """Everything works but appending to the audit log (a full disk, a Redis failing over)."""

    def __init__(self) -> None:
        super().__init__()
        self.audit_down = True

    async def append(self, log: str, entry: Any) -> None:
        if log == "audit" and self.audit_down:
            raise ConnectionError("store unreachable")
        await super().append(log, entry)


async def test_no_intent_record_means_no_graph_call_and_the_confirmation_survives(
    graph: GraphClient, authz: AuthorizationPolicy, clock: FakeClock, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    store = _AuditDown()
    service = SyncService(graph, store, authz, clock=clock)
    alice = tenant.caller("alice")
    confirmation = await service.request_confirmation(alice, DEMO_IDS.alice_pc)
    assert isinstance(confirmation, Confirmation)
    with pytest.raises(ConnectionError):
        await service.confirm(alice, confirmation.id)
    assert fake.state.sync_calls == []  # nothing was done that the audit could not show
    assert not [k for k in store.snapshot() if k.startswith("cooldown/")]  # and nothing blocks a retry

    store.audit_down = False  # the store is back: the same card works
    outcome = await service.confirm(alice, confirmation.id)
    assert outcome.ok and len(fake.state.sync_calls) == 1
    assert [e.outcome for e in await service.audit_log()] == ["requested"]


class _StoreDiesAfterGraph(MemoryStore):
    """The store fails right after syncDevice: the cooldown update and the outcome record are lost."""

    def __init__(self, fake: FakeGraphServer) -> None:
        super().__init__()
        self.fake = fake

    async def put(self, key: str, value: Any, **kw: Any) -> str:
        if self.fake.state.sync_calls:
            raise ConnectionError("store unreachable")
        return await super().put(key, value, **kw)

    async def append(self, log: str, entry: Any) -> None:
        if self.fake.state.sync_calls:
            raise ConnectionError("store unreachable")
        await super().append(log, entry)


async def test_a_store_failure_after_graph_keeps_the_intent_and_tells_the_user_it_was_requested(
    graph: GraphClient, authz: AuthorizationPolicy, clock: FakeClock, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    store = _StoreDiesAfterGraph(fake)
    service = SyncService(graph, store, authz, clock=clock)
    alice = tenant.caller("alice")
    confirmation = await service.request_confirmation(alice, DEMO_IDS.alice_pc)
    assert isinstance(confirmation, Confirmation)
    outcome = await service.confirm(alice, confirmation.id)
    assert outcome.ok  # Graph accepted it: the user is told the truth, not "something went wrong"
    [entry] = await service.audit_log()
    assert entry.outcome == "outcome_unknown" and entry.phase == "intent"
