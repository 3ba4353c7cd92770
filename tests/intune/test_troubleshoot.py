"""The troubleshooting summary against the demo tenant served by the fake Graph over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intune import (
    DEMO_IDS,
    AuthorizationPolicy,
    Caller,
    DemoTenant,
    GraphClient,
    GraphForbidden,
    GraphUnavailable,
    StaticTokenProvider,
)
from intune.fake_graph import FakeGraphConfig, FakeGraphServer, Fault
from intune.troubleshoot import Candidates, Refusal, RefusalReason, TroubleshootService, UserSummary
from knowledge import KnowledgeBase
from tests.intune.conftest import FAST_RETRY

AGENT = Caller(DEMO_IDS.helene, DEMO_IDS.tenant, name="Hélène Support", upn="helpdesk@contoso.com")
ALICE = Caller(DEMO_IDS.alice, DEMO_IDS.tenant, name="Alice Martin", upn="alice@contoso.com")
OTHER_TENANT_AGENT = Caller(DEMO_IDS.helene, "0the7000-0000-4000-8000-000000000000", name="Hélène Support")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_dir()


@pytest.fixture
def troubleshoot(graph: GraphClient, authz: AuthorizationPolicy, kb: KnowledgeBase) -> TroubleshootService:
    names = {e.texts["en"].name.lower(): e.id for e in kb.enrollment.values()}
    return TroubleshootService(graph, authz, lambda reason: names.get(reason.lower()), tenant_id=DEMO_IDS.tenant)


async def _summary(service: TroubleshootService, query: str, caller: Caller = AGENT) -> UserSummary:
    result = await service.summary(caller, query)
    assert isinstance(result, UserSummary), result
    return result


async def test_agent_gets_alice_summary(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "alice@contoso.com")
    assert s.user.id == DEMO_IDS.alice and s.user.account_enabled is True
    assert s.intune_licensed
    assert s.device_count == 3
    assert s.devices[0].name == "Alice's iPad"  # the one in grace period (not compliant) first
    assert dict(s.compliance_counts) == {"inGracePeriod": 1, "compliant": 2}
    assert {g.display_name for g in s.groups} == {"All Employees", "Sales"} and s.group_count == 2
    assert [f.entry_id for f in s.failures] == ["device-platform-blocked"]


async def test_display_name_and_first_name_resolve(troubleshoot: TroubleshootService) -> None:
    assert (await _summary(troubleshoot, "Alice Martin")).user.id == DEMO_IDS.alice
    assert (await _summary(troubleshoot, "bob")).user.id == DEMO_IDS.bob


async def test_end_user_is_refused_before_any_lookup(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    result = await troubleshoot.summary(ALICE, "bob@contoso.com")
    assert result == Refusal(RefusalReason.NOT_AGENT)
    assert fake.state.count("GET", "/users/bob@contoso.com") == 0
    assert fake.state.count("GET", "/users/*/managedDevices") == 0


async def test_unknown_user_gives_nothing(troubleshoot: TroubleshootService) -> None:
    assert await troubleshoot.summary(AGENT, "nobody@contoso.com") == Refusal(RefusalReason.NOT_FOUND)
    assert await troubleshoot.summary(AGENT, "Zorglub") == Refusal(RefusalReason.NOT_FOUND)


async def test_agent_of_another_tenant_gets_nothing(
    graph: GraphClient, kb: KnowledgeBase, fake: FakeGraphServer
) -> None:
    authz = AuthorizationPolicy(graph, agent_group_ids=[DEMO_IDS.helpdesk_group])  # every tenant allowed
    service = TroubleshootService(graph, authz, tenant_id=DEMO_IDS.tenant)
    assert await service.summary(OTHER_TENANT_AGENT, "alice@contoso.com") == Refusal(RefusalReason.NOT_FOUND)
    assert fake.state.count("GET", "/users/alice@contoso.com") == 0


async def test_allow_list_refuses_other_tenant(troubleshoot: TroubleshootService) -> None:
    result = await troubleshoot.summary(OTHER_TENANT_AGENT, "alice@contoso.com")
    assert isinstance(result, Refusal)


async def test_several_matches_give_candidates(troubleshoot: TroubleshootService) -> None:
    result = await troubleshoot.summary(AGENT, "Du")
    assert isinstance(result, Candidates)
    assert {u.upn for u in result.users} == {"bob@contoso.com", "chloe@contoso.com"}


async def test_sixty_devices_are_paged_and_summarized(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    s = await _summary(troubleshoot, "david@contoso.com")
    assert s.device_count == 60
    assert len({d.id for d in s.devices}) == 60
    assert dict(s.compliance_counts) == {"compliant": 60}
    # oldest check-in first among equally healthy devices
    syncs = [d.last_sync for d in s.devices]
    assert syncs == sorted(syncs, key=lambda x: x or datetime.min.replace(tzinfo=UTC))
    assert fake.state.count("GET", "/users/*/managedDevices") > 1  # page_size=5 in the test fake: several pages


async def test_pending_wipe_comes_first(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "bob@contoso.com")
    assert s.devices[0].id == DEMO_IDS.bob_wipe_pending
    assert [d.id for d in s.pending_removal] == [DEMO_IDS.bob_wipe_pending]
    assert [f.entry_id for f in s.failures] == ["enrollment-authorization-failed"]


async def test_disabled_account(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "emma@contoso.com")
    assert s.user.account_enabled is False
    assert [f.entry_id for f in s.failures] == ["ios-ipados-timeout-or-failure"]


async def test_unlicensed_user_without_devices(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "farid@contoso.com")
    assert not s.intune_licensed
    assert s.device_count == 0 and s.compliance_counts == ()
    assert [f.entry_id for f in s.failures] == ["user-not-found-or-licensed"] * 2


async def test_throttled_then_success(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    fake.faults.add("GET /users/*/managedDevices", Fault.throttled(retry_after=0.05))
    s = await _summary(troubleshoot, "alice@contoso.com")
    assert s.device_count == 3
    assert fake.faults.pending == 0


async def test_forbidden_propagates(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    fake.faults.add("GET /users/*/transitiveMemberOf*", Fault.forbidden())
    with pytest.raises(GraphForbidden) as info:
        await troubleshoot.summary(AGENT, "alice@contoso.com")
    assert info.value.permission == "GroupMember.Read.All"


# -- apps (app protection registrations) -----------------------------------------------------------


async def test_alice_apps_are_listed(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "alice@contoso.com")
    assert s.apps_error is None and s.app_count == 5 and s.flagged_apps == ()
    assert {(a.app_name, a.device_name) for a in s.apps} == {
        ("Microsoft Outlook", "Alice's iPhone"),
        ("Microsoft Teams", "Alice's iPhone"),
        ("Microsoft Edge", "Alice's iPhone"),
        ("Microsoft Outlook", "Alice's iPad"),
        ("Microsoft Teams", "Alice's iPad"),
    }
    assert {a.platform for a in s.apps} == {"iOS"}
    assert s.apps[0].device_name == "Alice's iPad"  # nothing flagged: the longest without a check-in first
    syncs = [a.last_sync for a in s.apps]
    assert syncs == sorted(syncs, key=lambda x: x or datetime.min.replace(tzinfo=UTC))


async def test_flagged_app_comes_first(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "bob@contoso.com")
    assert s.app_count == 4
    first = s.apps[0]
    assert (first.app_name, first.device_name, first.platform) == ("Microsoft Outlook", "Galaxy-A52-Bob", "Android")
    assert first.flagged and first.flagged_reasons == ("rootedDevice",)
    assert s.flagged_apps == (first,)
    assert {a.app_id for a in s.apps[1:]} == {"com.microsoft.office.outlook", "com.microsoft.teams", "com.microsoft.emmx"}


async def test_unknown_app_keeps_its_id(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "grace.o'brien@contoso.com")
    assert {a.app_name for a in s.apps} == {"Microsoft Outlook", "com.contoso.legal.casefiles"}


async def test_user_without_apps(troubleshoot: TroubleshootService) -> None:
    s = await _summary(troubleshoot, "farid@contoso.com")
    assert s.apps == () and s.apps_error is None


async def test_many_apps_are_paged(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    s = await _summary(troubleshoot, "david@contoso.com")
    assert s.app_count == 24 and len({a.id for a in s.apps}) == 24
    assert {a.device_name for a in s.apps} == {f"LAB-IPAD-{n:02d}" for n in range(1, 9)}
    assert fake.state.count("GET", "/users/*/managedAppRegistrations") == 5  # 24 items, 5 per page


async def test_forbidden_on_apps_leaves_the_rest(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    fake.faults.add("GET /users/*/managedAppRegistrations", Fault.forbidden())
    s = await _summary(troubleshoot, "alice@contoso.com")
    assert s.apps == ()
    assert isinstance(s.apps_error, GraphForbidden)
    assert s.apps_error.permission == "DeviceManagementApps.Read.All"
    assert s.device_count == 3 and s.group_count == 2  # every other area is there


async def test_missing_apps_consent_in_the_fake(tenant: DemoTenant) -> None:
    # The fake refuses the route without DeviceManagementApps.Read.All, like Graph: the summary still comes.
    granted = frozenset({"User.Read.All", "GroupMember.Read.All", "DeviceManagementManagedDevices.Read.All"})
    async with (
        FakeGraphServer(tenant, config=FakeGraphConfig(granted_permissions=granted)) as server,
        GraphClient(StaticTokenProvider("demo-token"), base_url=server.base_url, retry=FAST_RETRY) as graph,
    ):
        authz = AuthorizationPolicy(graph, allowed_tenants=[tenant.tenant_id], agent_group_ids=[DEMO_IDS.helpdesk_group])
        service = TroubleshootService(graph, authz, tenant_id=DEMO_IDS.tenant)
        s = await _summary(service, "bob@contoso.com")
        assert isinstance(s.apps_error, GraphForbidden) and s.device_count == 3
        with pytest.raises(GraphForbidden) as info:
            await graph.user_app_registrations(DEMO_IDS.bob)
        assert info.value.permission == "DeviceManagementApps.Read.All"
        assert "DeviceManagementApps.Read.All" in str(info.value)


async def test_apps_throttled_then_success(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    fake.faults.add("GET /users/*/managedAppRegistrations", Fault.throttled(retry_after=0.05))
    s = await _summary(troubleshoot, "alice@contoso.com")
    assert s.app_count == 5 and s.apps_error is None
    assert fake.faults.pending == 0


async def test_apps_unavailable_after_retries(troubleshoot: TroubleshootService, fake: FakeGraphServer) -> None:
    fake.faults.add("GET /users/*/managedAppRegistrations", *[Fault.unavailable()] * FAST_RETRY.max_attempts)
    s = await _summary(troubleshoot, "alice@contoso.com")
    assert isinstance(s.apps_error, GraphUnavailable) and s.apps == ()
    assert s.device_count == 3


async def test_other_areas_still_propagate_when_apps_fail(
    troubleshoot: TroubleshootService, fake: FakeGraphServer
) -> None:
    fake.faults.add("GET /users/*/managedAppRegistrations", Fault.forbidden())
    fake.faults.add("GET /users/*/managedDevices", Fault.forbidden())
    with pytest.raises(GraphForbidden) as info:
        await troubleshoot.summary(AGENT, "alice@contoso.com")
    assert info.value.permission == "DeviceManagementManagedDevices.Read.All"
