"""Answers for who is asking: the same code gives an end user their steps and an agent the admin steps."""

from __future__ import annotations

from dataclasses import replace

from knowledge import KnowledgeBase
from knowledge.models import EnrollmentEntry, ErrorEntry, FaqEntry
from presentation import cards
from presentation.i18n import Translator
from tests.bot.conftest import Chat, card_actions, texts

ADMIN_ONLY_EN = ("NDES", "certificate connector", "escalate")
ADMIN_ONLY_FR = ("NDES", "connecteur de certificats", "escaladez")


async def test_end_user_and_agent_get_different_steps_for_0x87d1fde8_in_english(alice: Chat, agent: Chat) -> None:
    user = texts(await alice.say("0x87d1fde8"))
    assert "Remediation failed" in user and "-2016281112" in user
    assert not any(word in user for word in ADMIN_ONLY_EN), user
    staff = texts(await agent.say("0x87d1fde8"))
    assert "Remediation failed" in staff
    assert "NDES" in staff and "certificate connector" in staff  # the admin steps


async def test_end_user_and_agent_get_different_steps_for_0x87d1fde8_in_french(alice: Chat, agent: Chat) -> None:
    user = texts(await alice.say("j'ai le code 0x87D1FDE8", locale="fr-FR"))
    assert "Échec de la correction" in user or "ÉCHEC" in user.upper()
    assert not any(word in user for word in ADMIN_ONLY_FR), user
    staff = texts(await agent.say("j'ai le code 0x87D1FDE8", locale="fr-FR"))
    assert "NDES" in staff and "connecteur de certificats" in staff


def test_where_only_admin_steps_exist_users_are_sent_to_their_it_team() -> None:
    kb = KnowledgeBase.from_dir()
    error = next(e for e in kb.errors.values() if e.family)
    # An error of a family with no end-user text, an enrollment failure and an admin FAQ entry without user text.
    bare_error = replace(error, id="test-admin-only", family="test-no-family",
                         texts={k: replace(v, **({"user_what_to_do": None} if hasattr(v, "user_what_to_do") else {}))
                                for k, v in error.texts.items()})
    enrollment = next(iter(kb.enrollment.values()))
    bare_enrollment = replace(enrollment, id="test-admin-only", texts={
        k: replace(v, **({"user_remediation": None} if hasattr(v, "user_remediation") else {}))
        for k, v in enrollment.texts.items()})
    for lang, expected in (("en", "Your IT team needs to do this"), ("fr", "équipe informatique")):
        t = Translator(lang)
        for entry in (bare_error, bare_enrollment):
            assert cards.user_steps(entry, kb, lang) is None
            card = cards.entry_card(entry, kb, t, audience=cards.USER)
            shown = texts([{"attachments": [{"content": card}]}])
            assert expected in shown, (lang, entry.id)
            assert any(a.get("data", {}).get("action") == "ticket_start" for a in card.get("actions", []))
            admin = texts([{"attachments": [{"content": cards.entry_card(entry, kb, t, audience=cards.AGENT)}]}])
            assert expected not in admin


def test_cards_are_cached_per_audience() -> None:
    kb = KnowledgeBase.from_dir()
    t = Translator("fr")
    entry = next(iter(kb.errors.values()))
    user = cards.entry_card(entry, kb, t, audience=cards.USER)
    agent = cards.entry_card(entry, kb, t, audience=cards.AGENT)
    assert cards.entry_card(entry, kb, t, audience=cards.USER) is user
    assert cards.entry_card(entry, kb, t, audience=cards.AGENT) is agent
    assert isinstance(entry, ErrorEntry | EnrollmentEntry | FaqEntry)


async def test_enrollment_failure_for_an_end_user_offers_the_helpdesk(alice: Chat) -> None:
    replies = await alice.say("company portal says my device isn't preregistered, what now")
    shown = texts(replies)
    assert "add its IMEI" not in shown.lower() and "corporate device identifier" not in shown
    assert any(a.get("data", {}).get("action") == "ticket_start" for a in card_actions(replies))


async def test_in_plain_words_an_end_user_gets_no_admin_steps(alice: Chat) -> None:
    await alice.say("company portal shows 0x87D13B62 for outlook")
    shown = texts(await alice.say("what does that mean in plain english? i'm not technical"))
    assert "NDES" not in shown and "certificate connector" not in shown
