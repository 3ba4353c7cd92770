"""The card renderer: placeholders, tidy cards, and no state shared between two renders."""

from __future__ import annotations

import pytest

from bot import cards
from bot.i18n import Translator


def test_whole_and_inline_placeholders_are_filled() -> None:
    facts = [{"title": "Code", "value": "-2016281112"}]
    card = cards.render("answer", kicker="Intune error", title="Profile not managed", facts=facts,
                        body_heading="What to do", body="Sync ${it} now", note="", actions=[])
    texts = [b.get("text") for b in card["body"]]
    assert "Profile not managed" in texts
    assert "Sync ${it} now" in texts  # a value is text, never re-read as a template
    assert card["body"][2] == {"type": "FactSet", "facts": facts}
    message = cards.render("message", title="T", color="Warning", body="B", facts=[], actions=[])
    assert message["body"][0]["color"] == "Warning"  # a placeholder inside a template string


def test_empty_blocks_and_actions_are_dropped() -> None:
    card = cards.render("answer", kicker="k", title="t", facts=[], body_heading="", body="b", note="  ", actions=[])
    types_and_texts = [(b["type"], b.get("text")) for b in card["body"]]
    assert ("FactSet", None) not in types_and_texts
    assert ("TextBlock", "") not in types_and_texts and ("TextBlock", "  ") not in types_and_texts
    assert "actions" not in card


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(cards.CardError, match="no value for body"):
        cards.render("answer", kicker="k", title="t", facts=[], body_heading="", note="", actions=[])


def test_changing_a_rendered_card_does_not_change_the_next_one() -> None:
    t = Translator("fr")
    first = cards.help_card(t)
    first["body"].clear()
    first["version"] = "9.9"
    second = cards.help_card(t)
    assert second["body"] and second["version"] == "1.5"
