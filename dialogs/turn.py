"""What every flow needs to know about the current turn, computed once by the router."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import TurnContext

from dialogs.context import Subject
from dialogs.understanding import Intent, parse_intent
from intune.models import Caller
from presentation.i18n import Translator

TURN_INFO_KEY = "helpdesk.turn_info"
INTENT_MAX_CHARS = 600
"""Longer messages are pastes or stories, not commands: they go straight to the lookup."""


@dataclass
class TurnInfo:
    lang: str
    t: Translator
    caller: Caller | None
    text: str
    truncated: bool = False
    conversation_type: str = "personal"
    subject: Subject = field(default_factory=Subject)
    images: int = 0  # image attachments on the message
    _intent: Intent | None = None
    _agent: bool | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def intent(self) -> Intent:
        """What the message asks for, parsed once per turn."""
        if self._intent is None:
            self._intent = parse_intent(self.text) if len(self.text) <= INTENT_MAX_CHARS else Intent("lookup")
        return self._intent

    @intent.setter
    def intent(self, value: Intent) -> None:
        self._intent = value

    @property
    def is_shared(self) -> bool:
        """A group chat or a channel: other people read the replies."""
        return self.conversation_type in ("groupChat", "channel")

    def set_language(self, lang: str) -> None:
        self.lang, self.t = lang, Translator(lang)
        self.subject.lang = lang


def turn_info(turn_context: TurnContext) -> TurnInfo:
    return turn_context.turn_state[TURN_INFO_KEY]
