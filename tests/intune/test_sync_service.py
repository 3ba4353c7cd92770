"""SyncService end to end against the fake Graph: exactly once, re-authorization, cooldown, failures, audit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from intune import (
    DEMO_IDS,
    SYNC_PERMISSION,
    AuthorizationPolicy,
    Caller,
    Confirmation,
    DemoTenant,
    GraphClient,
    NotAuthorized,
    Reason,
    RetryPolicy,
    StaticTokenProvider,
    SyncOutcome,
    SyncService,
    SyncStatus,
)
from intune.fake_graph import FakeGraphConfig, FakeGraphServer, Fault
from storage.memory import MemoryStore

from .conftest import FAST_RETRY, FakeClock


async def _confirmation(service: SyncService, caller: Caller, device_id: str) -> Confirmation:
    result = await service.request_confirmation(caller, device_id)
    assert isinstance(result, Confirmation), result
    return result


def _cooldowns(store: MemoryStore) -> dict[str, object]:
    return {k: v for k, v in store.snapshot().items() if k.startswith("cooldown/")}


# ----------------------------------------------------------------------------------------------- happy path


async def test_owner_syncs_own_device(
    service: SyncService, fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant
) -> None:
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    assert confirmation.device.name == "DESKTOP-42QX7T1"
    assert f"confirm/{confirmation.id}" in store.snapshot()

    outcome = await service.confirm(alice, confirmation.id)

    assert outcome.status is SyncStatus.REQUESTED and outcome.ok
    assert outcome.request_id == fake.state.sync_calls[0].request_id
    assert [c.device_id for c in fake.state.sync_calls] == [DEMO_IDS.alice_pc]
    assert f"confirm/{confirmation.id}" not in store.snapshot()
    assert _cooldowns(store)[f"cooldown/{DEMO_IDS.alice_pc}"]["request_id"] == outcome.request_id

    [entry] = await service.audit_log()
    assert entry.outcome == "requested"
    assert entry.caller_id == DEMO_IDS.alice and entry.caller_name == "Alice Martin"
    assert entry.device_id == DEMO_IDS.alice_pc and entry.device_name == "DESKTOP-42QX7T1"
    assert entry.device_user_id == DEMO_IDS.alice and entry.device_user_upn == "alice@contoso.com"
    assert entry.request_id == outcome.request_id
    assert not entry.as_agent


async def test_agent_syncs_someone_elses_device(service: SyncService, tenant: DemoTenant) -> None:
    helene = tenant.caller("helene")
    confirmation = await _confirmation(service, helene, DEMO_IDS.chloe_iphone)
    outcome = await service.confirm(helene, confirmation.id)

    assert outcome.status is SyncStatus.REQUESTED and outcome.reason == "agent"
    [entry] = await service.who_synced("iPhone de Chloe")  # accent-insensitive
    assert entry.caller_upn == "helpdesk@contoso.com" and entry.device_user_upn == "chloe@contoso.com"
    assert entry.as_agent


async def test_status_and_completion(service: SyncService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    before = await service.status(alice, DEMO_IDS.alice_pc)
    assert before is not None and before.state == "done"  # the demo's sync of two days ago

    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    outcome = await service.confirm(alice, confirmation.id)
    pending = await service.status(alice, DEMO_IDS.alice_pc)
    assert pending is not None and pending.state == "pending"

    done = await service.wait_for_completion(
        DEMO_IDS.alice_pc, timeout=3, interval=0.05, since=outcome.requested_at
    )
    assert done is not None and done.state == "done" and done.finished
    assert done.started is not None and done.started > before.started
    assert outcome.requested_at is not None and done.started >= outcome.requested_at - timedelta(seconds=1)


async def test_completion_ignores_the_previous_sync(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    # Real Graph may still show the previous "done" right after the POST: the new request must not match it.
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    old_entry = dict(fake.state.devices[DEMO_IDS.alice_pc]["deviceActionResults"][0])
    assert (await service.confirm(alice, confirmation.id)).ok
    fake.state.devices[DEMO_IDS.alice_pc]["deviceActionResults"] = [old_entry]  # Graph not caught up yet
    fake.state.pending_syncs.pop(DEMO_IDS.alice_pc)

    status = await service.wait_for_completion(DEMO_IDS.alice_pc, timeout=0.2, interval=0.05)

    assert status is None


async def test_wait_for_completion_times_out_with_last_state(tenant: DemoTenant) -> None:
    async with (
        FakeGraphServer(tenant, config=FakeGraphConfig(sync_delay=30)) as fake,
        GraphClient(StaticTokenProvider("demo-token"), base_url=fake.base_url) as graph,
    ):
        service = SyncService(graph, MemoryStore(), AuthorizationPolicy(graph))
        await graph.sync_device(DEMO_IDS.bob_pc)
        status = await service.wait_for_completion(DEMO_IDS.bob_pc, timeout=0.2, interval=0.05)
    assert status is not None and status.state == "pending"


async def test_status_of_someone_elses_device_is_refused(service: SyncService, tenant: DemoTenant) -> None:
    with pytest.raises(NotAuthorized) as info:
        await service.status(tenant.caller("bob"), DEMO_IDS.alice_pc)
    assert info.value.outcome.status is SyncStatus.FORBIDDEN


# ----------------------------------------------------------------------------------------------- exactly once


async def test_twenty_concurrent_confirms_make_one_post(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_iphone)

    outcomes = await asyncio.gather(*(service.confirm(alice, confirmation.id) for _ in range(20)))

    statuses = sorted(o.status.value for o in outcomes)
    assert statuses.count("requested") == 1
    assert statuses.count("already_used") == 19
    assert fake.state.count("POST", "*/syncDevice") == 1
    assert len(fake.state.sync_calls) == 1


async def test_two_cards_for_one_device_sync_once(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    alice, helene = tenant.caller("alice"), tenant.caller("helene")
    mine = await _confirmation(service, alice, DEMO_IDS.alice_ipad)
    agents = await _confirmation(service, helene, DEMO_IDS.alice_ipad)

    outcomes = await asyncio.gather(service.confirm(alice, mine.id), service.confirm(helene, agents.id))

    assert sorted(o.status.value for o in outcomes) == ["cooldown", "requested"]
    assert fake.state.count("POST", "*/syncDevice") == 1


async def test_already_used(service: SyncService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    assert (await service.confirm(alice, confirmation.id)).ok
    assert (await service.confirm(alice, confirmation.id)).status is SyncStatus.ALREADY_USED
    assert (await service.confirm(alice, "not a confirmation id")).status is SyncStatus.ALREADY_USED


async def test_expired_confirmation_is_refused(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant, clock: FakeClock
) -> None:
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    clock.advance(601)

    outcome = await service.confirm(alice, confirmation.id)

    assert outcome.status is SyncStatus.EXPIRED
    assert fake.state.count("POST", "*/syncDevice") == 0
    assert (await service.audit_log())[0].outcome == "expired"
    assert (await service.confirm(alice, confirmation.id)).status is SyncStatus.ALREADY_USED


# ----------------------------------------------------------------------------------------------- authorization


async def test_confirmation_of_another_caller_is_not_yours(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    alice, bob = tenant.caller("alice"), tenant.caller("bob")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)

    outcome = await service.confirm(bob, confirmation.id)

    assert outcome.status is SyncStatus.NOT_YOURS and outcome.device is None
    assert fake.state.count("POST", "*/syncDevice") == 0
    assert (await service.confirm(alice, confirmation.id)).ok  # Bob's click did not burn Alice's card


async def test_requesting_someone_elses_device_is_forbidden(
    service: SyncService, store: MemoryStore, tenant: DemoTenant
) -> None:
    outcome = await service.request_confirmation(tenant.caller("alice"), DEMO_IDS.bob_pc)
    assert isinstance(outcome, SyncOutcome)
    assert outcome.status is SyncStatus.FORBIDDEN and outcome.reason == Reason.NOT_OWNER
    assert not any(k.startswith("confirm/") for k in store.snapshot())


async def test_forged_device_id_in_card_data_is_refused(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)

    outcome = await service.confirm(alice, confirmation.id, device_id=DEMO_IDS.bob_pc)

    assert outcome.status is SyncStatus.FORBIDDEN and outcome.reason == "device_mismatch"
    assert fake.state.count("POST", "*/syncDevice") == 0


async def test_planted_confirmation_for_a_foreign_device_is_reauthorized(
    service: SyncService, fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant, clock: FakeClock
) -> None:
    # A confirmation record bound to Alice but naming Bob's device (tampered store, stale data...).
    await store.put(
        "confirm/forgedforgedforged0001",
        {"nonce": "n", "caller_id": DEMO_IDS.alice, "tenant_id": DEMO_IDS.tenant, "device_id": DEMO_IDS.bob_pc,
         "device_name": "DESKTOP-42B0B77", "expires_at": clock() + 600},
    )  # fmt: skip
    outcome = await service.confirm(tenant.caller("alice"), "forgedforgedforged0001")

    assert outcome.status is SyncStatus.FORBIDDEN and outcome.reason == "not_owner"
    assert fake.state.count("POST", "*/syncDevice") == 0
    assert (await service.audit_log())[0].outcome == "forbidden"


async def test_device_reassigned_after_confirmation_is_refused(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_ipad)
    fake.state.reassign_device(DEMO_IDS.alice_ipad, "bob@contoso.com")

    outcome = await service.confirm(alice, confirmation.id)

    assert outcome.status is SyncStatus.FORBIDDEN
    assert fake.state.count("POST", "*/syncDevice") == 0


async def test_agent_removed_from_group_loses_access_after_cache_ttl(
    service: SyncService,
    authz: AuthorizationPolicy,
    fake: FakeGraphServer,
    tenant: DemoTenant,
    clock: FakeClock,
) -> None:
    helene = tenant.caller("helene")
    confirmation = await _confirmation(service, helene, DEMO_IDS.bob_pc)
    fake.faults.add("POST */checkMemberGroups", Fault.forbidden())
    clock.advance(400)  # membership cache expired; the confirmation (600 s) has not

    outcome = await service.confirm(helene, confirmation.id)

    assert outcome.status is SyncStatus.FORBIDDEN and outcome.reason == "agent_check_failed"
    assert fake.state.count("POST", "*/syncDevice") == 0


async def test_other_tenant_is_forbidden(service: SyncService) -> None:
    outcome = await service.request_confirmation(
        Caller(DEMO_IDS.alice, "0fab1ca0-0000-4000-8000-000000000000"), DEMO_IDS.alice_pc
    )
    assert isinstance(outcome, SyncOutcome) and outcome.reason == "not_allowed_tenant"


# ----------------------------------------------------------------------------------------------- cooldown


async def test_cooldown_after_a_sync(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant, clock: FakeClock
) -> None:
    alice = tenant.caller("alice")
    first = await service.confirm(alice, (await _confirmation(service, alice, DEMO_IDS.alice_pc)).id)
    assert first.ok

    refused = await service.request_confirmation(alice, DEMO_IDS.alice_pc)
    assert isinstance(refused, SyncOutcome) and refused.status is SyncStatus.COOLDOWN
    assert refused.last_requested is not None and refused.retry_at is not None
    assert (refused.retry_at - refused.last_requested).total_seconds() == pytest.approx(300)

    clock.advance(301)
    again = await service.confirm(alice, (await _confirmation(service, alice, DEMO_IDS.alice_pc)).id)
    assert again.ok
    assert fake.state.count("POST", "*/syncDevice") == 2


async def test_cooldown_checked_again_at_confirm(service: SyncService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    early = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    late = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    assert (await service.confirm(alice, early.id)).ok
    outcome = await service.confirm(alice, late.id)
    assert outcome.status is SyncStatus.COOLDOWN
    assert [e.outcome for e in await service.audit_log()] == ["cooldown", "requested"]


# ----------------------------------------------------------------------------------------------- Graph failures


async def _fails_cleanly(
    service: SyncService, store: MemoryStore, caller: Caller, device_id: str, expected: SyncStatus
) -> SyncOutcome:
    confirmation = await _confirmation(service, caller, device_id)
    outcome = await service.confirm(caller, confirmation.id)
    assert outcome.status is expected
    assert _cooldowns(store) == {}  # no half-done state
    [entry] = await service.audit_log()
    assert entry.outcome == expected.value and entry.device_id == device_id
    retry = await service.request_confirmation(caller, device_id)
    assert isinstance(retry, Confirmation)  # nothing blocks a new attempt
    return outcome


async def test_403_is_permission_missing(
    service: SyncService, fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant
) -> None:
    fake.faults.add("POST */syncDevice", Fault.forbidden())
    outcome = await _fails_cleanly(
        service, store, tenant.caller("alice"), DEMO_IDS.alice_pc, SyncStatus.PERMISSION_MISSING
    )
    assert outcome.reason == SYNC_PERMISSION
    assert (await service.audit_log())[0].reason == SYNC_PERMISSION


async def test_missing_consent_on_the_fake_is_permission_missing(tenant: DemoTenant) -> None:
    config = FakeGraphConfig(
        granted_permissions=frozenset(
            {"DeviceManagementManagedDevices.ReadWrite.All", "GroupMember.Read.All"}
        )
    )
    async with (
        FakeGraphServer(tenant, config=config) as fake,
        GraphClient(StaticTokenProvider("demo-token"), base_url=fake.base_url) as graph,
    ):
        service = SyncService(graph, MemoryStore(), AuthorizationPolicy(graph))
        alice = tenant.caller("alice")
        outcome = await service.confirm(alice, (await _confirmation(service, alice, DEMO_IDS.alice_pc)).id)
    assert outcome.status is SyncStatus.PERMISSION_MISSING and outcome.reason == SYNC_PERMISSION
    assert outcome.request_id


async def test_404_is_device_gone(
    service: SyncService, fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant
) -> None:
    fake.faults.add("POST */syncDevice", Fault.not_found())
    await _fails_cleanly(service, store, tenant.caller("alice"), DEMO_IDS.alice_pc, SyncStatus.DEVICE_GONE)


async def test_device_deleted_before_confirm_is_device_gone(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    alice = tenant.caller("alice")
    confirmation = await _confirmation(service, alice, DEMO_IDS.alice_pc)
    del fake.state.devices[DEMO_IDS.alice_pc]
    outcome = await service.confirm(alice, confirmation.id)
    assert outcome.status is SyncStatus.DEVICE_GONE
    assert fake.state.count("POST", "*/syncDevice") == 0


async def test_throttled(
    service: SyncService, fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant
) -> None:
    fake.faults.add("POST */syncDevice", Fault.throttled(retry_after=120))
    outcome = await _fails_cleanly(
        service, store, tenant.caller("alice"), DEMO_IDS.alice_pc, SyncStatus.THROTTLED
    )
    assert outcome.retry_at is not None


async def test_429_then_success_is_requested_once(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    fake.faults.add("POST */syncDevice", Fault.throttled(retry_after=0.2))
    alice = tenant.caller("alice")
    started = time.monotonic()
    outcome = await service.confirm(alice, (await _confirmation(service, alice, DEMO_IDS.alice_pc)).id)
    assert outcome.ok and time.monotonic() - started >= 0.2
    assert len(fake.state.sync_calls) == 1


@pytest.fixture
async def slow_service(
    fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant, clock: FakeClock
) -> AsyncIterator[SyncService]:
    async with GraphClient(
        StaticTokenProvider("demo-token"), base_url=fake.base_url, timeout=0.3, retry=FAST_RETRY
    ) as graph:
        yield SyncService(graph, store, AuthorizationPolicy(graph), clock=clock)


async def _outcome_unknown(
    service: SyncService, store: MemoryStore, caller: Caller, device_id: str
) -> SyncOutcome:
    """Issue 16: a timeout or a 5xx on the POST means Intune may have queued the sync. The user hears that the
    outcome is unknown, the audit says so, and the cooldown is kept, so a second sync does not follow blindly."""
    confirmation = await _confirmation(service, caller, device_id)
    outcome = await service.confirm(caller, confirmation.id)
    assert outcome.status is SyncStatus.OUTCOME_UNKNOWN and not outcome.ok
    assert _cooldowns(store)[f"cooldown/{device_id}"]["state"] == "unknown"
    [entry] = await service.audit_log()
    assert entry.outcome == "outcome_unknown" and entry.device_id == device_id and entry.phase == "outcome"
    retry = await service.request_confirmation(caller, device_id)
    assert isinstance(retry, SyncOutcome) and retry.status is SyncStatus.COOLDOWN
    return outcome


async def test_timeout_is_outcome_unknown_and_keeps_the_cooldown(
    slow_service: SyncService, fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant
) -> None:
    fake.faults.add("POST */syncDevice", Fault.slow(2.0))
    outcome = await _outcome_unknown(slow_service, store, tenant.caller("alice"), DEMO_IDS.alice_pc)
    assert outcome.reason == "timeout"
    assert fake.state.count("POST", "*/syncDevice") == 1  # a POST that may have run is not repeated


async def test_5xx_is_outcome_unknown_and_keeps_the_cooldown(
    service: SyncService, fake: FakeGraphServer, store: MemoryStore, tenant: DemoTenant
) -> None:
    fake.faults.add("POST */syncDevice", Fault.unavailable(500))
    outcome = await _outcome_unknown(service, store, tenant.caller("alice"), DEMO_IDS.alice_pc)
    assert outcome.reason == "InternalServerError"
    assert fake.state.count("POST", "*/syncDevice") == 1


async def test_graph_failure_while_requesting_confirmation(fake: FakeGraphServer, tenant: DemoTenant) -> None:
    fake.faults.add("GET /deviceManagement/managedDevices/*", *[Fault.unavailable()] * 2)
    async with GraphClient(
        StaticTokenProvider("demo-token"),
        base_url=fake.base_url,
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02),
    ) as graph:
        service = SyncService(graph, MemoryStore(), AuthorizationPolicy(graph))
        outcome = await service.request_confirmation(tenant.caller("alice"), DEMO_IDS.alice_pc)
    assert isinstance(outcome, SyncOutcome) and outcome.status is SyncStatus.GRAPH_ERROR


# ----------------------------------------------------------------------------------------------- finding devices


async def test_devices_for_end_user(service: SyncService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    assert {d.name for d in (await service.devices_for(alice)).devices} == {
        "DESKTOP-42QX7T1",
        "Alice's iPhone",
        "Alice's iPad",
    }
    assert [d.name for d in (await service.devices_for(alice, "DESKTOP-42")).devices] == ["DESKTOP-42QX7T1"]
    assert [d.name for d in (await service.devices_for(alice, "l'iPad d'Alice")).devices] == ["Alice's iPad"]
    assert [d.name for d in (await service.devices_for(alice, "mon téléphone")).devices] == ["Alice's iPhone"]
    assert [d.name for d in (await service.devices_for(alice, "Alice's iPhone")).devices] == [
        "Alice's iPhone"
    ]


async def test_end_user_cannot_list_others(service: SyncService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    result = await service.devices_for(alice, "bob@contoso.com's PC")
    assert result.devices == () and result.refused is Reason.NOT_AGENT
    assert (await service.devices_for(alice, "DESKTOP-42B0B77")).devices == ()  # another user's device name


async def test_agent_finds_other_users_devices(service: SyncService, tenant: DemoTenant) -> None:
    helene = tenant.caller("helene")

    result = await service.devices_for(helene, "l'iPad d'Alice")
    assert result.as_agent and result.user is not None and result.user.id == DEMO_IDS.alice
    assert [d.id for d in result.devices] == [DEMO_IDS.alice_ipad]

    result = await service.devices_for(helene, "alice@contoso.com's iPhone")
    assert [d.id for d in result.devices] == [DEMO_IDS.alice_iphone]

    result = await service.devices_for(helene, "les appareils de Chloé Dubois")
    assert len(result.devices) == 3

    result = await service.devices_for(helene, "Grace O'Brien's iPhone")
    assert [d.id for d in result.devices] == [DEMO_IDS.grace_iphone]

    result = await service.devices_for(helene, "DESKTOP-42B0B77")
    assert [d.id for d in result.devices] == [DEMO_IDS.bob_pc]

    result = await service.devices_for(helene, "LAB-W11")
    assert len(result.devices) == 60

    result = await service.devices_for(helene, "the PC of Nobody Atall")
    assert result.devices == () and result.unknown_user == "Nobody Atall"


async def test_audit_log_filters(service: SyncService, tenant: DemoTenant) -> None:
    alice = tenant.caller("alice")
    for device_id in (DEMO_IDS.alice_pc, DEMO_IDS.alice_iphone):
        assert (await service.confirm(alice, (await _confirmation(service, alice, device_id)).id)).ok

    assert [e.device_name for e in await service.audit_log()] == ["Alice's iPhone", "DESKTOP-42QX7T1"]
    assert [e.device_name for e in await service.audit_log(limit=1)] == ["Alice's iPhone"]
    assert [e.device_id for e in await service.audit_log(device_name="desktop-42qx7t1")] == [
        DEMO_IDS.alice_pc
    ]
    assert await service.who_synced("GOBRIEN-MBP") == []
