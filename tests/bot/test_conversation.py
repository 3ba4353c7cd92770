"""Whole conversations over HTTP, in English and French, as a Teams user would have them."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from storage import Store
from tests.bot.conftest import Chat, action_data, teams_activity, texts


async def test_code_answered_with_code_hex_meaning_and_what_to_do(alice: Chat) -> None:
    replies = await alice.say("what is -2016281112?")
    shown = texts(replies)
    assert "-2016281112" in shown and "0x87D1FDE8" in shown
    assert "Remediation failed" in shown
    assert "What to do" in shown


async def test_french_user_gets_french_answer(alice: Chat) -> None:
    replies = await alice.say("j'ai le code 0x87D1FDE8", locale="fr-FR")
    shown = texts(replies)
    assert "0x87D1FDE8" in shown
    assert "Que faire" in shown
    assert "What to do" not in shown


async def test_canadian_french_locale_is_french(alice: Chat) -> None:
    replies = await alice.say("aide", locale="fr-CA")
    assert "Essayez" in texts(replies)


async def test_pasted_message_with_typos(alice: Chat) -> None:
    replies = await alice.say("my iPad says: Profile not manged")
    assert "-2016324099" in texts(replies)


async def test_several_codes_give_one_answer_each(alice: Chat) -> None:
    replies = await alice.say("log: 0x87D1FDE8 then -2016324099 again")
    shown = texts(replies)
    assert "-2016281112" in shown and "-2016324099" in shown


async def test_unknown_code_is_not_guessed(alice: Chat) -> None:
    replies = await alice.say("0x87D1C09B cannot install APN")
    shown = texts(replies)
    assert "I don't know this code" in shown
    assert "-2016296805" in shown
    assert "APN" not in shown.replace("0x87D1C09B cannot install APN", "")


async def test_faq_answer_with_source_link_and_related_questions(alice: Chat) -> None:
    replies = await alice.say("is the activation lock bypass code case sensitive?")
    shown = texts(replies)
    assert "dash" in shown.lower()
    links = [a for r in replies for att in r.get("attachments", []) for a in att["content"].get("actions", [])
             if a.get("type") == "Action.OpenUrl"]
    assert links and links[0]["url"].startswith("https://learn.microsoft.com")
    related = action_data(replies, "show")
    assert 1 <= len(related) <= 3
    follow_up = await alice.click(related[0])
    assert texts(follow_up) and texts(follow_up) != shown


async def test_did_you_mean_then_choose_by_number(alice: Chat) -> None:
    replies = await alice.say("certificate")
    shown = texts(replies)
    assert "Did you mean" in shown
    options = action_data(replies, "show")
    assert options and any(a.get("action") == "none" for a in action_data(replies, "none"))
    chosen = await alice.say("1")
    assert options[0]["id"] in texts(chosen) or texts(chosen)
    assert "Did you mean" not in texts(chosen)


async def test_did_you_mean_none_of_these(alice: Chat) -> None:
    await alice.say("certificate")
    replies = await alice.click({"action": "none"})
    assert "rephrasing" in texts(replies)


async def test_language_switch_is_remembered(alice: Chat) -> None:
    replies = await alice.say("en français")
    assert "français" in texts(replies)
    replies = await alice.say("0x87D1FDE8")
    assert "Que faire" in texts(replies)
    replies = await alice.say("English please")
    assert "English" in texts(replies)
    replies = await alice.say("0x87D1FDE8")
    assert "What to do" in texts(replies)


async def test_mention_removed_in_group_chat(alice: Chat) -> None:
    replies = await alice.say("<at>Intune Helpdesk</at> 0x87D1FDE8", conversation="group-1",
                              conv_type="groupChat",
                              entities=[{"type": "mention", "text": "<at>Intune Helpdesk</at>",
                                         "mentioned": {"id": "28:bot-id", "name": "Intune Helpdesk"}}])
    assert "0x87D1FDE8" in texts(replies)


async def test_huge_message_answers_its_start_and_says_so(alice: Chat) -> None:
    replies = await alice.say("0x87D1FDE8 " + "x" * 100_000)
    shown = texts(replies)
    assert "0x87D1FDE8" in shown
    assert "only its beginning" in shown


async def test_attachment_only_message_gets_polite_answer(alice: Chat) -> None:
    replies = await alice.say(None, attachments=[{"contentType": "image/png", "contentUrl": "https://x/y.png"}])
    shown = texts(replies)
    assert "can't read images" in shown and "error code" in shown


async def test_welcome_card_when_bot_added(client: TestClient) -> None:
    chat = Chat(client)
    activity = teams_activity(activity_type="conversationUpdate", conversation="team-1", conv_type="channel",
                              membersAdded=[{"id": "28:bot-id"}])
    replies = await chat.post(activity)
    assert "Intune helpdesk bot" in texts(replies)


async def test_feedback_is_recorded_with_answer_id(alice: Chat, store: Store) -> None:
    replies = await alice.say("0x87D1FDE8")
    like = next(d for d in action_data(replies, "feedback") if d["reaction"] == "like")
    await alice.click(like)
    log = await store.read_log("feedback")
    assert log and log[-1]["answer"] == "error:-2016281112" and log[-1]["reaction"] == "like"


async def test_teams_native_feedback_invoke(alice: Chat, store: Store) -> None:
    activity = teams_activity(activity_type="invoke", replyToId="reply-9",
                              value={"actionName": "feedback", "actionValue": {"reaction": "dislike"}})
    activity["name"] = "message/submitAction"
    resp = await alice.client.post("/api/messages", json=activity)
    assert resp.status == 200
    assert (await store.read_log("feedback"))[-1]["reaction"] == "dislike"


async def test_stale_button_gets_clear_answer(alice: Chat) -> None:
    replies = await alice.click({"action": "show", "kind": "faq", "id": "no-such-entry"})
    assert "no longer available" in texts(replies)
    replies = await alice.click({"action": "mystery"})
    assert "out of date" in texts(replies)


async def test_one_message_shared_by_several_codes_says_so(alice: Chat) -> None:
    shown = texts(await alice.say("impossible de creer le compte", locale="fr-FR"))
    assert "Ce message correspond à 4 codes Intune" in shown
    assert "-2016315108" in shown and "-2016319112" in shown
