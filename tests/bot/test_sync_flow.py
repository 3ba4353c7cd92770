"""Device sync through the bot, against the fake Graph over HTTP: confirmation, exactly once, rules."""

from __future__ import annotations

import asyncio

from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer, Fault
from storage import Store
from tests.bot.conftest import Chat, action_data, card_actions, teams_activity, texts


def confirmations(replies: list[dict]) -> list[str]:
    return [a["data"]["confirmation"] for a in card_actions(replies)
            if a.get("type") == "Action.Execute" and a.get("verb") == "syncConfirm"]


async def _start_and_pick_pc(chat: Chat) -> str:
    replies = await chat.say("sync my device")
    picks = action_data(replies, "sync_pick")
    assert len(picks) == 3, texts(replies)
    pc = next(p for p in picks if p["device_id"] == DEMO_IDS.alice_pc)
    replies = await chat.click(pc)
    ids = confirmations(replies)
    assert len(ids) == 1, texts(replies)
    return ids[0]


async def test_whole_flow_in_english(alice: Chat, fake_graph: FakeGraphServer, store: Store) -> None:
    replies = await alice.say("sync my device")
    shown = texts(replies)
    assert "DESKTOP-42QX7T1" in shown and "ago" in shown  # last check-in as a relative time
    replies = await alice.say("1")
    assert "now?" in texts(replies)
    assert fake_graph.state.sync_calls == []  # nothing before the user confirms
    replies = await alice.say("yes")
    assert "Sync requested" in texts(replies)
    assert len(fake_graph.state.sync_calls) == 1
    audit = await store.read_log("audit")
    assert audit[-1]["outcome"] == "requested" and audit[-1]["caller_id"] == DEMO_IDS.alice


async def test_whole_flow_in_french_with_oui(alice: Chat, fake_graph: FakeGraphServer) -> None:
    replies = await alice.say("synchroniser mon appareil", locale="fr-FR")
    assert "il y a" in texts(replies)
    await alice.say("2", locale="fr-FR")
    replies = await alice.say("ouais", locale="fr-FR")
    assert len(fake_graph.state.sync_calls) == 1, texts(replies)


async def test_no_means_no(alice: Chat, fake_graph: FakeGraphServer) -> None:
    await alice.say("sync my device")
    await alice.say("1")
    replies = await alice.say("non")
    assert "nothing was synced" in texts(replies)
    assert fake_graph.state.sync_calls == []


async def test_duplicate_deliveries_cause_one_graph_call(alice: Chat, fake_graph: FakeGraphServer) -> None:
    confirmation = await _start_and_pick_pc(alice)
    data = {"action": "sync_confirm", "confirmation": confirmation}
    results = await asyncio.gather(*(alice.click(data) for _ in range(8)))
    assert len(fake_graph.state.sync_calls) == 1
    shown = [texts(r) for r in results]
    assert sum("Sync requested" in s for s in shown) == 1
    assert sum("no longer valid" in s for s in shown) == 7


async def test_action_execute_replaces_the_card(alice: Chat, fake_graph: FakeGraphServer) -> None:
    confirmation = await _start_and_pick_pc(alice)
    invoke = teams_activity(activity_type="invoke",
                            value={"action": {"type": "Action.Execute", "verb": "syncConfirm",
                                              "data": {"action": "sync_confirm", "confirmation": confirmation}}})
    invoke["name"] = "adaptiveCard/action"
    invoke.pop("deliveryMode")
    resp = await alice.client.post("/api/messages", json=invoke)
    assert resp.status == 200
    body = await resp.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert not body["value"].get("actions")  # nothing left to click twice
    again = await alice.client.post("/api/messages", json=invoke)
    assert "no longer valid" in str(await again.json())
    assert len(fake_graph.state.sync_calls) == 1


async def test_forged_device_id_is_refused(alice: Chat, fake_graph: FakeGraphServer) -> None:
    replies = await alice.click({"action": "sync_pick", "device_id": DEMO_IDS.bob_pc})
    assert "only your own devices" in texts(replies)
    assert confirmations(replies) == []
    assert fake_graph.state.sync_calls == []


async def test_someone_elses_confirmation_is_refused(client, alice: Chat, fake_graph: FakeGraphServer) -> None:
    confirmation = await _start_and_pick_pc(alice)
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob", conversation="conv-bob")
    replies = await bob.click({"action": "sync_confirm", "confirmation": confirmation})
    assert "Sync requested" not in texts(replies)
    assert fake_graph.state.sync_calls == []


async def test_cooldown_answers_with_last_sync(alice: Chat, fake_graph: FakeGraphServer) -> None:
    confirmation = await _start_and_pick_pc(alice)
    await alice.click({"action": "sync_confirm", "confirmation": confirmation})
    replies = await alice.click({"action": "sync_pick", "device_id": DEMO_IDS.alice_pc})
    assert "synced recently" in texts(replies)
    assert len(fake_graph.state.sync_calls) == 1


async def test_throttled_then_success(alice: Chat, fake_graph: FakeGraphServer) -> None:
    fake_graph.state.faults.add("POST */syncDevice", Fault.throttled(retry_after=0.2))
    confirmation = await _start_and_pick_pc(alice)
    replies = await alice.click({"action": "sync_confirm", "confirmation": confirmation})
    assert "Sync requested" in texts(replies)
    assert len(fake_graph.state.sync_calls) == 1


async def test_graph_403_names_the_permission(alice: Chat, fake_graph: FakeGraphServer, store: Store) -> None:
    fake_graph.state.faults.add("POST */syncDevice", Fault.forbidden())
    confirmation = await _start_and_pick_pc(alice)
    replies = await alice.click({"action": "sync_confirm", "confirmation": confirmation})
    assert "DeviceManagementManagedDevices.PrivilegedOperations.All" in texts(replies)
    audit = await store.read_log("audit")
    assert audit[-1]["outcome"] != "requested"


async def test_status_after_sync(alice: Chat, fake_graph: FakeGraphServer) -> None:
    confirmation = await _start_and_pick_pc(alice)
    await alice.click({"action": "sync_confirm", "confirmation": confirmation})
    await asyncio.sleep(0.4)
    replies = await alice.say("is it done?")
    assert "done" in texts(replies)


async def test_agent_syncs_another_users_device(agent: Chat, fake_graph: FakeGraphServer) -> None:
    replies = await agent.say("sync DESKTOP-42QX7T1")
    ids = confirmations(replies)
    assert ids, texts(replies)
    replies = await agent.say("yes")
    assert "Sync requested" in texts(replies)
    assert [c.device_id for c in fake_graph.state.sync_calls] == [DEMO_IDS.alice_pc]
    replies = await agent.say("who synced DESKTOP-42QX7T1?")
    assert "Hélène" in texts(replies)


async def test_end_user_cannot_sync_by_name(alice: Chat, fake_graph: FakeGraphServer) -> None:
    replies = await alice.say("sync DESKTOP-42B0B77")
    assert confirmations(replies) == []
    assert fake_graph.state.sync_calls == []


async def test_a_5xx_on_sync_says_the_outcome_is_unknown_and_keeps_the_cooldown(
        alice: Chat, fake_graph: FakeGraphServer, store: Store) -> None:
    """Issue 16: Intune may have queued the sync; "nothing was done" would be a lie and invite a double sync."""
    fake_graph.state.faults.add("POST */syncDevice", Fault.unavailable(503))
    confirmation = await _start_and_pick_pc(alice)
    replies = await alice.click({"action": "sync_confirm", "confirmation": confirmation})
    shown = texts(replies)
    assert "outcome is unknown" in shown and "Nothing was done" not in shown
    audit = await store.read_log("audit")
    assert [(e["phase"], e["outcome"]) for e in audit] == [("intent", "outcome_unknown"),
                                                            ("outcome", "outcome_unknown")]
    replies = await alice.say("is it done?")  # Intune may have queued it: the bot can still look
    assert "don't have a recent sync" not in texts(replies) and "DESKTOP-42QX7T1" in texts(replies)
    replies = await alice.click({"action": "sync_pick", "device_id": DEMO_IDS.alice_pc})
    assert "synced recently" in texts(replies)
    assert fake_graph.state.count("POST", "*/syncDevice") == 1


async def test_a_5xx_on_sync_in_french(alice: Chat, fake_graph: FakeGraphServer) -> None:
    fake_graph.state.faults.add("POST */syncDevice", Fault.unavailable(500))
    await alice.say("synchroniser mon appareil", locale="fr-FR")
    await alice.say("1", locale="fr-FR")
    replies = await alice.say("oui", locale="fr-FR")
    assert "résultat est inconnu" in texts(replies)
