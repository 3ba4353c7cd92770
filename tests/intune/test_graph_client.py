"""GraphClient against the fake Graph over loopback HTTP: paging, retries, errors, escaping."""

from __future__ import annotations

import time

import pytest

from intune import (
    DEMO_IDS,
    SYNC_PERMISSION,
    GraphClient,
    GraphError,
    GraphForbidden,
    GraphNotFound,
    GraphThrottled,
    GraphTimeout,
    GraphUnavailable,
    RetryPolicy,
    StaticTokenProvider,
    odata_string,
    path_segment,
)
from intune.fake_graph import FakeGraphConfig, FakeGraphServer, Fault, FaultPlan

from .conftest import FAST_RETRY

# ----------------------------------------------------------------------------------------------- reading


async def test_user_with_60_devices_is_read_across_pages(graph: GraphClient, fake: FakeGraphServer) -> None:
    devices = await graph.list_user_devices(DEMO_IDS.david)

    assert len(devices) == 60
    assert len({d.id for d in devices}) == 60
    assert devices[0].name == "LAB-W11-001" and devices[-1].name == "LAB-W11-060"
    assert fake.state.count("GET", "/users/*/managedDevices") == 12  # page size 5


async def test_page_count_is_bounded(fake: FakeGraphServer) -> None:
    async with GraphClient(StaticTokenProvider("demo-token"), base_url=fake.base_url, max_pages=3) as client:
        devices = await client.list_user_devices(DEMO_IDS.david)
    assert len(devices) == 15
    assert fake.state.count("GET", "/users/*/managedDevices") == 3


async def test_device_fields_come_from_select(graph: GraphClient, fake: FakeGraphServer) -> None:
    device = await graph.get_device(DEMO_IDS.alice_pc)

    assert device.name == "DESKTOP-42QX7T1"
    assert device.operating_system == "Windows"
    assert device.user_id == DEMO_IDS.alice
    assert device.user_principal_name == "alice@contoso.com"
    assert device.model == "Latitude 7440" and device.manufacturer == "Dell Inc."
    assert device.last_sync is not None and device.enrolled is not None
    query = fake.state.requests[-1].query
    assert "%24select=" in query or "$select=" in query


async def test_management_states_of_the_demo_tenant(graph: GraphClient) -> None:
    bob = {d.name: d for d in await graph.list_user_devices(DEMO_IDS.bob)}
    chloe = {d.name: d for d in await graph.list_user_devices(DEMO_IDS.chloe)}
    assert bob["Galaxy-S21-Bob"].management_state == "wipePending"
    assert bob["Galaxy-S21-Bob"].pending_removal
    assert chloe["DESKTOP-42OLD01"].management_state == "retirePending"


async def test_request_ids_are_sent_and_captured(graph: GraphClient, fake: FakeGraphServer) -> None:
    request_id = await graph.sync_device(DEMO_IDS.alice_iphone)

    call = fake.state.sync_calls[-1]
    assert request_id == call.request_id
    assert call.client_request_id  # our client-request-id reached Graph


async def test_directory_reads(graph: GraphClient) -> None:
    user = await graph.get_user("alice@contoso.com")
    assert user.id == DEMO_IDS.alice and user.display_name == "Alice Martin" and user.account_enabled is True
    assert (await graph.get_user(DEMO_IDS.emma)).account_enabled is False

    found = await graph.find_users("Chlo")
    assert [u.upn for u in found] == ["chloe@contoso.com"]

    licenses = await graph.user_license_details(DEMO_IDS.farid)
    assert licenses and not any(lic.includes_intune for lic in licenses)
    assert any(lic.includes_intune for lic in await graph.user_license_details(DEMO_IDS.alice))

    groups = {g.id for g in await graph.user_member_of(DEMO_IDS.helene)}
    assert {DEMO_IDS.helpdesk_group, DEMO_IDS.it_staff_group} <= groups  # nested group included


async def test_enrollment_failures_newest_first(graph: GraphClient) -> None:
    events = await graph.enrollment_failures(DEMO_IDS.farid)
    assert [e.failure_reason for e in events] == ["User not found or licensed"] * 2
    assert events[0].event_datetime > events[1].event_datetime
    chloe = await graph.enrollment_failures(DEMO_IDS.chloe)
    assert chloe[0].failure_reason == "Device cap reached"
    assert chloe[0].failure_category == "enrollmentRestrictionsEnforced"


async def test_check_member_groups_splits_in_chunks_of_20(graph: GraphClient, fake: FakeGraphServer) -> None:
    others = [f"00000000-0000-4000-8000-{n:012d}" for n in range(30)]
    found = await graph.check_member_groups(DEMO_IDS.helene, [*others, DEMO_IDS.helpdesk_group])

    assert found == {DEMO_IDS.helpdesk_group}
    assert fake.state.count("POST", "/users/*/checkMemberGroups") == 2


# ----------------------------------------------------------------------------------------------- escaping


def test_odata_string_doubles_quotes() -> None:
    assert odata_string("O'Brien") == "'O''Brien'"
    assert odata_string("''") == "''''''"


def test_path_segment_quotes_and_refuses_dot_segments() -> None:
    assert path_segment("grace.o'brien@contoso.com") == "grace.o%27brien@contoso.com"
    assert path_segment("a/b?c#d") == "a%2Fb%3Fc%23d"
    for bad in ("", ".", ".."):
        with pytest.raises(ValueError):
            path_segment(bad)


async def test_name_with_a_quote_finds_the_device(graph: GraphClient) -> None:
    devices = await graph.find_devices(name="Grace O'Brien's iPhone")
    assert [d.id for d in devices] == [DEMO_IDS.grace_iphone]


async def test_filter_injection_is_inert(graph: GraphClient) -> None:
    # Unescaped, this would read: deviceName eq 'x' or deviceName ne '' -> every device of the tenant.
    assert await graph.find_devices(name="x' or deviceName ne '") == []
    assert await graph.find_users("a' or displayName ne '") == []


async def test_upn_with_a_quote_in_the_path(graph: GraphClient) -> None:
    user = await graph.get_user("grace.o'brien@contoso.com")
    assert user.id == DEMO_IDS.grace
    devices = await graph.find_devices(upn="grace.o'brien@contoso.com")
    assert {d.name for d in devices} == {"Grace O'Brien's iPhone", "GOBRIEN-MBP"}


async def test_path_traversal_in_an_id_stays_one_segment(graph: GraphClient) -> None:
    with pytest.raises(GraphNotFound):
        await graph.get_device("../../users")


# ----------------------------------------------------------------------------------------------- retries


async def test_429_honours_retry_after_then_succeeds(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("GET /deviceManagement/managedDevices/*", Fault.throttled(retry_after=0.4))

    started = time.monotonic()
    device = await graph.get_device(DEMO_IDS.alice_pc)
    elapsed = time.monotonic() - started

    assert device.id == DEMO_IDS.alice_pc
    assert elapsed >= 0.4
    assert [r.status for r in fake.state.requests] == [429, 200]


async def test_sync_post_is_retried_after_429(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("POST */syncDevice", Fault.throttled(retry_after=0.2))

    request_id = await graph.sync_device(DEMO_IDS.alice_pc)

    assert request_id
    assert fake.state.count("POST", "*/syncDevice") == 2
    assert len(fake.state.sync_calls) == 1


async def test_503_is_retried_for_reads(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("GET *", Fault.unavailable(), Fault.unavailable(504))
    user = await graph.get_user("bob@contoso.com")
    assert user.id == DEMO_IDS.bob
    assert [r.status for r in fake.state.requests] == [503, 504, 200]


async def test_503_is_not_retried_for_sync(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("POST */syncDevice", Fault.unavailable())
    with pytest.raises(GraphUnavailable) as info:
        await graph.sync_device(DEMO_IDS.alice_pc)
    assert info.value.status == 503
    assert fake.state.count("POST", "*/syncDevice") == 1


async def test_retry_budget_exhausted_raises_throttled(fake: FakeGraphServer) -> None:
    fake.faults.add("GET *", *[Fault.throttled(retry_after=0.3)] * 5)
    policy = RetryPolicy(max_attempts=5, base_delay=0.01, max_retry_after=5, budget=0.5)
    async with GraphClient(StaticTokenProvider("demo-token"), base_url=fake.base_url, retry=policy) as client:
        started = time.monotonic()
        with pytest.raises(GraphThrottled) as info:
            await client.get_user("alice@contoso.com")
    assert time.monotonic() - started < 1.5
    assert info.value.status == 429 and info.value.code == "TooManyRequests"
    assert info.value.retry_after == pytest.approx(0.3)
    assert info.value.request_id
    assert fake.state.count("GET", "/users/*") == 2  # one wait of 0.3 s fits in 0.5 s, a second does not


async def test_attempts_exhausted_raises_throttled(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("GET *", *[Fault.throttled(retry_after=0.01)] * 10)
    with pytest.raises(GraphThrottled):
        await graph.get_user("alice@contoso.com")
    assert fake.state.count("GET", "/users/*") == FAST_RETRY.max_attempts


async def test_retry_after_beyond_the_cap_gives_up_at_once(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("POST */syncDevice", Fault.throttled(retry_after=120))
    started = time.monotonic()
    with pytest.raises(GraphThrottled) as info:
        await graph.sync_device(DEMO_IDS.alice_pc)
    assert time.monotonic() - started < 1
    assert info.value.retry_after == 120


async def test_timeout_raises_graph_timeout(fake: FakeGraphServer) -> None:
    fake.faults.add("GET *", Fault.slow(2.0), Fault.slow(2.0))
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    async with GraphClient(
        StaticTokenProvider("demo-token"), base_url=fake.base_url, timeout=0.2, retry=policy
    ) as client:
        started = time.monotonic()
        with pytest.raises(GraphTimeout):
            await client.get_device(DEMO_IDS.alice_pc)
    assert time.monotonic() - started < 1.5


async def test_timeout_on_a_read_is_retried(fake: FakeGraphServer) -> None:
    fake.faults.add("GET *", Fault.slow(2.0))
    async with GraphClient(
        StaticTokenProvider("demo-token"), base_url=fake.base_url, timeout=0.2, retry=FAST_RETRY
    ) as client:
        device = await client.get_device(DEMO_IDS.alice_pc)
    assert device.id == DEMO_IDS.alice_pc


async def test_connection_refused_is_unavailable() -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    async with GraphClient(
        StaticTokenProvider("t"), base_url="http://127.0.0.1:9/v1.0", timeout=0.5, retry=policy
    ) as client:
        with pytest.raises(GraphUnavailable):
            await client.get_user("alice@contoso.com")


# ----------------------------------------------------------------------------------------------- errors


async def test_403_names_the_sync_permission(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("POST */syncDevice", Fault.forbidden())
    with pytest.raises(GraphForbidden) as info:
        await graph.sync_device(DEMO_IDS.alice_pc)
    assert info.value.status == 403
    assert info.value.permission == SYNC_PERMISSION
    assert SYNC_PERMISSION in str(info.value)
    assert info.value.request_id


async def test_404_is_not_found(graph: GraphClient) -> None:
    with pytest.raises(GraphNotFound) as info:
        await graph.get_device("00000000-0000-4000-8000-00000000dead")
    assert info.value.status == 404
    with pytest.raises(GraphNotFound):
        await graph.get_user("nobody@contoso.com")


async def test_bad_token_is_an_auth_error(fake: FakeGraphServer) -> None:
    async with GraphClient(StaticTokenProvider("wrong"), base_url=fake.base_url, retry=FAST_RETRY) as client:
        with pytest.raises(GraphError) as info:
            await client.get_user("alice@contoso.com")
    assert info.value.status == 401
    assert type(info.value).__name__ == "GraphAuthError"
    assert fake.state.count("GET", "/users/*") == 2  # one fresh-token retry, no more


async def test_next_link_to_another_host_is_not_followed(tenant) -> None:
    config = FakeGraphConfig(next_link_origin="http://graph.evil.example")
    async with FakeGraphServer(tenant, config=config) as fake:
        async with GraphClient(StaticTokenProvider("demo-token"), base_url=fake.base_url) as client:
            with pytest.raises(GraphError, match="another host"):
                await client.list_user_devices(DEMO_IDS.david)
        assert fake.state.count("GET", "/users/*/managedDevices") == 1


async def test_owned_session_is_closed(fake: FakeGraphServer) -> None:
    client = GraphClient(StaticTokenProvider("demo-token"), base_url=fake.base_url)
    await client.get_user("alice@contoso.com")
    session = client._session
    await client.close()
    assert session is not None and session.closed


async def test_random_fault_mode_is_survivable_and_reproducible(tenant) -> None:
    async def run() -> list[int]:
        plan = FaultPlan.random(0.3, seed=7, retry_after=0.01, delay=0.05)
        async with FakeGraphServer(tenant, faults=plan) as fake:
            async with GraphClient(
                StaticTokenProvider("demo-token"),
                base_url=fake.base_url,
                retry=RetryPolicy(max_attempts=8, base_delay=0.01, max_delay=0.02),
            ) as client:
                assert len(await client.list_user_devices(DEMO_IDS.david)) == 60
            return [r.status for r in fake.state.requests]

    first, second = await run(), await run()
    assert first == second
    assert {429, 503} & set(first)


# ----------------------------------------------------------------------------------------------- apps


async def test_app_registrations_are_read_across_pages(graph: GraphClient, fake: FakeGraphServer) -> None:
    apps = await graph.user_app_registrations(DEMO_IDS.david)
    assert len(apps) == 24 and len({a.id for a in apps}) == 24
    assert fake.state.count("GET", "/users/*/managedAppRegistrations") == 5  # page size 5
    assert "%24select=" in fake.state.requests[-1].query or "$select=" in fake.state.requests[-1].query
    outlook = next(a for a in apps if a.app_id == "com.microsoft.Office.Outlook")
    assert outlook.platform == "iOS" and outlook.device_type == "iPad" and outlook.platform_version == "17.6.1"
    assert outlook.application_version and outlook.last_sync is not None and outlook.user_id == DEMO_IDS.david


async def test_app_registrations_forbidden_names_the_permission(graph: GraphClient, fake: FakeGraphServer) -> None:
    fake.faults.add("GET /users/*/managedAppRegistrations", Fault.forbidden())
    with pytest.raises(GraphForbidden) as info:
        await graph.user_app_registrations(DEMO_IDS.alice)
    assert info.value.permission == "DeviceManagementApps.Read.All"


async def test_app_registrations_of_unknown_user(graph: GraphClient) -> None:
    with pytest.raises(GraphNotFound):
        await graph.user_app_registrations("nobody@contoso.com")
