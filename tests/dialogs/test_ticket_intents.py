"""The ticket phrasings in dialogs/data/tickets.yaml: every example is recognised, every counter-example is not."""

from __future__ import annotations

import pytest

from dialogs.ticket_intents import _data, is_confirmation, recognize

_INTENTS = _data()["intents"]
_CASES = [(name, lang, s) for name, spec in _INTENTS.items() for lang, sents in spec["examples"].items()
          for s in sents]
_NOT = [(lang, s) for spec in _INTENTS.values() for lang, sents in (spec.get("not") or {}).items() for s in sents]


@pytest.mark.parametrize(("intent", "lang", "sentence"), _CASES)
def test_examples_are_recognised(intent: str, lang: str, sentence: str) -> None:
    found = recognize(sentence)
    assert found is not None and found.name == intent, f"{lang}: {sentence!r} -> {found}"


@pytest.mark.parametrize(("lang", "sentence"), _NOT)
def test_counter_examples_are_not_handoffs(lang: str, sentence: str) -> None:
    found = recognize(sentence)
    assert found is None or found.name != "handoff", f"{lang}: {sentence!r} -> {found}"


def test_both_languages_for_every_intent() -> None:
    for name, spec in _INTENTS.items():
        assert set(spec["examples"]) == {"en", "fr"}, name
        assert len(spec["examples"]["fr"]) >= 4 and len(spec["examples"]["en"]) >= 4, name


def test_slots() -> None:
    bob = recognize("ouvre un ticket pour Bob, son galaxy est bloqué")
    assert bob.target == "Bob" and bob.slots["description"] == "son galaxy est bloqué"
    assert recognize("open a ticket for alice@contoso.com: her iPad is stuck").target == "alice@contoso.com"
    assert recognize("ticket 12").target == "12"
    own = recognize("je voudrais parler à un technicien, mon galaxy est bloqué depuis ce matin")
    assert own.target is None and "galaxy" in own.slots["description"]
    assert "description" not in recognize("can I talk to a real person about this?").slots
    assert recognize("whats the helpdesk phone number").slots.get("contact") == "1"
    assert "contact" not in recognize("open a ticket").slots


@pytest.mark.parametrize(("text", "expected"), [
    ("oui, envoie", True), ("yes", True), ("send it", True), ("oui vas-y", True), ("yes please send it", True),
    ("non", False), ("no thanks", False), ("annule", False), ("my phone is still broken", None),
])
def test_confirmations(text: str, expected: bool | None) -> None:
    assert is_confirmation(text) is expected
