"""Device health (why is my device not compliant) against the demo tenant served by the fake Graph over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intune import DEMO_IDS, AuthorizationPolicy, Caller, GraphClient
from intune.authorization import Reason
from intune.device_health import DeviceHealthService, HealthRefused, load_setting_rules
from intune.fake_graph import FakeGraphConfig, FakeGraphServer, Fault

ALICE = Caller(DEMO_IDS.alice, DEMO_IDS.tenant, name="Alice Martin", upn="alice@contoso.com")
BOB = Caller(DEMO_IDS.bob, DEMO_IDS.tenant, name="Bob Durand", upn="bob@contoso.com")
AGENT = Caller(DEMO_IDS.helene, DEMO_IDS.tenant, name="Hélène Support", upn="helpdesk@contoso.com")


@pytest.fixture
def health(graph: GraphClient, authz: AuthorizationPolicy) -> DeviceHealthService:
    return DeviceHealthService(graph, authz)


async def test_alices_ipad_fails_on_os_version_and_passcode_in_grace(health: DeviceHealthService) -> None:
    h = await health.health(ALICE, DEMO_IDS.alice_ipad)
    assert h.state == "inGracePeriod" and not h.compliant
    assert [(i.fix, i.required, i.self_service) for i in h.issues] == [
        ("set_passcode", "6", True),
        ("update_os", "17.6", True),
    ]
    assert h.user_can_fix_all and not h.needs_it
    now = datetime.now(UTC)
    assert h.grace_until is not None and now + timedelta(days=2) < h.grace_until < now + timedelta(days=4)
    assert h.last_check_in is not None and h.last_check_in < now - timedelta(days=2)


async def test_bobs_pc_needs_it_for_bitlocker(health: DeviceHealthService) -> None:
    h = await health.health(BOB, DEMO_IDS.bob_pc)
    assert h.state == "inGracePeriod"
    fixes = {i.fix: i for i in h.issues}
    assert set(fixes) == {"update_os", "bitlocker"}
    assert fixes["update_os"].required == "10.0.22631.4037" and fixes["update_os"].self_service
    assert not fixes["bitlocker"].self_service and h.needs_it
    assert h.issues[-1].fix == "bitlocker"  # what the user can do first, then what IT must do


async def test_a_compliant_device_has_no_issue_and_no_grace_date(health: DeviceHealthService) -> None:
    h = await health.health(ALICE, DEMO_IDS.alice_pc)
    assert h.compliant and h.issues == () and h.grace_until is None and h.details


async def test_built_in_policy_settings_are_explained_without_a_policy_read(
    health: DeviceHealthService, fake: FakeGraphServer
) -> None:
    h = await health.health(AGENT, "d0000011-0000-4000-8000-000000000011")  # Emma's iPhone
    assert h.as_agent and h.state == "noncompliant"
    assert {i.fix for i in h.issues} == {"check_in", "user_gone"}
    assert h.grace_until is not None and h.grace_until < datetime.now(UTC)  # expired
    assert fake.state.count("GET", "/deviceManagement/deviceCompliancePolicies/*") == 1  # the default one: 404


async def test_end_user_cannot_see_someone_elses_device(health: DeviceHealthService, fake: FakeGraphServer) -> None:
    with pytest.raises(HealthRefused) as refused:
        await health.health(BOB, DEMO_IDS.alice_ipad)
    assert refused.value.reason is Reason.NOT_OWNER
    assert fake.state.count("GET", "*/deviceCompliancePolicyStates") == 0  # nothing read about it


async def test_agent_sees_any_device(health: DeviceHealthService) -> None:
    h = await health.health(AGENT, DEMO_IDS.alice_ipad)
    assert h.as_agent and {i.fix for i in h.issues} == {"set_passcode", "update_os"}


async def test_policies_are_read_once_for_many_devices(health: DeviceHealthService, fake: FakeGraphServer) -> None:
    for _ in range(3):
        await health.health(AGENT, DEMO_IDS.alice_ipad)
    assert fake.state.count("GET", "/deviceManagement/deviceCompliancePolicies/*") == 1


class TestWithoutConfigurationPermission:
    """Only the device permission: no DeviceManagementConfiguration.Read.All to read the policies."""

    @pytest.fixture
    def fake_config(self) -> FakeGraphConfig:
        return FakeGraphConfig(
            page_size=5,
            granted_permissions=frozenset({"DeviceManagementManagedDevices.Read.All", "GroupMember.Read.All"}),
        )

    async def test_advice_has_no_values(self, health: DeviceHealthService) -> None:
        h = await health.health(ALICE, DEMO_IDS.alice_ipad)
        assert {i.fix for i in h.issues} == {"set_passcode", "update_os"}
        assert all(i.required is None for i in h.issues)


async def test_setting_states_unavailable_degrade_to_the_device_state(
    health: DeviceHealthService, fake: FakeGraphServer
) -> None:
    fake.faults.add("GET */deviceCompliancePolicyStates", *[Fault.unavailable()] * 4)
    h = await health.health(ALICE, DEMO_IDS.alice_ipad)
    assert not h.details and h.issues == () and h.state == "inGracePeriod"


def test_rules_file_is_valid_and_covers_the_demo_settings() -> None:
    rules, default = load_setting_rules()
    assert default.who == "it"
    assert rules["osMinimumVersion"].who == "user" and rules["bitLockerEnabled"].who == "it"
    with pytest.raises(ValueError):
        load_setting_rules("settings: {x: {fix: a, who: nobody}}\ndefault: {fix: other, who: it}")
