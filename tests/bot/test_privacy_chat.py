"""Private answers: in a group chat or a channel, personal details go to the asker's 1:1 chat, never the channel."""

from __future__ import annotations

from intune.demo_tenant import DEMO_IDS
from tests.bot.conftest import Chat, FakeConnector, texts

CHANNEL = "19:helpdesk-team@thread.tacv2"
GROUP = "19:group-chat@thread.v2"


def _proactive_text(connector: FakeConnector) -> str:
    return texts([{"text": m.get("text"), "attachments": m.get("attachments")} for m in connector.messages()])


async def test_troubleshoot_in_a_channel_goes_to_the_agents_chat(agent: Chat, connector: FakeConnector) -> None:
    replies = await agent.say("<at>Helpdesk</at> can you troubleshoot alice martin", conversation=CHANNEL,
                              conv_type="channel", service_url=connector.url, locale="fr-FR")
    shown = texts(replies)
    assert "1:1" in shown
    assert "alice@contoso.com" not in shown and "DESKTOP-42QX7T1" not in shown and "SPE_E3" not in shown
    await connector.wait_for(lambda s: "alice@contoso.com" in str(s.body))
    created = [s for s in connector.sent if s.path == "/v3/conversations"]
    assert [m["aadObjectId"] for s in created for m in s.body["members"]] == [DEMO_IDS.helene]
    assert "alice@contoso.com" in _proactive_text(connector)
    assert all(s.conversation != CHANNEL for s in connector.sent if "alice@contoso.com" in str(s.body))


async def test_who_synced_in_a_channel_is_private(agent: Chat, connector: FakeConnector) -> None:
    replies = await agent.say("<at>Helpdesk</at> when was DESKTOP-42QX7T1 last synced and by whom?",
                              conversation=CHANNEL, conv_type="channel", service_url=connector.url)
    assert "1:1" in texts(replies) and "Alice Martin" not in texts(replies)
    await connector.wait_for(lambda s: "DESKTOP-42QX7T1" in str(s.body))


async def test_compliance_status_in_a_group_chat_goes_to_alice(alice: Chat, connector: FakeConnector) -> None:
    replies = await alice.say("<at>Helpdesk</at> is my ipad ok compliance-wise?", conversation=GROUP,
                              conv_type="groupChat", service_url=connector.url)
    shown = texts(replies)
    assert "1:1" in shown and "17.5" not in shown and "passcode" not in shown.lower()
    await connector.wait_for(lambda s: "Alice's iPad" in str(s.body))
    assert "In grace period" in _proactive_text(connector)


async def test_device_list_in_a_group_chat_in_french(client: object, connector: FakeConnector) -> None:
    bob = Chat(client, user=DEMO_IDS.bob, name="Bob Durand", locale="fr-FR", conversation=GROUP)  # type: ignore[arg-type]
    replies = await bob.say("<at>Helpdesk</at> liste de mes appareils stp", conv_type="groupChat",
                            service_url=connector.url)
    shown = texts(replies)
    assert "1:1" in shown and "Bob-Pixel8" not in shown and "Galaxy-S21-Bob" not in shown
    await connector.wait_for(lambda s: "Bob-Pixel8" in str(s.body))


async def test_sync_in_a_group_chat_lists_devices_privately(alice: Chat, connector: FakeConnector) -> None:
    replies = await alice.say("<at>Helpdesk</at> sync my device", conversation=GROUP, conv_type="groupChat",
                              service_url=connector.url)
    shown = texts(replies)
    assert "DESKTOP-42QX7T1" not in shown and "Alice's iPhone" not in shown
    await connector.wait_for(lambda s: "DESKTOP-42QX7T1" in str(s.body))


async def test_no_1to1_chat_means_no_details_anywhere(alice: Chat, connector: FakeConnector) -> None:
    connector.fail = True
    replies = await alice.say("<at>Helpdesk</at> is my ipad ok compliance-wise?", conversation=GROUP,
                              conv_type="groupChat", service_url=connector.url)
    shown = texts(replies)
    assert "Alice's iPad" not in shown and "personal" in shown


async def test_a_whole_sync_in_a_group_chat_stays_private(alice: Chat, connector: FakeConnector,
                                                          fake_graph: object) -> None:
    kw = {"conversation": GROUP, "conv_type": "groupChat", "service_url": connector.url}
    shown = texts(await alice.say("<at>Helpdesk</at> sync my device", **kw))
    shown += texts(await alice.say("<at>Helpdesk</at> 1", **kw))
    shown += texts(await alice.say("<at>Helpdesk</at> yes", **kw))
    assert "DESKTOP-42QX7T1" not in shown and "Sync requested" not in shown
    assert len(fake_graph.state.sync_calls) == 1  # type: ignore[attr-defined]
    done = await connector.wait_for(lambda s: "Update:" in str(s.body.get("text", "")))
    assert done and all(s.conversation != GROUP for s in done)
    assert all(s.conversation != GROUP for s in connector.sent if "DESKTOP-42QX7T1" in str(s.body))
