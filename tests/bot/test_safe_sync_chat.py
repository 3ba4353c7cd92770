"""Safe sync through the real endpoint: a pending wipe or retire is never triggered by accident, agents confirm it
explicitly, and the owner hears when an agent synced their device."""

from __future__ import annotations

from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer
from tests.bot.conftest import Chat, FakeConnector, action_data, card_actions, texts


def _bob(client: object, **kw: object) -> Chat:
    return Chat(client, user=DEMO_IDS.bob, name="Bob Durand", conversation="conv-bob-sync", **kw)  # type: ignore[arg-type]


def _confirm_buttons(replies: list[dict]) -> list[dict]:
    return [a for a in card_actions(replies) if isinstance(a.get("data"), dict)
            and a["data"].get("action") == "sync_confirm"]


async def test_list_shows_the_wipe_and_bob_is_not_offered_the_sync_fr(client: object,
                                                                       fake_graph: FakeGraphServer) -> None:
    bob = _bob(client, locale="fr-FR")
    replies = await bob.say("je veux synchroniser un de mes appareils")
    text = texts(replies)
    assert "Galaxy-S21-Bob" in text and "réinitialisation en attente" in text
    galaxy = next(p for p in action_data(replies, "sync_pick") if p["device_id"] == DEMO_IDS.bob_wipe_pending)
    replies = await bob.click(galaxy)
    text = texts(replies)
    assert "effacé" in text and "service d’assistance" in text.lower()
    assert not _confirm_buttons(replies)
    await bob.say("oui oui")
    assert fake_graph.state.sync_calls == []


async def test_bob_is_refused_in_english_and_offered_the_helpdesk(client: object,
                                                                   fake_graph: FakeGraphServer) -> None:
    bob = _bob(client)
    replies = await bob.say("sync Galaxy-S21-Bob")
    text = texts(replies)
    assert "I won't sync Galaxy-S21-Bob" in text and "erased" in text
    assert any(a.get("data", {}).get("action") == "ticket_start" for a in card_actions(replies))
    assert not _confirm_buttons(replies)
    assert fake_graph.state.sync_calls == []


async def test_forged_card_data_does_not_sync_a_wipe_pending_device(client: object, fake_graph: FakeGraphServer,
                                                                     ) -> None:
    bob = _bob(client)
    # Bob makes a confirmation while the phone is fine, then the wipe is queued; he clicks with forged data.
    fake_graph.state.devices[DEMO_IDS.bob_wipe_pending]["managementState"] = "managed"
    replies = await bob.say("sync Galaxy-S21-Bob")
    confirmation = _confirm_buttons(replies)[0]["data"]["confirmation"]
    fake_graph.state.devices[DEMO_IDS.bob_wipe_pending]["managementState"] = "wipePending"
    replies = await bob.click({"action": "sync_confirm", "confirmation": confirmation, "acknowledge": "wipe"})
    assert fake_graph.state.sync_calls == []
    assert "erased" in texts(replies)


async def test_chloes_retire_pending_pc_in_french(client: object, fake_graph: FakeGraphServer) -> None:
    chloe = Chat(client, user=DEMO_IDS.chloe, name="Chloé Dubois", locale="fr-FR",  # type: ignore[arg-type]
                 conversation="conv-chloe-sync")
    replies = await chloe.say("peux-tu synchroniser mon ancien pc ? le DESKTOP-42OLD01")
    text = texts(replies)
    assert "mise hors service" in text and not _confirm_buttons(replies)
    await chloe.say("oui fais-le quand même")
    assert fake_graph.state.sync_calls == []


async def test_agent_confirms_the_wipe_explicitly_and_bob_is_told(agent: Chat, fake_graph: FakeGraphServer,
                                                                   connector: FakeConnector) -> None:
    replies = await agent.say("sync Galaxy-S21-Bob", service_url=connector.url)
    text = texts(replies)
    assert "A wipe is pending" in text and "erased" in text
    buttons = _confirm_buttons(replies)
    assert [b["title"] for b in buttons] == ["Yes, sync and run the pending wipe"]
    await agent.say("yes", service_url=connector.url)  # a plain yes is not enough
    assert fake_graph.state.sync_calls == []
    replies = await agent.say(None, value=buttons[0]["data"], service_url=connector.url)
    assert len(fake_graph.state.sync_calls) == 1
    notices = await connector.wait_for(lambda s: "Hélène" in str(s.body.get("text", "")))
    assert notices and "Galaxy-S21-Bob" in notices[0].body["text"]
    assert "synchronisé" in notices[0].body["text"]  # Bob's Entra preferred language is French


async def test_owner_is_told_in_english_when_an_agent_syncs_alices_ipad(agent: Chat, fake_graph: FakeGraphServer,
                                                                         connector: FakeConnector) -> None:
    replies = await agent.say("synchronise l'ipad d'alice", locale="fr-FR", service_url=connector.url)
    assert "Alice's iPad" in texts(replies)
    await agent.say("oui", locale="fr-FR", service_url=connector.url)
    assert len(fake_graph.state.sync_calls) == 1
    notices = await connector.wait_for(lambda s: "from the helpdesk synced" in str(s.body.get("text", "")))
    assert notices and "Hélène" in notices[0].body["text"] and "Alice's iPad" in notices[0].body["text"]
    created = [s for s in connector.sent if s.path == "/v3/conversations"]
    assert any(m.get("aadObjectId") == DEMO_IDS.alice for s in created for m in s.body.get("members", []))


async def test_agent_may_type_a_yes_that_names_the_wipe_in_french(agent: Chat, fake_graph: FakeGraphServer) -> None:
    replies = await agent.say("synchronise Galaxy-S21-Bob", locale="fr-FR")
    assert "réinitialisation" in texts(replies)
    await agent.say("oui", locale="fr-FR")
    assert fake_graph.state.sync_calls == []
    replies = await agent.say("synchronise Galaxy-S21-Bob", locale="fr-FR")
    await agent.say("oui, lance la réinitialisation", locale="fr-FR")
    assert len(fake_graph.state.sync_calls) == 1


async def test_an_end_user_naming_the_wipe_still_gets_nothing(client: object, fake_graph: FakeGraphServer) -> None:
    bob = _bob(client)
    fake_graph.state.devices[DEMO_IDS.bob_wipe_pending]["managementState"] = "managed"
    await bob.say("sync Galaxy-S21-Bob")
    fake_graph.state.devices[DEMO_IDS.bob_wipe_pending]["managementState"] = "wipePending"
    await bob.say("yes, sync and run the wipe")
    assert fake_graph.state.sync_calls == []


async def test_bulk_sync_leaves_out_the_wipe_pending_phone(client: object, fake_graph: FakeGraphServer) -> None:
    bob = _bob(client)
    shown = texts(await bob.say("sync all my devices"))
    assert "Not synced: Galaxy-S21-Bob, because a wipe or retire is pending on it." in shown
    await bob.say("yes")
    synced = {c.device_id for c in fake_graph.state.sync_calls}
    assert DEMO_IDS.bob_wipe_pending not in synced and DEMO_IDS.bob_pc in synced
