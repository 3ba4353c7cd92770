"""Troubleshooting a user from Teams: the summary card, in English and French, through the real bot over HTTP."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.services import open_services
from bot.settings import Settings
from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer, Fault
from storage import Store
from tests.bot.conftest import TENANT, Chat, action_data, texts


def _card(replies: list[dict]) -> dict:
    cards = [a["content"] for r in replies for a in r.get("attachments") or []]
    assert len(cards) == 1, replies
    return cards[0]


async def test_agent_gets_one_summary_card_for_alice(agent: Chat) -> None:
    replies = await agent.say("troubleshoot alice@contoso.com")
    card = _card(replies)
    text = texts(replies)
    assert "Alice Martin" in text and "alice@contoso.com" in text
    assert "Account" in text and "enabled" in text
    assert "licensed (SPE_E3)" in text
    assert "3 (1 in grace period, 2 compliant)" in text
    assert "All Employees" in text and "Sales" in text
    assert "Alice's iPad" in text and "last check-in" in text and "ago" in text
    assert text.index("Alice's iPad") < text.index("DESKTOP-42QX7T1")  # not compliant (in grace) first
    assert "Device platform blocked" in text  # enrollment failure with the KB's explanation
    assert "What to do" in text
    syncs = action_data(replies, "sync_pick")
    assert {d["device_id"] for d in syncs} == {DEMO_IDS.alice_pc, DEMO_IDS.alice_iphone, DEMO_IDS.alice_ipad}
    assert {"action": "show", "kind": "faq", "id": "enrollment-failures"} in action_data(replies, "show")
    assert len(json.dumps(card).encode()) < 28_000


async def test_pending_wipe_is_flagged_with_the_faq(agent: Chat) -> None:
    replies = await agent.say("troubleshoot bob@contoso.com")
    text = texts(replies)
    assert "Galaxy-S21-Bob" in text and "wipe pending" in text
    assert text.index("Galaxy-S21-Bob") < text.index("DESKTOP-42B0B77")
    assert "stays Pending even though it worked" in text  # the FAQ's explanation
    assert {"action": "show", "kind": "faq", "id": "wipe-pending-forever"} in action_data(replies, "show")
    faq = await agent.click({"action": "show", "kind": "faq", "id": "wipe-pending-forever"})
    assert "Why does a wipe or retire show as Pending indefinitely?" in texts(faq)


async def test_disabled_and_unlicensed_users(agent: Chat) -> None:
    emma = texts(await agent.say("troubleshoot emma@contoso.com"))
    assert "disabled" in emma and "This account is disabled" in emma
    assert "iOS/iPadOS Timeout or Failure" in emma
    farid = texts(await agent.say("troubleshoot farid@contoso.com"))
    assert "no Intune license" in farid
    assert "User not found or licensed" in farid and "assign the license" in farid
    assert "Devices" in farid and "none" in farid


async def test_sixty_devices_are_capped(agent: Chat) -> None:
    replies = await agent.say("troubleshoot david@contoso.com")
    card = _card(replies)
    text = texts(replies)
    assert "60 (60 compliant)" in text
    assert "and 52 more" in text
    assert text.count("LAB-W11-") == 8 + len(action_data(replies, "sync_pick"))
    assert len(json.dumps(card, ensure_ascii=False).encode()) < 28_000


async def test_french_summary(agent: Chat) -> None:
    agent.locale = "fr-FR"
    replies = await agent.say("dépanner Bob Durand")
    text = texts(replies)
    assert "Bob Durand" in text
    assert "Compte" in text and "activé" in text
    assert "Licence Intune" in text
    assert "réinitialisation en attente" in text
    assert "reste alors En attente alors qu’elle a bien eu lieu" in text  # the French FAQ's explanation
    assert "dernière synchronisation il y a" in text  # one name for the field, as on the sync cards
    assert "Appareils" in text
    assert "Échec de l’autorisation d’inscription" in text  # the KB's French enrollment entry
    assert "Échec d’inscription des 30 derniers jours (1)" in text  # singular: one failure
    assert "Synchroniser Bob-Pixel8" in text
    assert "Account" not in text and "last check-in" not in text


async def test_french_disabled_unlicensed(agent: Chat) -> None:
    agent.locale = "fr-FR"
    emma = texts(await agent.say("dépanner emma@contoso.com"))
    assert "désactivé" in emma and "Ce compte est désactivé" in emma
    farid = texts(await agent.say("dépanner farid@contoso.com"))
    assert "aucune licence Intune" in farid


async def test_several_matches_give_a_choice_card(agent: Chat) -> None:
    replies = await agent.say("troubleshoot Du")
    picks = action_data(replies, "troubleshoot")
    assert {p["user"] for p in picks} == {"bob@contoso.com", "chloe@contoso.com"}
    chosen = await agent.click({"action": "troubleshoot", "user": "chloe@contoso.com"})
    text = texts(chosen)
    assert "Chloé Dubois" in text and "retire pending" in text


async def test_end_user_is_refused(alice: Chat) -> None:
    replies = await alice.say("troubleshoot bob@contoso.com")
    text = texts(replies)
    assert "Only helpdesk agents can troubleshoot other users." in text
    assert "Galaxy" not in text and not any(r.get("attachments") for r in replies)
    clicked = texts(await alice.click({"action": "troubleshoot", "user": "bob@contoso.com"}))
    assert "Only helpdesk agents" in clicked


async def test_unknown_user_gives_nothing(agent: Chat) -> None:
    text = texts(await agent.say("troubleshoot mallory@fabrikam.com"))
    assert "I found no user matching mallory@fabrikam.com" in text


async def test_agent_from_another_tenant_gets_nothing(client: TestClient) -> None:
    # A foreign tenant's agent has an object id this tenant's Graph does not know: not one of our agents.
    foreign = Chat(client, user="f0e16000-0000-4000-8000-0000000000aa", name="Mallory Admin",
                   conversation="conv-foreign")
    replies = await foreign.say("troubleshoot alice@contoso.com", tenant="0ther000-0000-4000-8000-000000000000")
    text = texts(replies)
    assert "Only helpdesk agents can troubleshoot other users." in text
    assert not any(r.get("attachments") for r in replies)
    assert "Alice's iPad" not in text


async def test_agent_id_presented_from_another_tenant_sees_nothing(client: TestClient) -> None:
    # Our agent's object id, but the activity says another tenant (a guest account, or a forged claim):
    # with no allow-list configured, the Graph tenant binding alone keeps this tenant's users hidden.
    agent_elsewhere = Chat(client, user=DEMO_IDS.helene, name="Hélène Support", conversation="conv-elsewhere")
    replies = await agent_elsewhere.say("troubleshoot alice@contoso.com",
                                        tenant="0ther000-0000-4000-8000-000000000000")
    text = texts(replies)
    assert "Alice's iPad" not in text and "DESKTOP-42QX7T1" not in text
    assert not any(r.get("attachments") for r in replies)


async def test_allow_list_binds_agents_to_their_tenant(settings: Settings, store: Store,
                                                       fake_graph: FakeGraphServer) -> None:
    settings = replace(settings, allowed_tenant_ids=(TENANT,))
    services = await open_services(settings, store=store, graph_base_url=fake_graph.base_url)
    try:
        async with TestClient(TestServer(create_app(settings, services=services))) as c:
            agent = Chat(c, user=DEMO_IDS.helene, name="Hélène Support", conversation="conv-agent-x")
            replies = await agent.say("troubleshoot alice@contoso.com", tenant="0ther000-0000-4000-8000-000000000000")
            assert not any(r.get("attachments") for r in replies)
            assert "Alice's iPad" not in texts(replies)
            assert "Alice's iPad" in texts(await agent.say("troubleshoot alice@contoso.com"))
    finally:
        await services.close()


async def test_sync_button_leads_to_confirmation(agent: Chat) -> None:
    replies = await agent.say("troubleshoot bob@contoso.com")
    pick = next(d for d in action_data(replies, "sync_pick") if d["device_id"] == DEMO_IDS.bob_pc)
    confirm = await agent.click(pick)
    assert action_data(confirm, "sync_confirm"), texts(confirm)
    assert "DESKTOP-42B0B77" in texts(confirm)


# -- apps (app protection) -------------------------------------------------------------------------


async def test_apps_area_lists_protected_apps(agent: Chat) -> None:
    replies = await agent.say("troubleshoot alice@contoso.com")
    text = texts(replies)
    assert "Apps (app protection)" in text
    assert "Microsoft Outlook" in text and "Microsoft Teams" in text and "Microsoft Edge" in text
    assert "— Alice's iPad" in text and "— Alice's iPhone" in text
    assert "iOS 17.6.1 · version 4.2432.0 · last sync" in text
    assert "Flagged by Intune" not in text and "and 0 more" not in text


async def test_flagged_app_comes_first_with_a_warning(agent: Chat) -> None:
    text = texts(await agent.say("troubleshoot bob@contoso.com"))
    assert "4, including 1 on a flagged device" in text
    assert "⚠️ **Microsoft Outlook** — Galaxy-A52-Bob" in text
    assert "Flagged by Intune: rooted/jailbroken device" in text
    assert text.index("Galaxy-A52-Bob") < text.index("**Microsoft Edge** — Bob-Pixel8")
    assert text.index("Flagged by Intune") < text.index("Enrollment failure")


async def test_many_apps_are_capped(agent: Chat) -> None:
    replies = await agent.say("troubleshoot david@contoso.com")
    card = _card(replies)
    text = texts(replies)
    assert "Apps (app protection)" in text and "\n24\n" in text
    assert text.count("— LAB-IPAD-") == 5
    assert "and 19 more" in text and "and 52 more" in text
    assert len(json.dumps(card, ensure_ascii=False).encode()) < 28_000


async def test_unknown_app_shows_its_id_and_no_apps_says_so(agent: Chat) -> None:
    grace = texts(await agent.say("troubleshoot grace.o'brien@contoso.com"))
    assert "com.contoso.legal.casefiles" in grace and "Microsoft Outlook" in grace
    farid = texts(await agent.say("troubleshoot farid@contoso.com"))
    assert "Apps (app protection)" in farid and "no protected app" in farid


async def test_apps_unavailable_keeps_the_card(agent: Chat, fake_graph: FakeGraphServer) -> None:
    fake_graph.faults.add("GET /users/*/managedAppRegistrations", Fault.forbidden())
    replies = await agent.say("troubleshoot alice@contoso.com")
    text = texts(replies)
    assert "Alice's iPad" in text and "All Employees" in text  # the rest of the summary is there
    assert "unavailable" in text
    assert "Apps unavailable: the bot is missing the DeviceManagementApps.Read.All Microsoft Graph permission." in text
    assert "Microsoft Outlook" not in text
    agent.locale = "fr-FR"
    fake_graph.faults.add("GET /users/*/managedAppRegistrations", Fault.forbidden())
    fr = texts(await agent.say("dépanner alice@contoso.com"))
    assert "indisponible" in fr
    assert "il manque au bot l’autorisation Microsoft Graph DeviceManagementApps.Read.All" in fr
    assert "Apps unavailable" not in fr


async def test_french_apps_area(agent: Chat) -> None:
    agent.locale = "fr-FR"
    text = texts(await agent.say("dépanner bob@contoso.com"))
    assert "Applications (protection des applications)" in text
    assert "4, dont 1 sur un appareil signalé" in text
    assert "Signalé par Intune\u00a0: appareil débridé (root ou jailbreak)" in text
    assert "Android 13 · version 4.2420.2 · dernière synchronisation il y a" in text
    for english in ("Apps (app protection)", "Flagged by Intune", "rooted/jailbroken", "last sync", "including"):
        assert english not in text, english
    david = texts(await agent.say("dépanner david@contoso.com"))
    assert "et 19 autres" in david
    farid = texts(await agent.say("dépanner farid@contoso.com"))
    assert "aucune application protégée" in farid and "no protected app" not in farid


async def test_oversized_card_drops_failure_details_then_app_rows(
    agent: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dialogs.troubleshoot as flow

    replies = await agent.say("troubleshoot bob@contoso.com")
    full = texts(replies)
    assert "What to do" in full and "Galaxy-A52-Bob" in full
    size = len(json.dumps(_card(replies), ensure_ascii=False).encode())
    monkeypatch.setattr(flow, "MAX_CARD_BYTES", size - 400)  # too large by a little
    text = texts(await agent.say("troubleshoot bob@contoso.com"))
    assert "What to do" not in text and "Enrollment failure in the last 30 days (1)" in text
    assert "Galaxy-A52-Bob" in text  # dropping the failure details was enough
    monkeypatch.setattr(flow, "MAX_CARD_BYTES", 2000)
    text = texts(await agent.say("troubleshoot bob@contoso.com"))
    assert "Galaxy-A52-Bob" not in text and "Apps (app protection)" in text
    assert "4, including 1 on a flagged device" in text  # the count stays
