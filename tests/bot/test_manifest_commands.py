"""Every command in the Teams app's command menu is something the bot understands, in both languages."""

from __future__ import annotations

import pytest

from bot.manifest_package import command_titles
from tests.bot.conftest import Chat, texts

FALLBACK = ("don't have an answer", "pas de réponse")


@pytest.mark.parametrize(("lang", "locale"), [("en", "en-US"), ("fr", "fr-FR")])
async def test_each_menu_command_gets_a_real_reply(agent: Chat, lang: str, locale: str) -> None:
    titles = command_titles(lang)
    assert len(titles) == 8
    for title in titles:
        replies = await agent.say(title, locale=locale)
        shown = texts(replies)
        assert shown, title
        assert not any(f in shown for f in FALLBACK), f"{title!r} -> {shown[:200]}"
        assert "Did you mean" not in shown and "Vouliez-vous dire" not in shown, title
        await agent.say("cancel", locale=locale)  # leave any flow the command started
