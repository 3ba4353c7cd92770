"""What a message asks the bot to do, in English and French (dialogs/intents.py)."""

from __future__ import annotations

import pytest

from dialogs.intents import Intent, parse_intent, parse_yes_no


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sync my device", Intent("sync")),
        ("please sync my iPhone", Intent("sync", "my iPhone")),
        ("Sync DESKTOP-42", Intent("sync", "DESKTOP-42")),
        ("sync alice@contoso.com's iPhone", Intent("sync", "alice@contoso.com's iPhone")),
        ("synchroniser mon appareil", Intent("sync")),
        ("synchronise l'iPad d'Alice", Intent("sync", "l'iPad d'Alice")),
        ("is it done?", Intent("sync_status")),
        ("c'est fait ?", Intent("sync_status")),
        ("troubleshoot alice@contoso.com", Intent("troubleshoot", "alice@contoso.com")),
        ("dépanner Alice Martin", Intent("troubleshoot", "Alice Martin")),
        ("troubleshoot a user", Intent("troubleshoot")),
        ("dépanner un utilisateur", Intent("troubleshoot")),
        ("who synced DESKTOP-42?", Intent("who_synced", "DESKTOP-42")),
        ("en français", Intent("language_fr")),
        ("English please", Intent("language_en")),
        ("langue", Intent("language_menu")),
        ("aide", Intent("help")),
        ("what does this code mean", Intent("ask_code")),
        ("que signifie ce code", Intent("ask_code")),
        ("annuler", Intent("cancel")),
    ],
)
def test_commands(text: str, expected: Intent) -> None:
    assert parse_intent(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "what happens when I sync a device",
        "can I sync a mac or only phones",
        "que fait la synchronisation d'un appareil",
        "0x87D1FDE8",
        "why is wipe greyed out",
        "rôle nécessaire pour l'action synchroniser",
    ],
)
def test_questions_about_a_feature_are_lookups(text: str) -> None:
    assert parse_intent(text).name == "lookup"


@pytest.mark.parametrize(("text", "answer"), [("oui", True), ("Ouais !", True), ("yes", True), ("d'accord", True),
                                              ("non", False), ("nan", False), ("no thanks", False),
                                              ("peut-être", None), ("0x87D1FDE8", None)])
def test_yes_no_in_both_languages(text: str, answer: bool | None) -> None:
    assert parse_yes_no(text) is answer
