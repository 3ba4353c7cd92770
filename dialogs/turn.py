"""What every dialog needs to know about the current turn, computed once by the bot."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import TurnContext

from bot.i18n import Translator
from intune.models import Caller

TURN_INFO_KEY = "helpdesk.turn_info"


@dataclass
class TurnInfo:
    lang: str
    t: Translator
    caller: Caller | None
    text: str
    truncated: bool = False
    conversation_type: str = "personal"


def turn_info(turn_context: TurnContext) -> TurnInfo:
    return turn_context.turn_state[TURN_INFO_KEY]
