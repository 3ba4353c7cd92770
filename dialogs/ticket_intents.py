"""Recognise the ticket requests (a person, my tickets, open tickets, ticket N, this channel) from the phrasings
in dialogs/data/tickets.yaml, in English and French. Plain functions, tested with the file's own examples.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["TicketIntent", "is_confirmation", "recognize"]


@dataclass(frozen=True, slots=True)
class TicketIntent:
    name: str  # handoff, my_tickets, open_tickets, ticket_show, ticket_channel
    target: str | None = None  # handoff: the person an agent opens a ticket for; ticket_show: the number
    slots: dict[str, str] = field(default_factory=dict)  # description, contact ("1": asks how to reach IT)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'").replace("\u00a0", " "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


@cache
def _data() -> dict[str, Any]:
    text = (resources.files("dialogs") / "data" / "tickets.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def _patterns() -> list[tuple[str, list[re.Pattern[str]]]]:
    return [(name, [re.compile(p) for p in spec["patterns"]]) for name, spec in _data()["intents"].items()]


@cache
def _exclude() -> list[re.Pattern[str]]:
    return [re.compile(p) for p in _data()["intents"]["handoff"].get("exclude", [])]


@cache
def _contact() -> list[re.Pattern[str]]:
    return [re.compile(p) for p in _data()["intents"]["handoff"].get("contact", [])]


@cache
def _neutral() -> tuple[str, ...]:
    return tuple(sorted((fold(w) for w in _data()["language_neutral_words"]), key=len, reverse=True))


def recognize(text: str) -> TicketIntent | None:
    """The ticket intent of a message, or None when it is about something else."""
    folded = fold(text)
    if not folded or len(folded) > 600:
        return None
    for name, patterns in _patterns():
        for pattern in patterns:
            m = pattern.search(folded)
            if m is None:
                continue
            groups = m.groupdict()
            if name == "ticket_show":
                return TicketIntent(name, groups.get("number"))
            if name == "handoff":
                if any(x.search(folded) for x in _exclude()):
                    return None
                return _handoff(text, folded, m)
            return TicketIntent(name)
    return None


def _handoff(text: str, folded: str, m: re.Match[str]) -> TicketIntent:
    groups = m.groupdict()
    slots: dict[str, str] = {}
    target = (groups.get("target") or "").strip(" ,:;.") or None
    if target:
        slots["description"] = _original(text, folded, m.start("description")).strip(" ,:;.")
        return TicketIntent("handoff", _original_span(text, folded, m.start("target"), m.end("target")), slots)
    if any(p.search(folded) for p in _contact()) and not re.search(r"\b(ticket|demande|incident)\b", folded):
        slots["contact"] = "1"
    rest = (folded[: m.start()] + " " + folded[m.end():]).strip(" ,.!?:;-")
    for word in _neutral():
        rest = re.sub(rf"(^|\s){re.escape(word)}(?=\s|$)", " ", rest)
    filler = set(_data()["filler_words"])
    content = [w for w in re.findall(r"[a-z0-9]{3,}", rest) if w not in filler]
    if "contact" not in slots and len(content) >= 2:  # the message also says what is wrong
        slots["description"] = " ".join(text.split())
    return TicketIntent("handoff", None, slots)


def _original(text: str, folded: str, start: int) -> str:
    """The user's own spelling of ``folded[start:]`` (folding keeps lengths for Latin text; fall back if not)."""
    squeezed = " ".join(text.replace("’", "'").split())
    return squeezed[start:] if len(squeezed) == len(folded) else folded[start:]


def _original_span(text: str, folded: str, start: int, end: int) -> str:
    squeezed = " ".join(text.replace("’", "'").split())
    return (squeezed[start:end] if len(squeezed) == len(folded) else folded[start:end]).strip(" ,:;.")


def is_confirmation(text: str) -> bool | None:
    """True for "yes" / "oui, envoie" / "send it", False for "no" / "annule", None when it is neither."""
    from dialogs.intents import parse_yes_no

    plain = parse_yes_no(text)
    if plain is not None:
        return plain
    folded = fold(text).strip(" .!?")
    words = [w for w in re.split(r"[\s,;!.]+", folded) if w]
    if not words:
        return None
    data = _data()["confirm"]
    if " ".join(words) in {fold(w) for w in data["yes_alone"]}:
        return True
    extra = {fold(w) for w in data["yes_extra"]}
    if parse_yes_no(words[0]) is True and all(w in extra for w in words[1:]):
        return True
    if parse_yes_no(words[0]) is False and len(words) <= 3:
        return False
    return None
