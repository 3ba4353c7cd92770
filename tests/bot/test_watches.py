"""Issue 16, defect 10: "I'll tell you when it's done" survives a restart of the bot.

The user syncs a device; the bot stops before the device checks in; the next bot process on the same store picks
the watch up and the notice still reaches the conversation (a local capture of the Bot Connector stands in for
Teams). Two replicas starting together deliver it once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.app import RUNTIME, create_app
from bot.services import open_services
from bot.settings import Settings
from bot.watches import Watches
from intune.authorization import AuthorizationPolicy
from intune.demo_tenant import DEMO_IDS, DemoTenant
from intune.fake_graph import FakeGraphConfig, FakeGraphServer
from intune.graph_client import GraphClient, StaticTokenProvider
from intune.sync_service import SyncService
from storage import Store, open_store
from tests.bot.conftest import Chat, teams_activity, texts
from tests.bot.openid_fixture import OpenIdFixture


@pytest.fixture
def channel() -> Iterator[OpenIdFixture]:
    server = OpenIdFixture().start()
    yield server
    server.stop()


@pytest.fixture
async def slow_graph() -> AsyncIterator[FakeGraphServer]:
    server = FakeGraphServer(DemoTenant.load(), config=FakeGraphConfig(sync_delay=1.0))
    await server.start()
    yield server
    await server.stop()


def _settings(tmp_path: Path) -> Settings:
    return Settings(storage_url=f"sqlite:///{tmp_path}/state.sqlite3", completion_watch_s=20,
                    completion_poll_s=0.1, helpdesk_group_ids=(DEMO_IDS.helpdesk_group,))


async def _start(settings: Settings, graph: FakeGraphServer, store: Store | None = None) -> tuple[TestClient, object]:
    services = await open_services(settings, store=store or open_store(settings.storage_url),
                                   graph_base_url=graph.base_url)
    client = TestClient(TestServer(create_app(settings, services=services)))
    await client.start_server()
    return client, services


async def _stop(client: TestClient, services: object) -> None:
    await client.close()
    await services.close()  # type: ignore[attr-defined]


def _notices(channel: OpenIdFixture) -> list[str]:
    return [a.get("text", "") for a in channel.captured if "Update:" in (a.get("text") or "")]


async def _sync_pc(client: TestClient, channel: OpenIdFixture) -> None:
    chat = Chat(client)
    await chat.say(None, value={"action": "sync_pick", "device_id": DEMO_IDS.alice_pc},
                   service_url=channel.service_url)
    replies = await chat.say("yes", service_url=channel.service_url)
    assert "Sync requested" in texts(replies)


async def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_the_notice_arrives_although_the_bot_restarted_before_the_device_checked_in(
        tmp_path: Path, slow_graph: FakeGraphServer, channel: OpenIdFixture) -> None:
    settings = _settings(tmp_path)
    client, services = await _start(settings, slow_graph)
    await _sync_pc(client, channel)
    await _stop(client, services)  # the bot goes down before the device checks in (1 s)
    assert _notices(channel) == []

    client, services = await _start(settings, slow_graph)  # a new process on the same store
    try:
        await _wait_for(lambda: len(_notices(channel)) == 1)
        assert "DESKTOP-42QX7T1" in _notices(channel)[0] and "done" in _notices(channel)[0]
        await asyncio.sleep(0.3)
        assert len(_notices(channel)) == 1
    finally:
        await _stop(client, services)


async def test_two_replicas_starting_together_deliver_the_notice_once(
        tmp_path: Path, slow_graph: FakeGraphServer, channel: OpenIdFixture) -> None:
    settings = _settings(tmp_path)
    client, services = await _start(settings, slow_graph)
    await _sync_pc(client, channel)
    await _stop(client, services)

    first, second = await asyncio.gather(_start(settings, slow_graph), _start(settings, slow_graph))
    try:
        await _wait_for(lambda: len(_notices(channel)) == 1)
        await asyncio.sleep(0.5)
        assert len(_notices(channel)) == 1
        runtimes = [c.server.app[RUNTIME].bot.watches for c, _ in (first, second)]
        assert sum(w.delivered for w in runtimes) == 1
    finally:
        await _stop(*first)
        await _stop(*second)


async def test_a_watch_past_its_deadline_is_dropped_not_resumed(
        tmp_path: Path, slow_graph: FakeGraphServer, channel: OpenIdFixture) -> None:
    settings = replace(_settings(tmp_path), completion_watch_s=0.5)
    client, services = await _start(settings, slow_graph)
    await _sync_pc(client, channel)
    await _stop(client, services)
    await asyncio.sleep(0.6)
    store = open_store(settings.storage_url)
    client, services = await _start(settings, slow_graph, store)
    try:
        await asyncio.sleep(1.5)  # the device has checked in meanwhile, but the watch had expired
        assert _notices(channel) == []
        for n in range(16):
            index = await store.get(f"watches/index/{n}")
            assert index is None or index.value["ids"] == []
    finally:
        await _stop(client, services)


async def test_a_watch_that_completes_normally_leaves_nothing_behind(
        tmp_path: Path, slow_graph: FakeGraphServer, channel: OpenIdFixture) -> None:
    settings = _settings(tmp_path)
    store = open_store(settings.storage_url)
    client, services = await _start(settings, slow_graph, store)
    try:
        await _sync_pc(client, channel)
        await _wait_for(lambda: len(_notices(channel)) == 1)
        await asyncio.sleep(0.2)
        for n in range(16):
            index = await store.get(f"watches/index/{n}")
            assert index is None or index.value["ids"] == []
    finally:
        await _stop(client, services)


async def test_a_crashed_replicas_watch_is_adopted_once_its_lease_lapses(
        tmp_path: Path, slow_graph: FakeGraphServer) -> None:
    """No graceful hand-over after a crash: the lease is still held by the dead process, so the watch waits
    until the lease lapses, then exactly one of the live replicas adopts it and runs it to the end."""
    settings = replace(_settings(tmp_path), completion_poll_s=0.05)
    store = open_store(settings.storage_url)
    async with GraphClient(StaticTokenProvider("demo-token"), base_url=slow_graph.base_url) as graph:
        sync = SyncService(graph, store, AuthorizationPolicy(graph))
        tenant = DemoTenant.load()
        confirmation = await sync.request_confirmation(tenant.caller("alice"), DEMO_IDS.alice_pc)
        outcome = await sync.confirm(tenant.caller("alice"), confirmation.id)  # type: ignore[union-attr]
        assert outcome.ok and outcome.device is not None
        activity = Activity().deserialize(teams_activity("yes", service_url="http://127.0.0.1:9/"))
        dead = Watches(settings, store, sync, object(), lease_s=0.6)
        watch_id = await dead.start(TurnContext(object(), activity), outcome.device, "en")
        for task in list(dead._tasks.values()):  # the process dies: no close(), the lease stays taken
            task.cancel()
        await asyncio.sleep(0.05)
        live = [Watches(settings, store, sync, object(), lease_s=0.6) for _ in range(2)]
        assert [await w.resume() for w in live] == [0, 0]  # the lease still holds
        await asyncio.sleep(0.7)
        assert sorted([await w.resume() for w in live]) == [0, 1]  # one adopts it, once
        await _wait_for(lambda: all(not w._tasks for w in live), timeout=10)
        assert await store.get(f"watch/{watch_id}") is None  # ran to the end and cleaned up
        for w in (dead, *live):
            await w.close()
    await store.close()
