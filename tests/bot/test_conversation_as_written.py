"""Conversation as people write it (issue 12): language per message, small talk, follow-ups, commands typed
loosely, group chats and channels, long pastes and images; EN and FR, through the real endpoint."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer
from tests.bot.conftest import Chat, FakeConnector, action_data, texts

NO_ANSWER = ("don't have an answer", "pas de réponse", "Did you mean", "Vouliez-vous dire")


def _understood(shown: str) -> bool:
    return not any(x in shown for x in NO_ANSWER)


# -- 1. reply language per message -------------------------------------------------------------------
async def test_a_french_message_under_an_english_teams_is_answered_in_french(alice: Chat) -> None:
    shown = texts(await alice.say("bonjour, mon iphone affiche profil non géré, je fais quoi ?"))
    assert "profil non géré" in shown.lower() and "profile not managed" not in shown.lower()
    shown = texts(await alice.say("ok et c'est quoi 0x87D1FDE8 alors ?"))
    assert "Que faire" in shown


async def test_an_explicit_choice_wins_over_detection_until_changed(alice: Chat) -> None:
    alice.locale = "fr-FR"
    shown = texts(await alice.say("can you answer me in english from now on please"))
    assert "English" in shown
    shown = texts(await alice.say("mon pc affiche 0x87D13B72, c'est quoi ?"))
    assert "What to do" in shown and "Que faire" not in shown
    shown = texts(await alice.say("je comprends pas l'anglais, en français svp"))
    assert "français" in shown
    assert "Que faire" in texts(await alice.say("0x87D13B72"))


async def test_short_and_neutral_messages_keep_the_conversation_language(alice: Chat) -> None:
    await alice.say("bonjour, que veut dire l'erreur 0x87D1FDE8 sur mon ordinateur ?")
    assert "Que faire" in texts(await alice.say("-2016330906"))
    assert "Avec plaisir" in texts(await alice.say("ok merci"))


# -- 2. courtesy and small talk --------------------------------------------------------------------
async def test_thanks_goodbyes_emoji_and_questions_about_the_bot_get_natural_replies(alice: Chat) -> None:
    for text in ("thanks a lot!", "👍", "bye for now", "ok cool"):
        shown = texts(await alice.say(text))
        assert shown and _understood(shown), text
    shown = texts(await alice.say("are you a real person?"))
    assert "bot" in shown and _understood(shown)
    shown = texts(await alice.say("honestly you're useless"))
    assert "helpdesk" in shown.lower()
    assert any(a["action"] == "ticket_start" for a in action_data(await alice.say("you suck"), "ticket_start"))


async def test_french_small_talk(alice: Chat) -> None:
    alice.locale = "fr-FR"
    assert "Bonjour" in texts(await alice.say("coucou 🙂"))
    shown = texts(await alice.say("t'es qui toi ?"))
    assert "bot" in shown and _understood(shown)
    assert "plaisir" in texts(await alice.say("super merci, bonne soirée"))


# -- 3. follow-ups -----------------------------------------------------------------------------------
async def test_and_on_android_asks_the_same_question_for_another_platform(alice: Chat) -> None:
    first = texts(await alice.say("why is reset passcode greyed out on my android device administrator phone"))
    assert "Android" in first
    shown = texts(await alice.say("and on an iPhone?"))
    assert _understood(shown) and ("iOS" in shown or "iPhone" in shown)


async def test_what_does_that_mean_explains_the_last_answer_in_plain_words(alice: Chat) -> None:
    alice.locale = "fr-FR"
    await alice.say("0x87d1fde8 sur mon pc")
    shown = texts(await alice.say("ça veut dire quoi en gros ? je comprends rien"))
    assert "En clair" in shown and _understood(shown)


async def test_a_follow_up_with_nothing_in_play_says_so_in_context(alice: Chat) -> None:
    shown = texts(await alice.say("what does that mean?"))
    assert "not sure what this refers to" in shown
    assert action_data(await alice.say("it keeps failing"), "ticket_start")


async def test_sync_his_phone_after_troubleshooting_stays_on_that_user(agent: Chat) -> None:
    assert "bob@contoso.com" in texts(await agent.say("troubleshoot bob"))
    shown = texts(await agent.say("sync his pc"))
    assert "DESKTOP-42B0B77" in shown and "DESKTOP-42HD001" not in shown
    assert "nothing was synced" in texts(await agent.say("annule"))


async def test_a_pronoun_with_nobody_in_play_never_reaches_another_users_device(agent: Chat) -> None:
    shown = texts(await agent.say("sync her iphone"))
    assert "Whose device" in shown
    assert not action_data(await agent.say("yes"), "sync_confirm")


async def test_is_it_done_and_cancel_inside_a_flow(alice: Chat) -> None:
    await alice.say("sync my pc please")
    shown = texts(await alice.say("yes"))
    assert "Sync requested" in shown
    shown = texts(await alice.say("did it go through?"))
    assert "Sync of DESKTOP-42QX7T1" in shown
    await alice.say("sync the ipad")
    shown = texts(await alice.say("hmm actually never mind"))
    assert "nothing was synced" in shown


async def test_who_synced_by_owner_names_the_devices_never_a_false_nobody(agent: Chat, alice: Chat) -> None:
    await alice.say("sync my pc")
    await alice.say("yes")
    shown = texts(await agent.say("who synced alice's laptop?"))
    assert "Alice Martin synced DESKTOP-42QX7T1" in shown
    shown = texts(await agent.say("and her iphone?"))
    assert "Alice's iPhone" in shown and "Nobody" not in shown


# -- 4. commands as people type them -----------------------------------------------------------------
async def test_typos_and_politeness_around_commands(agent: Chat) -> None:
    assert "bob@contoso.com" in texts(await agent.say("troubelshoot bob"))
    assert "bob@contoso.com" in texts(await agent.say("depaner bob stp"))
    shown = texts(await agent.say("troubleshoot"))
    assert "Which user" in shown or "Quel utilisateur" in shown
    assert "chloe@contoso.com" in texts(await agent.say("chloe"))


async def test_a_device_picked_by_its_everyday_name(client: TestClient) -> None:
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", locale="fr-FR", conversation="conv-bob")
    shown = texts(await bob.say("peux-tu synchroniser mon téléphone pro steuplait"))
    assert "Bob-Pixel8" in shown
    shown = texts(await bob.say("le pixel 8"))
    assert "Synchroniser Bob-Pixel8 maintenant" in shown


async def test_an_ambiguous_prefix_gives_a_list_never_a_silent_pick(agent: Chat) -> None:
    shown = texts(await agent.say("sync DESKTOP-42"))
    assert "DESKTOP-42QX7T1" in shown and "DESKTOP-42B0B77" in shown and "DESKTOP-42HD001" in shown
    assert "now?" not in shown


async def test_bulk_requests_get_one_confirmation_for_several_devices(client: TestClient,
                                                                     fake_graph: FakeGraphServer) -> None:
    david = Chat(client, user=DEMO_IDS.david, name="David Lambert", conversation="conv-david")
    replies = await david.say("please sync all of my lab machines")
    shown = texts(replies)
    assert "LAB-W11-001" in shown and "20" in shown
    assert "no user named" not in shown
    shown = texts(await david.say("yes"))
    assert "Sync requested for 20 devices" in shown
    await asyncio.sleep(0)
    assert len(fake_graph.state.sync_calls) == 20


async def test_an_end_user_cannot_bulk_sync_someone_else(alice: Chat, fake_graph: FakeGraphServer) -> None:
    shown = texts(await alice.say("sync all of david's devices"))
    assert "only your own" in shown
    assert not fake_graph.state.sync_calls


# -- 5. group chats and channels -----------------------------------------------------------------------
async def test_in_a_group_each_member_answers_only_their_own_question(client: TestClient,
                                                                      fake_graph: FakeGraphServer,
                                                                      connector: FakeConnector) -> None:
    # Device lists and confirmations are personal: in a group they reach the asker's 1:1 chat (issue 14).
    group = dict(conversation="19:group-1@thread.v2", conv_type="groupChat", service_url=connector.url)
    alice = Chat(client, conversation=group["conversation"])
    david = Chat(client, user=DEMO_IDS.david, name="David Lambert", conversation=group["conversation"])

    def private() -> str:
        return texts([{"text": m.get("text"), "attachments": m.get("attachments")}
                      for m in connector.messages("a:proactive-")])

    shown = texts(await alice.say("<at>Helpdesk</at> sync my device", **group))
    assert "DESKTOP-42QX7T1" in private() and "DESKTOP-42QX7T1" not in shown
    await alice.say("<at>Helpdesk</at> 2", **group)
    assert "Sync Alice's iPhone now?" in private()
    shown = texts(await david.say("<at>Helpdesk</at> yes", **group))
    assert "Sync requested" not in shown + private() and "nothing was synced" not in shown
    assert not fake_graph.state.sync_calls
    await alice.say("<at>Helpdesk</at> yes go ahead", **group)
    assert "Sync requested for Alice's iPhone" in private()
    assert len(fake_graph.state.sync_calls) == 1


# -- 6. long pastes, 7. images ---------------------------------------------------------------------------
async def test_a_code_on_the_last_line_of_a_long_paste_is_found(alice: Chat) -> None:
    log = "\n".join(f"2025-03-04 08:12:{i % 60:02d}.886 INFO [Telemetry] event flushed ({i} items)"
                    for i in range(120))
    shown = texts(await alice.say(f"here is my company portal log:\n{log}\nApp install failed: 0x87D13B64"))
    assert "-2016330908" in shown
    assert "only its beginning" not in shown


async def test_an_image_gets_asked_for_the_text_in_both_languages(alice: Chat) -> None:
    image = [{"contentType": "image/png", "contentUrl": "https://example.invalid/s.png"}]
    shown = texts(await alice.say("screenshot of the error below", attachments=image))
    assert "can't read images" in shown
    shown = texts(await alice.say("voilà la capture de l'erreur", attachments=image))
    assert "lire les images" in shown
    shown = texts(await alice.say("this is what it says: 0x87D13B6E", attachments=image))
    assert "-2016330898" in shown


async def test_in_a_channel_the_mention_is_ignored_and_french_members_get_french(client: TestClient) -> None:
    channel = "19:chan-1@thread.tacv2"
    farid = Chat(client, user=DEMO_IDS.farid, name="Farid Benali", conversation=channel)
    grace = Chat(client, user=DEMO_IDS.grace, name="Grace O'Brien", conversation=channel)
    shown = texts(await farid.say("<at>Helpdesk</at> c'est quoi l'erreur -2016330906 ?", conv_type="channel"))
    assert "0x87D13B66" in shown and "Que faire" in shown
    shown = texts(await grace.say("<at>Helpdesk</at> and what's 0x87D12B01?", conv_type="channel"))
    assert "-2016335103" in shown and "What to do" in shown
    shown = texts(await farid.say("<at>Helpdesk</at> top merci à toi", conv_type="channel"))
    assert "plaisir" in shown


async def test_a_french_group_member_picks_a_device_by_its_everyday_name(client: TestClient,
                                                                         fake_graph: FakeGraphServer,
                                                                         connector: FakeConnector) -> None:
    # The list, the confirmation and the outcome are personal: Bob reads them in his 1:1 chat (issue 14).
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", locale="fr-FR", conversation="19:group-fr@thread.v2")
    group = dict(conv_type="groupChat", service_url=connector.url)

    def private() -> str:
        return texts([{"text": m.get("text"), "attachments": m.get("attachments")}
                      for m in connector.messages("a:proactive-")])

    shown = texts(await bob.say("<at>Helpdesk</at> synchro stp", **group))
    assert "DESKTOP-42B0B77" in private() and "DESKTOP-42B0B77" not in shown
    await bob.say("<at>Helpdesk</at> le pc", **group)
    assert "Synchroniser DESKTOP-42B0B77 maintenant" in private()
    await bob.say("<at>Helpdesk</at> vas-y", **group)
    assert "Synchronisation demandée" in private()
    assert [c for c in fake_graph.state.sync_calls]


async def test_an_ime_log_keeps_its_lines_and_its_code_is_found(alice: Chat) -> None:
    lines = [f'<![LOG[[Win32App] polling app {i}]LOG]!><time="09:00:{i % 60:02d}.000" date="6-4-2024" '
             f'component="AppWorkload" context="" type="1" thread="{i}" file="">' for i in range(80)]
    lines.insert(60, '<![LOG[[Win32App] Installation failed with error 0x87D13B64 for app Contoso VPN]LOG]!>'
                     '<time="09:01:00.000" date="6-4-2024" component="AppWorkload" type="3" file="">')
    shown = texts(await alice.say("here is my IME log, install keeps failing\n" + "\n".join(lines)))
    assert "-2016330908" in shown


async def test_a_question_about_him_after_troubleshooting_shows_his_summary(agent: Chat) -> None:
    await agent.say("troubleshoot farid")
    shown = texts(await agent.say("why can't he enroll?"))
    assert "farid@contoso.com" in shown and "license" in shown.lower()


async def test_why_after_a_refusal_repeats_the_reason_with_a_way_on(client: TestClient) -> None:
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", locale="fr-FR", conversation="conv-bob-why")
    shown = texts(await bob.say("synchronise le samsung"))
    assert "Galaxy-S21-Bob" in shown and "réinitialisation" in shown
    replies = await bob.say("pourquoi ?")
    shown = texts(replies)
    assert "réinitialisation" in shown and action_data(replies, "ticket_start")
    assert "Vouliez-vous dire" not in shown


async def test_why_after_an_old_pc_with_a_retire_pending(client: TestClient) -> None:
    chloe = Chat(client, user=DEMO_IDS.chloe, name="Chloé Dubois", locale="fr-FR", conversation="conv-chloe-why")
    shown = texts(await chloe.say("synchronise mon ancien pc"))
    assert "DESKTOP-42OLD01" in shown and "mise hors service" in shown.lower()
    shown = texts(await chloe.say("pourquoi ?"))
    assert "mise hors service" in shown.lower() and "De quoi parlons-nous" not in shown


async def test_a_short_question_after_a_device_status_is_about_that_device(alice: Chat) -> None:
    shown = texts(await alice.say("why is my ipad not compliant??"))
    assert "Alice's iPad" in shown
    shown = texts(await alice.say("when is the deadline?"))
    assert "Alice's iPad" in shown and "grace" in shown.lower()
    assert "don't have an answer" not in shown


async def test_a_ticket_right_after_a_refusal_carries_the_reason(client: TestClient) -> None:
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", conversation="conv-bob-ticket")
    assert "Galaxy-S21-Bob" in texts(await bob.say("sync my galaxy"))
    shown = texts(await bob.say("ok open a ticket then"))
    assert "Galaxy-S21-Bob" in shown and "ticket" in shown.lower()


async def test_details_typed_after_the_ticket_summary_join_the_request(client: TestClient) -> None:
    grace = Chat(client, user=DEMO_IDS.grace, name="Grace O'Brien", conversation="conv-grace-details")
    shown = texts(await grace.say("get me a human, this is going nowhere"))
    assert "helpdesk" in shown.lower()
    shown = texts(await grace.say("my mac keeps restarting since the last update this morning"))
    assert "keeps restarting" in shown and "ticket_confirm" in shown


async def test_a_follow_up_on_a_faq_answer_stays_on_its_topic(alice: Chat) -> None:
    await alice.say("is the activation lock bypass code case sensitive?")
    shown = texts(await alice.say("and if it's greyed out?"))
    assert "greyed out" in shown.lower() and "Host unreachable" not in shown
