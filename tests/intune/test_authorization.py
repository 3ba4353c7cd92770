"""AuthorizationPolicy: tenant allow-list, ownership, help desk group membership (via Graph, cached)."""

from __future__ import annotations

from intune import DEMO_IDS, AuthorizationPolicy, Caller, DemoTenant, GraphClient, Reason
from intune.fake_graph import FakeGraphServer, Fault

from .conftest import FakeClock

OTHER_TENANT = "0fab1ca0-0000-4000-8000-000000000000"


async def test_owner_may_act_on_own_device(
    authz: AuthorizationPolicy, graph: GraphClient, tenant: DemoTenant
) -> None:
    device = await graph.get_device(DEMO_IDS.alice_pc)
    decision = await authz.can_act_on(tenant.caller("alice"), device)
    assert decision.allowed and decision.reason is Reason.OWNER and not decision.as_agent


async def test_other_user_may_not(authz: AuthorizationPolicy, graph: GraphClient, tenant: DemoTenant) -> None:
    device = await graph.get_device(DEMO_IDS.alice_pc)
    decision = await authz.can_act_on(tenant.caller("bob"), device)
    assert not decision and decision.reason is Reason.NOT_OWNER


async def test_agent_may_act_via_group(
    authz: AuthorizationPolicy, graph: GraphClient, tenant: DemoTenant
) -> None:
    device = await graph.get_device(DEMO_IDS.alice_pc)
    decision = await authz.can_act_on(tenant.caller("helene"), device)
    assert decision.allowed and decision.reason is Reason.AGENT and decision.as_agent


async def test_nested_group_counts(graph: GraphClient, tenant: DemoTenant) -> None:
    policy = AuthorizationPolicy(graph, agent_group_ids=[DEMO_IDS.it_staff_group])
    assert await policy.is_agent(tenant.caller("helene"))
    assert not await policy.is_agent(tenant.caller("alice"))


async def test_other_tenant_is_refused_before_any_graph_call(
    authz: AuthorizationPolicy, graph: GraphClient, fake: FakeGraphServer
) -> None:
    device = await graph.get_device(DEMO_IDS.alice_pc)
    requests_before = len(fake.state.requests)
    stranger = Caller(DEMO_IDS.alice, OTHER_TENANT, "Alice from elsewhere")  # same object id, other tenant

    decision = await authz.can_act_on(stranger, device)

    assert not decision and decision.reason is Reason.NOT_ALLOWED_TENANT
    assert len(fake.state.requests) == requests_before


async def test_empty_allow_list_allows_every_tenant(graph: GraphClient) -> None:
    policy = AuthorizationPolicy(graph)
    device = await graph.get_device(DEMO_IDS.alice_pc)
    assert await policy.can_act_on(Caller(DEMO_IDS.alice, OTHER_TENANT), device)


async def test_caller_without_identity_is_refused(authz: AuthorizationPolicy, graph: GraphClient) -> None:
    device = await graph.get_device(DEMO_IDS.alice_pc)
    decision = await authz.can_act_on(Caller("", DEMO_IDS.tenant), device)
    assert decision.reason is Reason.NO_IDENTITY


async def test_group_check_is_cached_per_user(
    authz: AuthorizationPolicy, fake: FakeGraphServer, tenant: DemoTenant, clock: FakeClock
) -> None:
    helene, bob = tenant.caller("helene"), tenant.caller("bob")
    for _ in range(5):
        assert await authz.is_agent(helene)
        assert not await authz.is_agent(bob)
    assert fake.state.count("POST", "/users/*/checkMemberGroups") == 2

    clock.advance(301)  # cache_ttl is 300 s
    assert await authz.is_agent(helene)
    assert fake.state.count("POST", "/users/*/checkMemberGroups") == 3

    authz.forget(helene)
    assert await authz.is_agent(helene)
    assert fake.state.count("POST", "/users/*/checkMemberGroups") == 4


async def test_failed_group_check_denies_and_is_not_cached(
    authz: AuthorizationPolicy, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    fake.faults.add("POST */checkMemberGroups", Fault.forbidden())
    decision = await authz.agent_decision(tenant.caller("helene"))
    assert not decision and decision.reason is Reason.AGENT_CHECK_FAILED
    assert await authz.is_agent(tenant.caller("helene"))  # next time Graph is asked again


async def test_no_agent_groups_means_no_agents_and_no_graph_call(
    graph: GraphClient, fake: FakeGraphServer, tenant: DemoTenant
) -> None:
    policy = AuthorizationPolicy(graph)
    assert not await policy.is_agent(tenant.caller("helene"))
    assert fake.state.count("POST", "/users/*/checkMemberGroups") == 0


async def test_can_view_user(authz: AuthorizationPolicy, tenant: DemoTenant) -> None:
    assert (await authz.can_view_user(tenant.caller("alice"), DEMO_IDS.alice)).reason is Reason.SELF
    assert not await authz.can_view_user(tenant.caller("alice"), DEMO_IDS.bob)
    assert await authz.can_view_user(tenant.caller("helene"), DEMO_IDS.bob)
