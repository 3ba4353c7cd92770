"""Device status through the real endpoint and the demo tenant's fake Graph, in English and French."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer
from presentation.i18n import Translator
from tests.bot.conftest import Chat, action_data, texts

GRACE_END = datetime.now(UTC) + timedelta(days=3)  # Alice's iPad: graceDaysLeft 3 in demo_tenant.json


def _grace_dates(lang: str) -> set[str]:
    """The grace-period end as the card writes it (the day may turn while the test runs)."""
    t = Translator(lang)
    return {t.date(GRACE_END), t.date(GRACE_END + timedelta(minutes=5))}


async def test_alices_ipad_card_in_english(alice: Chat) -> None:
    replies = await alice.say("why is my ipad not compliant?")
    text = texts(replies)
    assert "Alice's iPad" in text
    assert "In grace period until" in text and any(d in text for d in _grace_dates("en"))
    assert "Update iPadOS to 17.6 or later" in text
    assert "Set a passcode of at least 6 digits" in text
    assert "Last check-in" in text and "ago" in text
    assert "Passcode does not comply" not in text and "-2016332107" not in text
    assert action_data(replies, "sync_pick") == [{"action": "sync_pick", "device_id": DEMO_IDS.alice_ipad}]
    assert "admin center" not in text.lower() and "IosCompliancePolicy" not in text  # plain words for users


async def test_alices_ipad_card_in_french(alice: Chat) -> None:
    replies = await alice.say("est-ce que mon ipad est conforme ?", locale="fr-FR")
    text = texts(replies)
    assert "Alice's iPad" in text
    assert "En période de grâce jusqu’au" in text and any(d in text for d in _grace_dates("fr"))
    assert "Mettez à jour iPadOS vers la version 17.6 ou ultérieure" in text
    assert "code secret d’au moins 6 chiffres" in text
    assert "Dernière synchronisation" in text and "il y a" in text
    assert any(a.get("title") == "Synchroniser maintenant" for r in replies
               for att in r.get("attachments") or [] for a in att["content"].get("actions", []))


async def test_sync_now_opens_the_confirmation(alice: Chat, fake_graph: FakeGraphServer) -> None:
    replies = await alice.say("check my ipad")
    replies = await alice.click(action_data(replies, "sync_pick")[0])
    assert "Sync Alice's iPad now?" in texts(replies)
    assert fake_graph.state.sync_calls == []


async def test_follow_ups_on_the_device_in_play(alice: Chat) -> None:
    await alice.say("my ipad keeps telling me it's not compliant, why??")
    steps = texts(await alice.say("what can I do to fix it myself?"))
    assert "Update iPadOS to 17.6 or later" in steps and "passcode" in steps
    again = texts(await alice.say("ok and how do i check again once it's done"))
    assert "Check status" in again and "Company Portal" in again


async def test_bobs_devices_in_french_and_the_others(client: object) -> None:
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", locale="fr-FR", conversation="conv-bob")  # type: ignore[arg-type]
    text = texts(await bob.say("le pixel, il est en règle niveau conformité ?"))
    assert "Bob-Pixel8" in text and "Conforme" in text
    others = texts(await bob.say("et mes autres appareils ?"))
    assert "Galaxy-S21-Bob" in others and "DESKTOP-42B0B77" in others and "Bob-Pixel8" not in others
    assert "réinitialisation en attente" in others  # the management state shows in lists
    grace = texts(await bob.say("mon ordi est marqué en période de grâce, c'est grave ?"))
    assert "DESKTOP-42B0B77" in grace and "jusqu’au" in grace
    assert "BitLocker" in grace and "équipe informatique" in grace  # only IT can fix that one


async def test_are_my_devices_all_ok(client: object) -> None:
    grace = Chat(client, user=DEMO_IDS.grace, name="Grace O'Brien", conversation="conv-grace")  # type: ignore[arg-type]
    text = texts(await grace.say("are my devices all ok?"))
    assert "GOBRIEN-MBP" in text and "Grace O'Brien's iPhone" in text
    assert "2 devices: all compliant" in text


async def test_agent_asks_about_alices_ipad_in_french(agent: Chat) -> None:
    text = texts(await agent.say("pourquoi l'ipad d'alice est non conforme ?", locale="fr-FR"))
    assert "Alice's iPad" in text and "Alice Martin" in text
    assert "osMinimumVersion" in text and "iPadOS - BYOD baseline" in text  # the admin center's names too
    assert "17.6" in text


async def test_end_user_cannot_look_at_someone_elses_device(client: object) -> None:
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", conversation="conv-bob-2")  # type: ignore[arg-type]
    text = texts(await bob.say("why is alice's ipad not compliant?"))
    assert "Alice's iPad" not in text and "17.5" not in text
    assert "only your own devices" in text


async def test_the_phone_that_is_not_compliant_and_no_sync_on_a_pending_wipe(client: object) -> None:
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", locale="fr-FR", conversation="conv-bob-3")  # type: ignore[arg-type]
    replies = await bob.say("pourquoi mon téléphone est non conforme")
    text = texts(replies)
    assert "Galaxy-S21-Bob" in text and "Bob-Pixel8" not in text  # of his two phones, the one that is not
    assert "effacé" in text  # the pending wipe is said
    assert action_data(replies, "sync_pick") == []  # and no Sync now: it would run the wipe


async def test_a_list_with_one_device_to_fix_then_what_to_do(alice: Chat) -> None:
    listing = texts(await alice.say("check my device"))
    assert "Alice's iPad" in listing and "DESKTOP-42QX7T1" in listing and "1 device needs attention" in listing
    steps = texts(await alice.say("what can I do to fix it myself?"))
    assert "On Alice's iPad" in steps and "Update iPadOS to 17.6 or later" in steps


async def test_agent_lists_someones_devices_and_a_deleted_device_is_said(agent: Chat,
                                                                         fake_graph: FakeGraphServer) -> None:
    text = texts(await agent.say("show me the devices of bob@contoso.com"))
    assert "Devices of Bob Durand" in text and "Galaxy-S21-Bob" in text and "wipe pending" in text
    replies = await agent.say("is DESKTOP-42B0B77 compliant?")
    assert "Bob Durand" in texts(replies) and "BitLocker" in texts(replies)
    del fake_graph.state.devices[DEMO_IDS.bob_pc]
    gone = texts(await agent.click({"action": "device_status", "device_id": DEMO_IDS.bob_pc}))
    assert "no longer exists" in gone
