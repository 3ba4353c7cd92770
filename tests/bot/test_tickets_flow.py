"""Escalation to the helpdesk end to end: the real endpoint, the demo tenant's fake Graph, and a fake Teams connector
on loopback recording createConversation, new channel threads, messages and card updates."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.services import open_services
from bot.settings import Settings
from intune.demo_tenant import DEMO_IDS
from intune.fake_graph import FakeGraphServer
from storage import MemoryStore, Store
from storage.sqlite import SQLiteStore

from .conftest import Chat, teams_activity
from .conftest import texts as _texts
from .teams_connector import TeamsConnector

HELPDESK_CHANNEL = "19:helpdesk-channel@thread.tacv2"
ALICE, BOB, HELENE = DEMO_IDS.alice, DEMO_IDS.bob, DEMO_IDS.helene


def texts(replies: list[dict[str, Any]]) -> str:
    """What a user reads, with French typography (no-break spaces, ’) read as typed."""
    return _texts(replies).replace("\u202f", " ").replace("\u00a0", " ").replace("\u2019", "'")


class FlakyStore(MemoryStore):
    """Fails writes of ticket records (not the number counter) while ``failing`` is set."""

    failing = False

    async def put(self, key: str, value: Any, *, etag: str | None = None, ttl: float | None = None) -> str:
        if self.failing and key.startswith("tickets/") and key.rsplit("/", 1)[-1].isdigit():
            raise ConnectionError("store unreachable")
        return await super().put(key, value, etag=etag, ttl=ttl)


@pytest.fixture
async def connector() -> AsyncIterator[TeamsConnector]:
    fake = TeamsConnector()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
def store() -> Store:
    return FlakyStore()


class Teams:
    """People talking to the bot as Teams would send their activities (serviceUrl: the fake connector)."""

    def __init__(self, client: TestClient, connector: TeamsConnector) -> None:
        self.client = client
        self.connector = connector

    def chat(self, user: str, name: str, locale: str = "en-US", conversation: str | None = None) -> Chat:
        if conversation is None:  # their 1:1 chat with the bot: what the bot posts there reaches them
            conversation = f"a:{user}"
            self.connector.chats[conversation] = user
        return Chat(self.client, user=user, name=name, locale=locale, conversation=conversation)

    async def say(self, chat: Chat, text: str | None, **kw: Any) -> list[dict[str, Any]]:
        kw.setdefault("service_url", self.connector.url)
        return await chat.say(text, **kw)

    async def in_channel(self, user: str, name: str, text: str, *, locale: str = "en-US",
                         conversation: str = HELPDESK_CHANNEL) -> list[dict[str, Any]]:
        chat = self.chat(user, name, locale, conversation)
        return await chat.say(f"<at>Helpdesk</at> {text}", conv_type="channel", service_url=self.connector.url,
                              channelData={"tenant": {"id": DEMO_IDS.tenant}, "team": {"id": "19:team"},
                                           "channel": {"id": HELPDESK_CHANNEL, "name": "Helpdesk"}})

    async def execute(self, user: str, name: str, data: dict[str, Any], *, conversation: str,
                      conv_type: str = "channel", locale: str = "en-US") -> dict[str, Any]:
        """An Action.Execute click: the invoke's response body (the card that replaces the clicked one)."""
        invoke = teams_activity(activity_type="invoke", user=user, name=name, locale=locale,
                                conversation=conversation, conv_type=conv_type, service_url=self.connector.url,
                                value={"action": {"type": "Action.Execute", "verb": data.get("action"),
                                                  "data": data}})
        invoke["name"] = "adaptiveCard/action"
        invoke.pop("deliveryMode")
        resp = await self.client.post("/api/messages", json=invoke)
        assert resp.status == 200, await resp.text()
        return await resp.json()


@pytest.fixture
async def teams(client: TestClient, connector: TeamsConnector) -> Teams:
    return Teams(client, connector)


def buttons(card_or_replies: Any) -> dict[str, dict[str, Any]]:
    """Every Action.* in a card (or replies) by title."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action.") and node.get("title"):
                found[node["title"]] = node
            for k, v in node.items():
                if k != "refresh":  # the card's own refresh is no button anyone sees
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card_or_replies)
    return found


def card_text(card: dict[str, Any]) -> str:
    return texts([{"attachments": [{"content": card}]}])


async def _set_channel(teams: Teams, locale: str = "en-US") -> None:
    replies = await teams.in_channel(HELENE, "Hélène Support", "use this channel for tickets" if locale == "en-US"
                                     else "utilise ce canal pour les tickets", locale=locale)
    assert "tickets will be posted in this channel" in texts(replies) or "canal" in texts(replies)


# ----------------------------------------------------------------------------------------------- the whole flow


async def test_whole_flow_in_english(teams: Teams, connector: TeamsConnector, store: Store) -> None:
    await _set_channel(teams)
    alice = teams.chat(ALICE, "Alice Martin")
    asked = texts(await teams.say(alice, "I need to talk to someone"))
    assert "what's the problem" in asked
    summary = await teams.say(alice, "Outlook on my iPhone asks me to sign in every 5 minutes")
    assert "Send this to the helpdesk?" in texts(summary)
    assert "Outlook on my iPhone" in texts(summary) and "Alice's iPhone" in texts(summary)
    assert connector.threads() == []  # nothing leaves before the requester confirms
    created = await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"])
    assert "Ticket #1 sent to the helpdesk" in texts(created)

    [thread] = connector.threads()
    channel_card = thread.text
    assert thread.conversation.startswith(HELPDESK_CHANNEL + ";messageid=")
    for expected in ("Ticket #1 — Open", "Alice Martin (alice@contoso.com)", "Outlook on my iPhone",
                     "DESKTOP-42QX7T1", "opened by Alice Martin"):
        assert expected in channel_card
    card = thread.activity["attachments"][0]["content"]
    assert card["refresh"]["action"]["verb"] == "ticket_refresh" and card["version"] == "1.5"
    chat_link = buttons(card)["Chat with Alice Martin"]
    assert chat_link["url"] == "https://teams.microsoft.com/l/chat/0/0?users=alice@contoso.com"

    assign = buttons(card)["Assign to me"]["data"]
    after_assign = await teams.execute(HELENE, "Hélène Support", assign, conversation=thread.conversation)
    assigned_card = after_assign["value"]
    assert "Ticket #1 — Assigned" in card_text(assigned_card) and "Hélène Support" in card_text(assigned_card)
    assert "Assign to me" not in buttons(assigned_card)
    [update] = connector.updates()
    assert update.conversation == thread.conversation and update.activity_id == thread.activity_id
    assert "taken by Hélène Support" in update.text
    [told] = connector.to_user(ALICE)
    assert "Hélène Support is taking care of your ticket #1" in told.text

    resolve = {**buttons(assigned_card)["Resolve"]["data"], "note": "Re-added your mail profile."}
    resolved = await teams.execute(HELENE, "Hélène Support", resolve, conversation=thread.conversation)
    assert "Ticket #1 — Resolved" in card_text(resolved["value"])
    assert "Re-added your mail profile." in connector.updates()[-1].text
    told = connector.to_user(ALICE)[-1]
    assert "resolved by Hélène Support" in told.text and "Re-added your mail profile." in told.text

    reopen = buttons(told.activity)["Reopen the ticket"]["data"]
    reopened = await teams.execute(ALICE, "Alice Martin", reopen, conversation=alice.conversation,
                                   conv_type="personal")
    assert "Ticket #1 — Assigned" in card_text(reopened["value"])
    assert "reopened by Alice Martin" in connector.updates()[-1].text
    mine = texts(await teams.say(alice, "my tickets"))
    assert "#1" in mine and "taken by Hélène Support" in mine

    audit = [e for e in await store.read_log("audit") if str(e.get("action", "")).startswith("ticket_")]
    assert [e["action"] for e in audit] == ["ticket_channel", "ticket_created", "ticket_assigned",
                                            "ticket_resolved", "ticket_reopened"]


async def test_whole_flow_in_french(teams: Teams, connector: TeamsConnector) -> None:
    await _set_channel(teams, locale="fr-FR")
    bob = teams.chat(BOB, "Bob Durand", locale="fr-FR")
    summary = texts(await teams.say(bob, "je voudrais parler à un technicien, mon galaxy est bloqué depuis ce matin"))
    assert "Envoyer ceci au support ?" in summary and "galaxy est bloqué" in summary
    created = texts(await teams.say(bob, "oui, envoie"))
    assert "Ticket n° 1 envoyé au support" in created
    [thread] = connector.threads()
    assert "Ticket n° 1 — Ouvert" in thread.text and "Bob Durand" in thread.text  # the helpdesk's language
    card = thread.activity["attachments"][0]["content"]
    after = await teams.execute(HELENE, "Hélène Support", buttons(card)["Prendre en charge"]["data"],
                                conversation=thread.conversation, locale="fr-FR")
    assert "Attribué" in card_text(after["value"])
    [told] = connector.to_user(BOB)
    assert "Hélène Support s'occupe de votre ticket n° 1" in told.text
    status = texts(await teams.say(bob, "où en est ma demande ?"))
    assert "pris en charge par Hélène Support" in status
    resolve = {**buttons(after["value"])["Marquer comme résolu"]["data"], "note": "Appareil réinitialisé."}
    await teams.execute(HELENE, "Hélène Support", resolve, conversation=thread.conversation, locale="fr-FR")
    told = connector.to_user(BOB)[-1]
    assert "résolu par Hélène Support" in told.text and "Appareil réinitialisé." in told.text


async def test_the_summary_uses_the_unanswered_question_and_codes(teams: Teams, connector: TeamsConnector) -> None:
    await _set_channel(teams)
    alice = teams.chat(ALICE, "Alice Martin")
    unknown = await teams.say(alice, "got 0x87D1ABCE on my laptop")
    ask = buttons(unknown).get("Ask the helpdesk")
    assert ask is not None, texts(unknown)
    summary = await teams.say(alice, None, value=ask["data"])
    assert "got 0x87D1ABCE on my laptop" in texts(summary)  # no question asked: the conversation said it all
    assert "0x87D1ABCE (-2016302130)" in texts(summary)
    await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"])
    assert "0x87D1ABCE (-2016302130)" in connector.threads()[0].text


async def test_asking_for_a_person_after_no_answer_sends_that_question(teams: Teams,
                                                                       connector: TeamsConnector) -> None:
    await _set_channel(teams)
    alice = teams.chat(ALICE, "Alice Martin")
    await teams.say(alice, "outlook on my iphone keeps asking me to sign in every 5 minutes")
    summary = await teams.say(alice, "can I talk to a real person about this?")
    assert "outlook on my iphone keeps asking me to sign in every 5 minutes" in texts(summary)
    created = texts(await teams.say(alice, "yes"))
    assert "Ticket #1 sent to the helpdesk" in created
    assert "outlook on my iphone keeps asking" in connector.threads()[0].text
    assert "Sorry" not in texts(await teams.say(alice, "thanks"))


# ----------------------------------------------------------------------------------------------- refusals


async def _one_ticket(teams: Teams, connector: TeamsConnector) -> tuple[Chat, dict[str, Any], str]:
    await _set_channel(teams)
    alice = teams.chat(ALICE, "Alice Martin")
    summary = await teams.say(alice, "please open a ticket, my iPad can't get mail since the update")
    await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"])
    thread = connector.threads()[-1]
    return alice, thread.activity["attachments"][0]["content"], thread.conversation


async def test_forged_and_stale_card_data_is_refused(teams: Teams, connector: TeamsConnector,
                                                     store: Store) -> None:
    _, card, thread = await _one_ticket(teams, connector)
    assign = buttons(card)["Assign to me"]["data"]
    # A non-agent clicking Assign (in the channel, or with the data copied into their own chat).
    refused = await teams.execute(BOB, "Bob Durand", assign, conversation=thread)
    assert "Only helpdesk agents can act on this ticket." in card_text(refused["value"])
    assert buttons(refused["value"]) == {}
    # Another requester's ticket, from outside its thread: refused without showing it.
    forged = await teams.execute(BOB, "Bob Durand", {"action": "ticket_reopen", "ticket": "1", "rev": "1"},
                                 conversation="a:bob", conv_type="personal")
    assert "can't find ticket #1" in card_text(forged["value"])
    assert "iPad" not in json.dumps(forged)
    shown = texts(await teams.say(teams.chat(BOB, "Bob Durand"), "ticket 1"))
    assert "can't find ticket #1" in shown and "iPad" not in shown
    # A stale card: resolved, reopened, then "Resolve" clicked on the first card.
    resolve = buttons(card)["Resolve"]["data"]
    first = await teams.execute(HELENE, "Hélène Support", resolve, conversation=thread)
    assert "Resolved" in card_text(first["value"])
    reopen = buttons(first["value"])["Reopen"]["data"]
    await teams.execute(HELENE, "Hélène Support", reopen, conversation=thread)
    stale = await teams.execute(HELENE, "Hélène Support", resolve, conversation=thread)
    assert "This card was out of date" in card_text(stale["value"])
    record = (await store.get(f"tickets/{DEMO_IDS.tenant}/1")).value
    assert record["state"] == "assigned"
    assert [e["event"] for e in record["history"]] == ["created", "resolved", "reopened"]


async def test_assign_clicked_four_times_at_once_assigns_once(teams: Teams, connector: TeamsConnector, store: Store) -> None:
    _, card, thread = await _one_ticket(teams, connector)
    assign = buttons(card)["Assign to me"]["data"]
    results = await asyncio.gather(*(teams.execute(HELENE, "Hélène Support", assign, conversation=thread)
                                     for _ in range(4)))
    assert all("Hélène Support" in card_text(r["value"]) for r in results)
    record = (await store.get(f"tickets/{DEMO_IDS.tenant}/1")).value
    assert [e["event"] for e in record["history"]].count("assigned") == 1
    assert len(connector.to_user(ALICE)) == 1  # one "taking care of it" message, not four


async def test_only_agents_choose_the_channel(teams: Teams, connector: TeamsConnector) -> None:
    refused = texts(await teams.in_channel(ALICE, "Alice Martin", "use this channel for tickets"))
    assert "Only helpdesk agents" in refused
    alice = teams.chat(ALICE, "Alice Martin")
    summary = await teams.say(alice, "open a ticket: my PC shows a compliance error")
    await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"])
    assert connector.threads() == []


async def test_a_store_failure_leaves_nothing_half_done(teams: Teams, connector: TeamsConnector,
                                                        store: FlakyStore) -> None:
    await _set_channel(teams)
    alice = teams.chat(ALICE, "Alice Martin")
    summary = await teams.say(alice, "open a ticket: my iPhone keeps losing the VPN profile")
    store.failing = True
    failed = await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"])
    assert "Your ticket was not sent" in texts(failed)
    assert connector.threads() == [] and connector.to_user(ALICE) == []
    assert "no tickets" in texts(await teams.say(alice, "my tickets"))
    assert not [e for e in await store.read_log("audit") if e.get("action") == "ticket_created"]
    store.failing = False
    retried = await teams.say(alice, None, value=buttons(failed)["Try again"]["data"])
    assert "sent to the helpdesk" in texts(retried)
    assert len(connector.threads()) == 1
    again = texts(await teams.say(alice, None, value={"action": "ticket_confirm"}))
    assert "already sent" in again and len(connector.threads()) == 1  # a double click creates one ticket


# ----------------------------------------------------------------------------------------------- around the flow


async def test_without_a_channel_the_ticket_is_recorded_and_the_contact_given(
        fake_graph: FakeGraphServer, connector: TeamsConnector) -> None:
    settings = Settings(storage_url="memory://", helpdesk_group_ids=(DEMO_IDS.helpdesk_group,),
                        helpdesk_contact="helpdesk@contoso.com, +33 1 23 45 67 89 (8:00-18:00)")
    services = await open_services(settings, store=MemoryStore(), graph_base_url=fake_graph.base_url)
    async with TestClient(TestServer(create_app(settings, services=services))) as client:
        teams = Teams(client, connector)
        alice = teams.chat(ALICE, "Alice Martin")
        number = texts(await teams.say(alice, "what's the helpdesk phone number?"))
        assert "+33 1 23 45 67 89" in number
        summary = await teams.say(alice, "open a ticket: Teams crashes on my PC")
        done = texts(await teams.say(alice, "yes"))
        assert "ticket #1" in done and "+33 1 23 45 67 89" in done
        assert "Send this" in texts(summary) and connector.threads() == []
        agent = texts(await teams.say(teams.chat(HELENE, "Hélène Support"), "open tickets"))
        assert "#1" in agent and "Alice Martin" in agent and "Teams crashes" in agent
    await services.close()


async def test_with_neither_channel_nor_contact_the_bot_says_so(teams: Teams, connector: TeamsConnector) -> None:
    alice = teams.chat(ALICE, "Alice Martin")
    await teams.say(alice, "open a ticket: Teams crashes on my PC")
    done = texts(await teams.say(alice, "yes"))
    assert "ticket #1" in done and "nobody was notified" in done and "don't have other contact details" in done


async def test_group_chats_never_see_ticket_content(teams: Teams, connector: TeamsConnector) -> None:
    await _set_channel(teams)
    group = teams.chat(ALICE, "Alice Martin", conversation="19:group@thread.v2")
    replies = await teams.say(group, "<at>Helpdesk</at> get me a human, my Galaxy is blocked since this morning",
                              conv_type="groupChat")
    assert "private message" in texts(replies) and "Galaxy" not in texts(replies)
    [private] = connector.to_user(ALICE)
    assert "Galaxy" in private.text
    summary_button = buttons(private.activity)["Send to the helpdesk"]["data"]
    await teams.say(teams.chat(ALICE, "Alice Martin"), None, value=summary_button)
    assert "Galaxy" in connector.threads()[0].text
    listed = await teams.say(group, "<at>Helpdesk</at> my tickets", conv_type="groupChat")
    assert "Galaxy" not in texts(listed) and "Galaxy" in connector.to_user(ALICE)[-1].text


async def test_an_agent_opens_a_ticket_for_someone_else(teams: Teams, connector: TeamsConnector) -> None:
    await _set_channel(teams, locale="fr-FR")
    helene = teams.chat(HELENE, "Hélène Support", locale="fr-FR")
    summary = texts(await teams.say(helene, "ouvre un ticket pour Bob, son galaxy est bloqué"))
    assert "Bob Durand" in summary and "son galaxy est bloqué" in summary
    done = texts(await teams.say(helene, "oui"))
    assert "Ticket n° 1 ouvert pour Bob Durand" in done
    channel_card = connector.threads()[0].text
    assert "Bob Durand (bob@contoso.com)" in channel_card and "Hélène Support" in channel_card
    assert "Ticket n° 1 envoyé au support" in connector.to_user(BOB)[0].text
    refused = texts(await teams.say(teams.chat(ALICE, "Alice Martin"), "open a ticket for Bob: his phone is dead"))
    assert "Only helpdesk agents can open a ticket for someone else" in refused


async def test_agents_list_and_show_tickets_in_chat(teams: Teams, connector: TeamsConnector) -> None:
    await _one_ticket(teams, connector)
    helene = teams.chat(HELENE, "Hélène Support")
    listed = await teams.say(helene, "any open tickets?")
    assert "Alice Martin" in texts(listed) and "iPad" in texts(listed)
    shown = await teams.say(helene, None, value=buttons(listed)["#1 Alice Martin"]["data"])
    assert "Assign to me" in buttons(shown)
    assert "Only helpdesk agents can see the open tickets" in texts(
        await teams.say(teams.chat(BOB, "Bob Durand"), "open tickets"))


async def test_refresh_gives_each_viewer_their_buttons(teams: Teams, connector: TeamsConnector) -> None:
    _, card, thread = await _one_ticket(teams, connector)
    refresh = card["refresh"]["action"]["data"]
    agent_view = await teams.execute(HELENE, "Hélène Support", refresh, conversation=thread)
    assert {"Assign to me", "Resolve"} <= set(buttons(agent_view["value"]))
    member_view = await teams.execute(BOB, "Bob Durand", refresh, conversation=thread)
    assert set(buttons(member_view["value"])) == set()  # a team member who is no agent: no buttons
    outside = await teams.execute(BOB, "Bob Durand", refresh, conversation="a:bob", conv_type="personal")
    assert "iPad" not in json.dumps(outside)


async def test_tickets_survive_a_restart_and_show_in_the_audit_cli(fake_graph: FakeGraphServer,
                                                                   connector: TeamsConnector,
                                                                   tmp_path: Path) -> None:
    db = tmp_path / "helpdesk.sqlite3"
    settings = Settings(storage_url=f"sqlite:///{db}", helpdesk_group_ids=(DEMO_IDS.helpdesk_group,))
    for run in range(2):
        services = await open_services(settings, store=SQLiteStore(str(db)), graph_base_url=fake_graph.base_url)
        async with TestClient(TestServer(create_app(settings, services=services))) as client:
            teams = Teams(client, connector)
            alice = teams.chat(ALICE, "Alice Martin")
            if run == 0:
                await teams.say(alice, "open a ticket: my Mac lost its Wi-Fi profile")
                assert "ticket #1" in texts(await teams.say(alice, "yes"))
            else:
                assert "Wi-Fi profile" in texts(await teams.say(alice, "my tickets"))
        await services.close()
    env = {**os.environ, "STORAGE_URL": f"sqlite:///{db}"}
    out = subprocess.run([sys.executable, "-m", "bot", "audit", "--json"], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["action"] for e in events] == ["ticket_created"]
    assert events[0]["ticket"] == 1 and events[0]["requester_name"] == "Alice Martin"
    text = subprocess.run([sys.executable, "-m", "bot", "audit"], env=env, capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert "created ticket #1 (Alice Martin)" in text


async def test_asked_in_a_group_chat_the_description_is_typed_in_private(teams: Teams,
                                                                         connector: TeamsConnector) -> None:
    await _set_channel(teams)
    group = teams.chat(BOB, "Bob Durand", conversation="19:group-2@thread.v2", locale="fr-FR")
    replies = await teams.say(group, "<at>Helpdesk</at> je veux parler à quelqu'un", conv_type="groupChat")
    assert "message privé" in texts(replies)
    [ask] = connector.to_user(BOB)
    card = ask.activity["attachments"][0]["content"]
    assert any(item.get("type") == "Input.Text" and item.get("id") == "description" for item in card["body"])
    bob = teams.chat(BOB, "Bob Durand", locale="fr-FR")
    typed = {**buttons(card)["Continuer"]["data"], "description": "Mon Galaxy ne reçoit plus les mails"}
    summary = await teams.say(bob, None, value=typed)
    assert "Mon Galaxy ne reçoit plus les mails" in texts(summary)
    await teams.say(bob, None, value=buttons(summary)["Envoyer au support"]["data"])
    assert "Mon Galaxy ne reçoit plus les mails" in connector.threads()[0].text
    assert "Galaxy" not in texts(replies)


async def test_a_failed_sync_offers_the_helpdesk_with_the_device(teams: Teams, connector: TeamsConnector,
                                                                 fake_graph: FakeGraphServer) -> None:
    from intune.fake_graph import Fault

    from .conftest import action_data

    await _set_channel(teams)
    fake_graph.state.faults.add("POST */syncDevice", Fault.forbidden())
    alice = teams.chat(ALICE, "Alice Martin")
    picked = await teams.say(alice, None, value={"action": "sync_pick", "device_id": DEMO_IDS.alice_pc})
    [confirm] = action_data(picked, "sync_confirm")
    failed = await teams.say(alice, None, value=confirm)
    ask = buttons(failed).get("Ask the helpdesk")
    assert ask is not None, texts(failed)
    summary = await teams.say(alice, None, value=ask["data"])
    assert "Device: DESKTOP-42QX7T1" in texts(summary)
    await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"])
    assert "Device: DESKTOP-42QX7T1" in connector.threads()[0].text


def test_helpdesk_contact_comes_from_the_environment() -> None:
    assert Settings.from_env({}).helpdesk_contact == ""
    settings = Settings.from_env({"HELPDESK_CONTACT": "  helpdesk@contoso.com,\n +33 1 23 45 67 89  "})
    assert settings.helpdesk_contact == "helpdesk@contoso.com, +33 1 23 45 67 89"


async def test_agents_act_on_tickets_by_typing(teams: Teams, connector: TeamsConnector) -> None:
    await _one_ticket(teams, connector)
    helene = teams.chat(HELENE, "Hélène Support", locale="fr-FR")
    taken = texts(await teams.say(helene, "je prends le ticket 1"))
    assert "Ticket n° 1 — Attribué" in taken
    assert "Hélène Support is taking care of your ticket #1" in connector.to_user(ALICE)[-1].text
    closed = texts(await teams.say(helene, "ferme le ticket 1 : profil de messagerie réinstallé"))
    assert "Ticket n° 1 — Résolu" in closed
    assert "Their note: profil de messagerie réinstallé" in connector.to_user(ALICE)[-1].text  # her language
    assert "resolved by Hélène Support — profil de messagerie réinstallé" in connector.updates()[-1].text
    bob = teams.chat(BOB, "Bob Durand")
    assert "Only helpdesk agents can act on this ticket." not in texts(await teams.say(bob, "close ticket 1"))
    assert "can't find ticket #1" in texts(await teams.say(bob, "close ticket 1"))
    assert "Ticket #1 — Assigned" in texts(await teams.say(teams.chat(ALICE, "Alice Martin"), "reopen ticket 1"))


async def test_after_an_answer_that_did_not_help_the_summary_says_which(teams: Teams,
                                                                        connector: TeamsConnector) -> None:
    await _set_channel(teams)
    alice = teams.chat(ALICE, "Alice Martin")
    await teams.say(alice, "0x87D1FDE8")
    summary = await teams.say(alice, "that didn't help, get me a human")
    assert "The bot's answer did not help: Remediation failed" in texts(summary)
    send = {**buttons(summary)["Send to the helpdesk"]["data"], "details": "Happens on my iPad since Monday"}
    await teams.say(alice, None, value=send)
    card = connector.threads()[0].text
    assert "Happens on my iPad since Monday" in card and "Remediation failed" in card


async def test_a_stale_1to1_chat_is_created_again(teams: Teams, connector: TeamsConnector, store: Store) -> None:
    """The requester's stored chat no longer takes messages (app reinstalled): the notice still reaches them."""
    alice, card, thread = await _one_ticket(teams, connector)
    stale = (await store.get(f"convref/user/{ALICE}")).value
    stale["serviceUrl"] = "http://127.0.0.1:9/"  # nothing listens there
    await store.put(f"convref/user/{ALICE}", stale)
    await teams.execute(HELENE, "Hélène Support", buttons(card)["Assign to me"]["data"], conversation=thread)
    told = connector.to_user(ALICE)[-1]
    assert "taking care of your ticket #1" in told.text and told.conversation != alice.conversation
    assert (await store.get(f"convref/user/{ALICE}")).value["serviceUrl"] == connector.url


async def test_the_channel_is_changed_the_same_way(teams: Teams, connector: TeamsConnector) -> None:
    await _set_channel(teams)
    other = "19:other-helpdesk@thread.tacv2"
    chat = teams.chat(HELENE, "Hélène Support", conversation=other + ";messageid=42")
    await chat.say("<at>Helpdesk</at> post new tickets here", conv_type="channel", service_url=connector.url,
                   channelData={"tenant": {"id": DEMO_IDS.tenant}, "channel": {"id": other, "name": "Tier 2"}})
    alice = teams.chat(ALICE, "Alice Martin")
    summary = await teams.say(alice, "open a ticket: Defender flags my PC as at risk")
    await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"])
    [thread] = connector.threads()
    assert thread.conversation.startswith(other + ";messageid=")


async def test_when_the_channel_cannot_be_reached_the_ticket_is_kept_and_the_user_told(
        teams: Teams, connector: TeamsConnector) -> None:
    await _set_channel(teams)
    alice = teams.chat(ALICE, "Alice Martin")
    summary = await teams.say(alice, "open a ticket: my iPad is stuck on 'Installing apps'")
    connector.fail = True  # Teams is down for the bot
    done = texts(await teams.say(alice, None, value=buttons(summary)["Send to the helpdesk"]["data"]))
    assert "recorded as ticket #1, but I couldn't post it to the helpdesk channel" in done
    connector.fail = False
    listed = texts(await teams.say(teams.chat(HELENE, "Hélène Support"), "open tickets"))
    assert "#1" in listed and "Installing apps" in listed
