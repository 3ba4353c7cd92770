"""French conversations read as a French reader expects them (issue 17), end to end over HTTP.

Every French reply of the suite is also checked against the rule set when the session ends (tests/conftest.py).
"""

from __future__ import annotations

from tests.bot.conftest import Chat, card_actions, texts
from tests.french_rules import reply_problems


async def test_plain_words_follow_up_keeps_french_typography(alice: Chat) -> None:
    alice.locale = "fr-FR"
    first = await alice.say("j'ai 0x87D13B60 sur le portail")
    assert "-2016330912" in texts(first)
    replies = await alice.say("ça veut dire quoi en clair ?")
    text = texts(replies)
    assert "L’installation de l’application" in text and "L'installation" not in text
    assert not [p for r in replies for p in reply_problems(r)]


async def test_suggestions_never_repeat_a_title_and_say_what_each_is_about(alice: Chat) -> None:
    alice.locale = "fr-FR"
    replies = await alice.say("compte")  # several codes share « Impossible de créer le compte »
    text = texts(replies)
    assert "Vouliez-vous dire" in text
    titles = [a["title"] for a in card_actions(replies)]
    assert len(titles) == len(set(titles)), titles
    assert "Erreur d’appareil iOS/iPadOS" in text  # what each suggestion is about
    shared = await alice.say("aucun nom d'hôte")  # one message under five codes: told apart by code
    codes = [a["title"] for a in card_actions(shared)]
    assert len(codes) == len(set(codes)) >= 2 and all(c.startswith("-2016") for c in codes), codes
    assert not [p for r in [*replies, *shared] for p in reply_problems(r)]
