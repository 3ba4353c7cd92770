"""Fixtures: the demo tenant served by the fake Graph on loopback, and clients wired to it over real HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from intune import AuthorizationPolicy, DemoTenant, GraphClient, RetryPolicy, StaticTokenProvider, SyncService
from intune.fake_graph import FakeGraphConfig, FakeGraphServer, FaultPlan
from storage.memory import MemoryStore

# Retries fast enough for a unit test, but with the same shape as production.
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, max_retry_after=5.0, budget=5.0)


class FakeClock:
    """A settable epoch clock (starts at real time so timestamps look normal)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def tenant() -> DemoTenant:
    return DemoTenant.load()


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def fake_config() -> FakeGraphConfig:
    return FakeGraphConfig(page_size=5, sync_delay=0.1)


@pytest.fixture
async def fake(
    tenant: DemoTenant, faults: FaultPlan, fake_config: FakeGraphConfig
) -> AsyncIterator[FakeGraphServer]:
    async with FakeGraphServer(tenant, faults=faults, config=fake_config) as server:
        yield server


@pytest.fixture
async def graph(fake: FakeGraphServer) -> AsyncIterator[GraphClient]:
    async with GraphClient(
        StaticTokenProvider("demo-token"), base_url=fake.base_url, timeout=2.0, retry=FAST_RETRY
    ) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def authz(graph: GraphClient, tenant: DemoTenant, clock: FakeClock) -> AuthorizationPolicy:
    return AuthorizationPolicy(
        graph, allowed_tenants=[tenant.tenant_id], agent_group_ids=[tenant.helpdesk_group_id], clock=clock
    )


@pytest.fixture
def service(
    graph: GraphClient, store: MemoryStore, authz: AuthorizationPolicy, clock: FakeClock
) -> SyncService:
    return SyncService(graph, store, authz, confirmation_ttl=600, cooldown=300, clock=clock)
