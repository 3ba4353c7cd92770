"""The thread of a conversation, per member: what was just answered, which device and user are in play.

A helpdesk colleague remembers the last few exchanges: "and on Android?" is about the answer just given, "sync
his phone" is about the user just troubleshot, "is it done?" is about the sync just requested. ``Subject`` holds
that, for one member of one conversation (in a group chat each member has their own thread), and forgets it
after ``TTL_TURNS`` turns or ``TTL_SECONDS`` of silence. Plain data: stored as JSON in the store, one key per member
and conversation (``subject_key``), written only when it changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any

TTL_TURNS = 6
"""A subject older than this many turns is forgotten ("and on Android?" refers to a recent answer)."""
TTL_SECONDS = 30 * 60
STORE_TTL = 30 * 24 * 3600
"""How long a member's subject (and the language of the conversation with them) is kept without a turn."""


def subject_key(channel_id: str, conversation_id: str, user_id: str) -> str:
    return f"subject/{channel_id}/{conversation_id}/{user_id}"


@dataclass
class Subject:
    """What is in play for one member; every field optional. Flows read and update it during a turn."""

    lang: str | None = None  # the language last used with this member in this conversation
    entry: str | None = None  # "kind:id" of the last answer shown
    codes: list[int] = field(default_factory=list)  # codes of the last lookup (known or not)
    platform: str | None = None  # platform the last question was about
    device_id: str | None = None
    device_name: str | None = None
    user_upn: str | None = None  # the user in play (troubleshoot, another user's device)
    user_name: str | None = None
    action: str | None = None  # the last action: sync, who_synced, troubleshoot, device_status, ticket...
    action_target: str | None = None
    flow: str | None = None  # the flow that answered last (for follow-ups it may handle)
    unanswered: str | None = None  # the last question the bot could not answer
    last_answers: list[str] = field(default_factory=list)  # titles of the last answers, newest last (tickets)
    pending: dict[str, Any] | None = None  # a question the bot asked this member: {"flow": ..., ...}
    confirmation: str | None = None  # the sync confirmation this member was last shown (withdrawn on "cancel")
    dialog: bool = False  # a dialog (a device pick, a confirmation) is in progress for this member
    refusal: str | None = None  # the reason the bot last gave for not doing something ("why?" repeats it)
    refusal_turn: int = 0
    turn: int = 0  # turns seen
    set_turn: int = 0  # the turn the subject was last set
    at: float = 0.0

    @classmethod
    def from_dict(cls, data: Any) -> Subject:
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        subject = cls(**{k: v for k, v in data.items() if k in known})
        return subject

    def to_dict(self) -> dict[str, Any]:
        """A copy as plain JSON data (shallow: lists and dicts copied one level, which is all they hold)."""
        out: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        return out

    def tick(self, now: float | None = None) -> None:
        """A new turn: forget what is too old to be "the subject" any more (the language stays)."""
        now = time.time() if now is None else now
        self.turn += 1
        if self.set_turn and (self.turn - self.set_turn > TTL_TURNS or now - self.at > TTL_SECONDS):
            keep = (self.lang, self.turn, self.dialog, self.confirmation)
            self.__dict__.update(Subject().__dict__)
            self.lang, self.turn, self.dialog, self.confirmation = keep

    def touch(self, now: float | None = None) -> None:
        """The subject was set this turn."""
        self.set_turn = self.turn
        self.at = time.time() if now is None else now

    def set_answer(self, entry_key: str | None, title: str | None = None, *, platform: str | None = None,
                   codes: list[int] | None = None) -> None:
        self.entry = entry_key
        self.flow = "lookup"
        if platform is not None:
            self.platform = platform
        if codes is not None:
            self.codes = codes
        if title:
            self.last_answers = [*self.last_answers[-4:], title]
        self.unanswered = None
        self.touch()

    def set_action(self, action: str, target: str | None = None, *, flow: str | None = None) -> None:
        self.action, self.action_target = action, target
        self.flow = flow or action
        self.touch()

    def set_user(self, upn: str | None, name: str | None) -> None:
        self.user_upn, self.user_name = upn, name
        self.touch()

    def set_device(self, device_id: str | None, name: str | None) -> None:
        self.device_id, self.device_name = device_id, name
        self.touch()


_FIELDS = tuple(f.name for f in fields(Subject))
