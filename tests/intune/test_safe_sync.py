"""Safe sync: a device with a pending wipe, retire or Fresh Start is not synced by accident (the sync would run
the pending action now). End users are refused whatever the card says; agents must name the action."""

from __future__ import annotations

import pytest

from intune import DEMO_IDS, Caller, Confirmation, DemoTenant, SyncOutcome, SyncService, SyncStatus
from intune.fake_graph import FakeGraphServer
from intune.models import ActionStatus, Device
from storage.memory import MemoryStore

BOB = Caller(DEMO_IDS.bob, DEMO_IDS.tenant, name="Bob Durand", upn="bob@contoso.com")
CHLOE = Caller(DEMO_IDS.chloe, DEMO_IDS.tenant, name="Chloé Dubois", upn="chloe@contoso.com")
AGENT = Caller(DEMO_IDS.helene, DEMO_IDS.tenant, name="Hélène Support", upn="helpdesk@contoso.com")


async def test_end_user_gets_no_confirmation_for_a_wipe_pending_device(
    service: SyncService, fake: FakeGraphServer
) -> None:
    result = await service.request_confirmation(BOB, DEMO_IDS.bob_wipe_pending)
    assert isinstance(result, SyncOutcome)
    assert result.status is SyncStatus.PENDING_ACTION and result.reason == "wipe"
    assert result.device is not None and result.device.name == "Galaxy-S21-Bob"
    assert fake.state.sync_calls == []


async def test_end_user_gets_no_confirmation_for_a_retire_pending_device(service: SyncService) -> None:
    result = await service.request_confirmation(CHLOE, DEMO_IDS.chloe_retire_pending)
    assert isinstance(result, SyncOutcome) and result.reason == "retire"


async def test_forged_confirmation_for_end_user_is_refused_server_side(
    service: SyncService, store: MemoryStore, fake: FakeGraphServer
) -> None:
    # A confirmation made while the device was fine (or planted), then a wipe queued: the click still refuses.
    fake.state.devices[DEMO_IDS.bob_wipe_pending]["managementState"] = "managed"
    confirmation = await service.request_confirmation(BOB, DEMO_IDS.bob_wipe_pending)
    assert isinstance(confirmation, Confirmation) and confirmation.pending_action is None
    fake.state.devices[DEMO_IDS.bob_wipe_pending]["managementState"] = "wipePending"
    outcome = await service.confirm(BOB, confirmation.id, acknowledge="wipe")  # forged acknowledgement
    assert outcome.status is SyncStatus.PENDING_ACTION
    assert fake.state.sync_calls == []
    audit = await store.read_log("audit")
    assert audit[-1]["outcome"] == "pending_action" and audit[-1]["reason"] == "wipe"


async def test_agent_must_acknowledge_the_pending_action(service: SyncService, fake: FakeGraphServer) -> None:
    confirmation = await service.request_confirmation(AGENT, DEMO_IDS.bob_wipe_pending)
    assert isinstance(confirmation, Confirmation) and confirmation.pending_action == "wipe"
    plain_yes = await service.confirm(AGENT, confirmation.id)
    assert plain_yes.status is SyncStatus.PENDING_ACTION and fake.state.sync_calls == []
    wrong = await service.confirm(AGENT, confirmation.id, acknowledge="retire")
    assert wrong.status is SyncStatus.PENDING_ACTION and fake.state.sync_calls == []
    # The confirmation survived both: the explicit button still works, once.
    outcome = await service.confirm(AGENT, confirmation.id, acknowledge="wipe")
    assert outcome.ok and len(fake.state.sync_calls) == 1
    again = await service.confirm(AGENT, confirmation.id, acknowledge="wipe")
    assert again.status is SyncStatus.ALREADY_USED and len(fake.state.sync_calls) == 1


async def test_fresh_start_pending_is_read_from_the_device_actions(
    service: SyncService, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    fake.state.devices[DEMO_IDS.alice_pc].setdefault("deviceActionResults", []).append(
        {"actionName": "cleanWindowsDevice", "actionState": "pending",
         "startDateTime": "2026-01-01T00:00:00Z", "lastUpdatedDateTime": "2026-01-01T00:00:00Z"})
    alice = tenant.caller("alice")
    result = await service.request_confirmation(alice, DEMO_IDS.alice_pc)
    assert isinstance(result, SyncOutcome) and result.reason == "freshStart"


@pytest.mark.parametrize(("state", "actions", "expected"), [
    ("managed", (), None),
    ("wipePending", (), "wipe"),
    ("retireIssued", (), "retire"),
    ("managed", (("cleanWindowsDevice", "pending"),), "freshStart"),
    ("managed", (("cleanWindowsDevice", "done"),), None),
    ("managed", (("syncDevice", "pending"),), None),
])
def test_pending_action_of_a_device(state: str, actions: tuple[tuple[str, str], ...], expected: str | None) -> None:
    device = Device.from_graph({"id": "d", "managementState": state})
    device = Device(**{**{f: getattr(device, f) for f in device.__slots__},
                       "action_results": tuple(ActionStatus(a, s, None, None) for a, s in actions)})
    assert device.pending_action == expected
