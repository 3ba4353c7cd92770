"""What a ticket request says besides asking for a person, and the answers to "Send this to the helpdesk?"."""

from __future__ import annotations

import pytest

from dialogs.ticket_intents import description_of, is_confirmation


@pytest.mark.parametrize(("text", "description"), [
    ("je voudrais parler à un technicien, mon galaxy est bloqué depuis ce matin",
     "je voudrais parler à un technicien, mon galaxy est bloqué depuis ce matin"),
    ("open a ticket: Teams crashes on my PC", "open a ticket: Teams crashes on my PC"),
    ("I need to get in touch with the IT team, my laptop won't boot",
     "I need to get in touch with the IT team, my laptop won't boot"),
    ("can I talk to a real person about this?", ""),
    ("this is useless get me a human", ""),
    ("ok then open a ticket", ""),
    ("je peux parler a quelqu'un du support svp", ""),
    ("un humain !!", ""),
])
def test_a_request_carries_its_description_only_when_it_has_one(text: str, description: str) -> None:
    assert description_of(text) == description


def test_for_someone_else_the_description_follows_their_name() -> None:
    assert description_of("ouvre un ticket pour Bob, son galaxy est bloqué", "Bob") == "son galaxy est bloqué"
    assert description_of("open a ticket for alice@contoso.com: her iPad is stuck",
                          "alice@contoso.com") == "her iPad is stuck"


@pytest.mark.parametrize(("text", "expected"), [
    ("oui, envoie", True), ("yes", True), ("send it", True), ("oui vas-y", True), ("yes please send it", True),
    ("yes send it to them", True), ("oui envoie-leur", True), ("yes but wait", None),
    ("non", False), ("no thanks", False), ("annule", False), ("my phone is still broken", None),
])
def test_confirmations(text: str, expected: bool | None) -> None:
    assert is_confirmation(text) is expected
