"""What a ticket request says besides asking for a person: its own description, whom it is for, and the answers to
"Send this to the helpdesk?". The intents themselves come from dialogs/understanding (data/{en,fr}/tickets.yaml);
the words used here are in dialogs/data/tickets.yaml.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from dialogs.understanding import parse_yes_no
from dialogs.understanding.text import fold

__all__ = ["description_of", "is_confirmation"]

_WORDS = re.compile(r"[a-z0-9']{3,}")
_SEPARATOR = re.compile(r"^[\s,:;.!?–—-]+")
_HESITATION = frozenset({"but", "mais", "not", "pas", "wait", "attends", "attendez", "no", "non", "don't", "dont",
                         "ne", "later", "plus"})


@cache
def _data() -> dict[str, Any]:
    text = (resources.files("dialogs") / "data" / "tickets.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def _ignored() -> frozenset[str]:
    data = _data()
    return frozenset(fold(w) for w in [*data["request_words"], *data["filler_words"]])


def description_of(text: str, target: str | None = None) -> str:
    """The problem a ticket request describes itself, in the user's words; "" when it only asks for a person.

    ``target``: the person an agent opens the ticket for ("ouvre un ticket pour Bob, son galaxy est bloqué"):
    the description is what follows their name.
    """
    text = " ".join(text.split())
    if target:
        at = fold(text).rfind(fold(target))
        if at >= 0:
            return _SEPARATOR.sub("", text[at + len(target):]).strip()
    content = [w for w in _WORDS.findall(fold(text)) if w not in _ignored() and w.split("'")[-1] not in _ignored()]
    return text if len(content) >= 2 else ""


def is_confirmation(text: str) -> bool | None:
    """True for "yes" / "oui, envoie" / "send it", False for "no" / "annule", None when it is neither."""
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
    first = parse_yes_no(words[0])
    if first is True and (all(w in extra for w in words[1:]) or not _HESITATION.intersection(words)):
        return True  # "yes send it to them": a yes, unless it hesitates ("yes but...", "oui mais pas...")
    if first is False and len(words) <= 3:
        return False
    return None
