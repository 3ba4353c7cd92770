"""The card renderer: placeholders, tidy cards, and no state shared between two renders."""

from __future__ import annotations

import pytest

from presentation import cards
from presentation.i18n import Translator


def test_whole_and_inline_placeholders_are_filled() -> None:
    facts = [{"title": "Code", "value": "-2016281112"}]
    card = cards.render("answer", kicker="Intune error", title="Profile not managed", message="", facts=facts,
                        body_heading="What to do", body="Sync ${it} now", note="", actions=[])
    texts = [b.get("text") for b in card["body"]]
    assert "Profile not managed" in texts
    assert "Sync ${it} now" in texts  # a value is text, never re-read as a template
    assert card["body"][2] == {"type": "FactSet", "facts": facts}
    message = cards.render("message", title="T", color="Warning", body="B", facts=[], actions=[])
    assert message["body"][0]["color"] == "Warning"  # a placeholder inside a template string


def test_empty_blocks_and_actions_are_dropped() -> None:
    card = cards.render("answer", kicker="k", title="t", message="", facts=[], body_heading="", body="b", note="  ", actions=[])
    types_and_texts = [(b["type"], b.get("text")) for b in card["body"]]
    assert ("FactSet", None) not in types_and_texts
    assert ("TextBlock", "") not in types_and_texts and ("TextBlock", "  ") not in types_and_texts
    assert "actions" not in card


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(cards.CardError, match="no value for body"):
        cards.render("answer", kicker="k", title="t", message="", facts=[], body_heading="", note="", actions=[])


def test_changing_a_rendered_card_does_not_change_the_next_one() -> None:
    t = Translator("fr")
    first = cards.help_card(t)
    first["body"].clear()
    first["version"] = "9.9"
    second = cards.help_card(t)
    assert second["body"] and second["version"] == "1.5"


def _kb():  # type: ignore[no-untyped-def]
    from bot.services import shared_knowledge

    return shared_knowledge()[0]


def test_an_answer_card_is_rendered_once_per_language_and_sync_button() -> None:
    kb = _kb()
    entry = kb.errors["-2016281112"]
    en, fr = Translator("en"), Translator("fr")
    card = cards.entry_card(entry, kb, en, can_sync=True)
    assert cards.entry_card(entry, kb, Translator("en"), can_sync=True) is card
    titles = [a["title"] for a in card["actions"]]
    assert "Sync my device" in titles
    without = cards.entry_card(entry, kb, en, can_sync=False)
    assert "Sync my device" not in [a["title"] for a in without["actions"]]
    french = cards.entry_card(entry, kb, fr, can_sync=True)
    assert french["body"][1]["text"] == entry.texts["fr"].message
    assert card["body"][1]["text"] == entry.texts["en"].message


def test_an_answer_card_comes_from_the_knowledge_base_it_is_asked_about() -> None:
    import dataclasses

    kb = _kb()
    entry = kb.errors["-2016281112"]
    t = Translator("en")
    before = cards.entry_card(entry, kb, t)
    changed = dataclasses.replace(entry, texts={**entry.texts, "en": dataclasses.replace(
        entry.texts["en"], message="Profile not managed (edited)")})
    other = dataclasses.replace(kb, errors={**kb.errors, entry.id: changed})
    assert cards.entry_card(changed, other, t)["body"][1]["text"] == "Profile not managed (edited)"
    assert cards.entry_card(entry, kb, t) is before
