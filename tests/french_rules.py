"""The French rule set (presentation.typography) applied to whole cards and replies, for the tests.

tests/bot/conftest.py records every reply the suite's French conversations get (``FRENCH_REPLIES``);
tests/conftest.py checks them when the session ends, and tests/test_french_typography.py renders every
catalog string and every knowledge card in French.
"""

from __future__ import annotations

import re
from typing import Any

from presentation.typography import title_violations, violations

FRENCH_REPLIES: list[tuple[str, dict[str, Any]]] = []  # (the test that got it, the reply activity)
OTHER_REPLIES: list[tuple[str, dict[str, Any]]] = []  # every other reply: titles and buttons are checked

_FR = re.compile(r"\b(le|la|les|des|du|vous|votre|vos|est|pour|une|pas|sur|appareil|appareils|je|ou|avec|dans|"
                 r"que|qui|voici|aucun|aucune|merci|cette|ce|sont|peut|pouvez)\b", re.IGNORECASE)
_EN = re.compile(r"\b(the|your|you|is|for|a|an|not|on|device|devices|i|or|with|in|that|who|here|no|thanks|this|"
                 r"are|can|it|what|to|of)\b", re.IGNORECASE)


def looks_french(text: str) -> bool:
    return len(_FR.findall(text)) > len(_EN.findall(text))


def card_problems(card: dict[str, Any], *, typography: bool = True) -> list[str]:
    """Every fault of one Adaptive Card: typography of its texts, facts and buttons (French), titles (bold
    text blocks) ending with a period, and two buttons with the same title (both languages)."""
    problems: list[str] = []
    check = violations if typography else (lambda _text: [])

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "TextBlock":
            text = str(node.get("text", ""))
            problems.extend(check(text))
            if node.get("weight") == "Bolder" and node.get("color") != "Attention":
                problems.extend(title_violations(text))
        elif kind == "FactSet":
            for fact in node.get("facts") or []:
                problems.extend(check(str(fact.get("title", ""))))
                problems.extend(check(str(fact.get("value", ""))))
        for key in ("body", "items", "columns"):
            walk(node.get(key))

    walk(card.get("body"))
    titles = [str(a.get("title", "")) for a in card.get("actions") or []]
    for title in titles:
        problems.extend(check(title))
        problems.extend(title_violations(title))
    dupes = sorted({t for t in titles if titles.count(t) > 1})
    problems.extend(f"duplicate button title: {t}" for t in dupes)
    return problems


def reply_problems(activity: dict[str, Any], *, typography: bool = True) -> list[str]:
    problems: list[str] = []
    if activity.get("text") and typography:
        problems.extend(violations(str(activity["text"])))
    for att in activity.get("attachments") or []:
        content = att.get("content")
        if isinstance(content, dict) and "adaptive" in str(att.get("contentType", "")):
            problems.extend(card_problems(content, typography=typography))
    return problems


def reply_text(activity: dict[str, Any]) -> str:
    """The words of a reply, enough to tell its language."""
    out = [str(activity.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                out.append(str(node.get("text", "")))
            for v in node.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)

    for att in activity.get("attachments") or []:
        walk(att.get("content"))
    return "\n".join(out)
