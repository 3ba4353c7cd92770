"""The fake Graph itself: auth, shapes, paging, sync lifecycle, filters, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from intune import DEMO_IDS, DemoTenant
from intune.fake_graph import FakeGraphConfig, FakeGraphServer, Fault, FaultPlan, create_fake_graph_app

AUTH = {"Authorization": "Bearer demo-token"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_bearer_token_is_required(fake: FakeGraphServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{fake.base_url}/users/alice@contoso.com") as resp:
        assert resp.status == 401
        body = await resp.json()
    assert body["error"]["code"] == "InvalidAuthenticationToken"
    assert body["error"]["innerError"]["request-id"] == resp.headers["request-id"]


async def test_list_is_shaped_like_the_docs(fake: FakeGraphServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{fake.base_url}/deviceManagement/managedDevices", headers=AUTH) as resp:
        body = await resp.json()
    assert resp.status == 200
    assert body["@odata.context"].endswith("$metadata#deviceManagement/managedDevices")
    assert len(body["value"]) == 5 and "@odata.nextLink" in body
    device = body["value"][0]
    assert device["@odata.type"] == "#microsoft.graph.managedDevice"
    for key in ("deviceName", "managedDeviceOwnerType", "deviceActionResults", "complianceState", "lastSyncDateTime",
                "enrolledDateTime", "userPrincipalName", "managementAgent", "azureADDeviceId"):  # fmt: skip
        assert key in device


async def test_next_link_is_followed_unchanged(fake: FakeGraphServer, http: aiohttp.ClientSession) -> None:
    url: str | None = f"{fake.base_url}/users/{DEMO_IDS.david}/managedDevices?$select=id,deviceName&$top=25"
    names: list[str] = []
    while url:
        async with http.get(url, headers=AUTH) as resp:
            body = await resp.json()
        names += [d["deviceName"] for d in body["value"]]
        assert set(body["value"][0]) == {"id", "deviceName"}
        url = body.get("@odata.nextLink")
    assert len(names) == 60 == len(set(names))
    assert fake.state.count("GET", "/users/*/managedDevices") == 3


async def test_sync_goes_pending_then_done(tenant: DemoTenant, http: aiohttp.ClientSession) -> None:
    async with FakeGraphServer(tenant, config=FakeGraphConfig(sync_delay=0.1)) as fake:
        url = f"{fake.base_url}/deviceManagement/managedDevices/{DEMO_IDS.bob_pc}"
        async with http.post(f"{url}/syncDevice", headers=AUTH) as resp:
            assert resp.status == 204
        async with http.get(f"{url}?$select=id,deviceActionResults", headers=AUTH) as resp:
            assert (await resp.json())["deviceActionResults"][-1]["actionState"] == "pending"
        await asyncio.sleep(0.15)
        async with http.get(url, headers=AUTH) as resp:
            device = await resp.json()
        assert device["deviceActionResults"][-1]["actionState"] == "done"
        assert device["lastSyncDateTime"] == device["deviceActionResults"][-1]["lastUpdatedDateTime"]
        assert [c.device_id for c in fake.state.sync_calls] == [DEMO_IDS.bob_pc]


async def test_sync_refuses_a_body_and_unknown_devices(
    fake: FakeGraphServer, http: aiohttp.ClientSession
) -> None:
    base = f"{fake.base_url}/deviceManagement/managedDevices"
    async with http.post(f"{base}/{DEMO_IDS.bob_pc}/syncDevice", headers=AUTH, json={"x": 1}) as resp:
        assert resp.status == 400
    async with http.post(f"{base}/nope/syncDevice", headers=AUTH) as resp:
        assert resp.status == 404
    assert fake.state.sync_calls == []


@pytest.mark.parametrize(
    ("expression", "status"),
    [
        ("deviceName eq 'O'Brien'", 400),  # unescaped quote: rejected, never misread
        ("deviceName eq 'O''Brien'", 200),
        ("startswith(deviceName,'LAB') and not (operatingSystem eq 'iOS')", 200),
        ("deviceName eq", 400),
        ("deviceName sortof 'x'", 400),
    ],
)
async def test_filter_parser(
    fake: FakeGraphServer, http: aiohttp.ClientSession, expression: str, status: int
) -> None:
    params = {"$filter": expression}
    async with http.get(
        f"{fake.base_url}/deviceManagement/managedDevices", params=params, headers=AUTH
    ) as resp:
        assert resp.status == status


async def test_check_member_groups_limit(fake: FakeGraphServer, http: aiohttp.ClientSession) -> None:
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(21)]
    url = f"{fake.base_url}/users/{DEMO_IDS.helene}/checkMemberGroups"
    async with http.post(url, headers=AUTH, json={"groupIds": ids}) as resp:
        assert resp.status == 400
    async with http.post(url, headers=AUTH, json={"groupIds": [DEMO_IDS.helpdesk_group, ids[0]]}) as resp:
        body = await resp.json()
    assert body["value"] == [DEMO_IDS.helpdesk_group]
    assert body["@odata.context"].endswith("$metadata#Collection(Edm.String)")


async def test_fault_queue_is_per_route_and_in_order(tenant: DemoTenant, http: aiohttp.ClientSession) -> None:
    plan = FaultPlan().add("POST */syncDevice", Fault.throttled(1.5), Fault.unavailable())
    async with FakeGraphServer(tenant, faults=plan) as fake:
        url = f"{fake.base_url}/deviceManagement/managedDevices/{DEMO_IDS.bob_pc}"
        async with http.get(url, headers=AUTH) as resp:
            assert resp.status == 200  # GETs are not affected
        statuses = []
        for _ in range(3):
            async with http.post(f"{url}/syncDevice", headers=AUTH) as resp:
                statuses.append((resp.status, resp.headers.get("Retry-After")))
        assert statuses == [(429, "1.5"), (503, None), (204, None)]
        assert plan.pending == 0


async def test_token_endpoint_rejects_unknown_tenant_and_client(
    fake: FakeGraphServer, http: aiohttp.ClientSession
) -> None:
    form = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret",
            "scope": "https://graph.microsoft.com/.default"}  # fmt: skip
    async with http.post(f"{fake.url}/someone-else/oauth2/v2.0/token", data=form) as resp:
        assert resp.status == 400
    async with http.post(
        f"{fake.url}/{DEMO_IDS.tenant}/oauth2/v2.0/token", data={**form, "client_id": "x"}
    ) as resp:
        assert resp.status == 400
    async with http.post(f"{fake.url}/{DEMO_IDS.tenant}/oauth2/v2.0/token", data=form) as resp:
        token = (await resp.json())["access_token"]
    async with http.get(
        f"{fake.base_url}/users/bob@contoso.com", headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        assert resp.status == 200


async def test_app_factory_works_with_the_aiohttp_test_client(aiohttp_client, tenant: DemoTenant) -> None:
    client = await aiohttp_client(create_fake_graph_app(tenant))
    resp = await client.get(f"/v1.0/users/{DEMO_IDS.alice}/licenseDetails", headers=AUTH)
    body = await resp.json()
    assert [lic["skuPartNumber"] for lic in body["value"]] == ["SPE_E3"]


async def test_app_registrations_are_shaped_like_the_docs(fake: FakeGraphServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{fake.base_url}/users/{DEMO_IDS.bob}/managedAppRegistrations", headers=AUTH) as resp:
        body = await resp.json()
    assert resp.status == 200
    assert body["@odata.context"].endswith(f"$metadata#users('{DEMO_IDS.bob}')/managedAppRegistrations")
    assert len(body["value"]) == 4 and "@odata.nextLink" not in body
    rooted = [a for a in body["value"] if a["flaggedReasons"]]
    assert len(rooted) == 1 and rooted[0]["flaggedReasons"] == ["rootedDevice"]
    for app in body["value"]:
        assert app["@odata.type"] == "#microsoft.graph.androidManagedAppRegistration"
        assert app["appIdentifier"]["@odata.type"] == "#microsoft.graph.androidMobileAppIdentifier"
        assert app["appIdentifier"]["packageId"].startswith("com.microsoft.")
        for key in ("deviceName", "deviceType", "platformVersion", "applicationVersion", "lastSyncDateTime",
                    "createdDateTime", "managementSdkVersion", "userId", "id", "version"):  # fmt: skip
            assert key in app


async def test_app_registrations_need_the_apps_permission(tenant: DemoTenant, http: aiohttp.ClientSession) -> None:
    config = FakeGraphConfig(granted_permissions=frozenset({"DeviceManagementManagedDevices.Read.All"}))
    async with FakeGraphServer(tenant, config=config) as server:
        url = f"{server.base_url}/users/{DEMO_IDS.alice}/managedAppRegistrations"
        async with http.get(url, headers=AUTH) as resp:
            assert resp.status == 403
            assert "DeviceManagementApps.Read.All" in (await resp.json())["error"]["message"]
    config = FakeGraphConfig(granted_permissions=frozenset({"DeviceManagementApps.Read.All"}))
    async with (
        FakeGraphServer(tenant, config=config) as server,
        http.get(f"{server.base_url}/users/{DEMO_IDS.alice}/managedAppRegistrations", headers=AUTH) as resp,
    ):
        assert resp.status == 200


async def test_faults_hit_the_app_registrations_route(fake: FakeGraphServer, http: aiohttp.ClientSession) -> None:
    fake.faults.add("GET /users/*/managedAppRegistrations", Fault.throttled(retry_after=2))
    url = f"{fake.base_url}/users/{DEMO_IDS.alice}/managedAppRegistrations"
    async with http.get(url, headers=AUTH) as resp:
        assert resp.status == 429 and resp.headers["Retry-After"] == "2"
    async with http.get(url, headers=AUTH) as resp:
        assert resp.status == 200
