"""A conversation in progress survives a restart of the bot (durable SQLite state by default)."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.services import open_services
from bot.settings import Settings
from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer
from storage import open_store
from tests.bot.conftest import Chat, texts


async def _app_client(settings: Settings, fake_graph: FakeGraphServer) -> tuple[TestClient, object]:
    services = await open_services(settings, store=open_store(settings.storage_url),
                                   graph_base_url=fake_graph.base_url)
    client = TestClient(TestServer(create_app(settings, services=services)))
    await client.start_server()
    return client, services


async def test_sync_dialog_resumes_after_restart(tmp_path: Path, fake_graph: FakeGraphServer) -> None:
    settings = Settings(storage_url=f"sqlite:///{tmp_path}/state.sqlite3",
                        helpdesk_group_ids=(DEMO_IDS.helpdesk_group,))
    client, services = await _app_client(settings, fake_graph)
    replies = await Chat(client).say("synchroniser mon appareil", locale="fr-FR")
    assert "Quel appareil" in texts(replies)
    await client.close()
    await services.close()  # the bot process is gone

    client, services = await _app_client(settings, fake_graph)  # a new process on the same file
    try:
        replies = await Chat(client).say("1", locale="fr-FR")
        assert "maintenant" in texts(replies)  # the confirmation for device 1, not a lookup of "1"
        replies = await Chat(client).say("oui", locale="fr-FR")
        assert len(fake_graph.state.sync_calls) == 1, texts(replies)
    finally:
        await client.close()
        await services.close()


async def test_language_choice_survives_restart(tmp_path: Path, fake_graph: FakeGraphServer) -> None:
    settings = Settings(storage_url=f"sqlite:///{tmp_path}/state.sqlite3")
    client, services = await _app_client(settings, fake_graph)
    await Chat(client).say("en français")
    await client.close()
    await services.close()
    client, services = await _app_client(settings, fake_graph)
    try:
        replies = await Chat(client).say("0x87D1FDE8")  # an en-US Teams client, but French was chosen
        assert "Que faire" in texts(replies)
    finally:
        await client.close()
        await services.close()


async def _sync_pc(client: TestClient) -> str:
    chat = Chat(client)
    await chat.click({"action": "sync_pick", "device_id": DEMO_IDS.alice_pc})
    return texts(await chat.say("yes"))


async def test_the_readme_sync_example_works_again_after_a_restart_of_the_demo(tmp_path: Path) -> None:
    """Issue 16, item 14: the embedded demo tenant restarts fresh (no recent sync on any device), so the
    cooldown from the last run must not answer "synced recently"; within one run it still does."""
    settings = Settings(storage_url=f"sqlite:///{tmp_path}/state.sqlite3", demo_sync_delay_s=0.1,
                        completion_watch_s=0.5, completion_poll_s=0.1)
    for run in range(2):
        services = await open_services(settings)  # the embedded demo tenant, as scripts/run starts it
        assert services.fake_graph is not None
        client = TestClient(TestServer(create_app(settings, services=services)))
        await client.start_server()
        try:
            assert "Sync requested" in await _sync_pc(client), f"run {run}"
            replies = await Chat(client).click({"action": "sync_pick", "device_id": DEMO_IDS.alice_pc})
            assert "synced recently" in texts(replies)  # the cooldown still holds within a run
        finally:
            await client.close()
            await services.close()


async def test_a_shared_demo_graph_keeps_its_cooldowns_across_bot_restarts(tmp_path: Path,
                                                                           fake_graph: FakeGraphServer) -> None:
    settings = Settings(storage_url=f"sqlite:///{tmp_path}/state.sqlite3")
    client, services = await _app_client(settings, fake_graph)
    try:
        assert "Sync requested" in await _sync_pc(client)
    finally:
        await client.close()
        await services.close()
    client, services = await _app_client(settings, fake_graph)
    try:
        replies = await Chat(client).click({"action": "sync_pick", "device_id": DEMO_IDS.alice_pc})
        assert "synced recently" in texts(replies)
    finally:
        await client.close()
        await services.close()
    assert len(fake_graph.state.sync_calls) == 1
