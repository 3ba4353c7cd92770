"""Proactive delivery against a fake Teams connector: 1:1 chats, stored conversations, channel threads, updates."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.app import RUNTIME
from dialogs.messenger import USER_REFERENCE, Messenger
from intune.demo_tenant import DEMO_IDS
from storage import Store
from tests.bot.conftest import Chat, FakeConnector, teams_activity


def _context(client: TestClient, connector: FakeConnector, **kw: object) -> TurnContext:
    adapter = client.app[RUNTIME].adapter
    activity = Activity().deserialize(teams_activity("hi", service_url=connector.url, **kw))  # type: ignore[arg-type]
    return TurnContext(adapter, activity)


async def test_a_new_one_to_one_chat_is_created_then_reused(client: TestClient, connector: FakeConnector,
                                                             store: Store) -> None:
    messenger = Messenger(client.app[RUNTIME].adapter, store)
    context = _context(client, connector, conversation="19:group@thread.v2", conv_type="groupChat")
    assert await messenger.to_user(context, DEMO_IDS.bob, "Your ticket #1 was assigned.")
    created = [s for s in connector.sent if s.path == "/v3/conversations"]
    assert len(created) == 1
    assert created[0].body["members"][0]["aadObjectId"] == DEMO_IDS.bob
    assert created[0].body["channelData"]["tenant"]["id"] == DEMO_IDS.tenant
    first = connector.messages("a:proactive-")
    assert first and first[-1]["text"] == "Your ticket #1 was assigned."
    assert await store.get(USER_REFERENCE.format(aad=DEMO_IDS.bob)) is not None
    assert await messenger.to_user(context, DEMO_IDS.bob, "Resolved.")
    assert len([s for s in connector.sent if s.path == "/v3/conversations"]) == 1, "the chat is reused"
    assert connector.messages("a:proactive-")[-1]["text"] == "Resolved."
    messenger.close()


async def test_a_user_who_wrote_in_personal_chat_is_answered_there(client: TestClient, connector: FakeConnector,
                                                                    store: Store) -> None:
    chat = Chat(client, conversation="a:alice-own-chat")
    await chat.say("hello", service_url=connector.url)
    messenger = Messenger(client.app[RUNTIME].adapter, store)
    assert await messenger.to_user(None, DEMO_IDS.alice, "Done.")
    assert [s.conversation for s in connector.sent if s.body.get("text") == "Done."] == ["a:alice-own-chat"]
    messenger.close()


async def test_a_channel_thread_is_started_and_its_card_updated(client: TestClient, connector: FakeConnector,
                                                                store: Store) -> None:
    messenger = Messenger(client.app[RUNTIME].adapter, store)
    context = _context(client, connector, conversation="19:helpdesk@thread.tacv2", conv_type="channel")
    channel = TurnContext.get_conversation_reference(context.activity).serialize()
    thread = await messenger.new_thread(channel, "Ticket #3")
    assert thread is not None
    conversation, activity_id = thread
    assert conversation.startswith("19:helpdesk@thread.tacv2;messageid=")
    assert await messenger.update({**channel, "conversation": {**channel["conversation"], "id": conversation}},
                                  activity_id, "Ticket #3 — assigned")
    assert [s.method for s in connector.sent if s.conversation == conversation][-1] == "PUT"
    messenger.close()


async def test_a_dead_connector_is_a_false_not_an_exception(client: TestClient, connector: FakeConnector,
                                                            store: Store) -> None:
    connector.fail = True
    messenger = Messenger(client.app[RUNTIME].adapter, store)
    context = _context(client, connector, conversation="19:group@thread.v2", conv_type="groupChat")
    assert await messenger.to_user(context, DEMO_IDS.chloe, "hello") is False
    assert await store.get(USER_REFERENCE.format(aad=DEMO_IDS.chloe)) is None
    messenger.close()
