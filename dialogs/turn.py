"""What every dialog needs to know about the current turn, computed once by the bot."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import TurnContext

from dialogs.intents import Intent, parse_intent
from intune.models import Caller
from presentation.i18n import Translator

TURN_INFO_KEY = "helpdesk.turn_info"


@dataclass
class TurnInfo:
    lang: str
    t: Translator
    caller: Caller | None
    text: str
    truncated: bool = False
    conversation_type: str = "personal"
    _intent: Intent | None = None

    @property
    def intent(self) -> Intent:
        """What the message asks for, parsed once per turn (the bot and the main dialog both need it)."""
        if self._intent is None:
            self._intent = parse_intent(self.text)
        return self._intent


def turn_info(turn_context: TurnContext) -> TurnInfo:
    return turn_context.turn_state[TURN_INFO_KEY]
