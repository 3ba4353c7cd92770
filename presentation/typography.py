"""French typography, applied where text is rendered (docs/style-guide.md).

The rules come from polytypo (a maintained, spec-driven typography library): a narrow no-break space
(U+202F) before ; ! ? and a no-break space (U+00A0) before : and inside « », straight quotes turned into
« », and ’ as the apostrophe. So that a lone "?" or "»" never wraps onto a line of its own in a narrow
Teams pane.

What is never touched: codes (0x87D1FDE8, -2016281112, SyncML(404)), URLs, e-mail addresses, inline code
and Markdown bold markers (protected ranges), and whatever a caller inserts after typesetting. The
Translator typesets a translated *template* before ``.format(**values)``, so names, device names, codes
and user-typed text that reach a reply through placeholders stay exactly as they were.

English is returned as written: its catalog and data are already written with the style guide's rules.
``violations`` is the rule set as a check, shared by the tests and tools/check_french.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

from polytypo.text import transform

NBSP = "\u00a0"
NNBSP = "\u202f"

# Runs the rules must not edit. ``**`` is protected so "**Que faire :**" is seen as "Que faire :".
_PROTECTED = re.compile(
    r"\*\*"
    r"|`[^`\n]*`"
    r"|\b(?:https?|mailto|ms-settings):[^\s<>\")\]]+"
    r"|[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b0x[0-9A-Fa-f]+\b"
    r"|-?\b\d{5,}\b"
    r"|\b[A-Za-z][A-Za-z0-9]*\(\d+\)"  # SyncML(404), DCMO(1400)
)


def typeset(text: str, lang: str) -> str:
    """``text`` with the typography of ``lang`` (French rules for "fr"; other languages as written)."""
    if lang != "fr" or not text:
        return text
    return _french(text)


@lru_cache(maxsize=8192)
def _french(text: str) -> str:
    protect = [m.span() for m in _PROTECTED.finditer(text)]
    try:
        return transform(text, locale="fr", protect=protect)
    except Exception:  # a typography fault must never cost the user their answer
        return text


# -- the rule set as a check ------------------------------------------------------------------------

_SKIP = re.compile(_PROTECTED.pattern + r"|\{[a-z_]+\}|\bwww\.\S+|\b\d{1,2}:\d{2}\b")
# Elisions of French prose written with a straight apostrophe: l'appareil, qu'il, aujourd'hui.
_STRAIGHT_ELISION = re.compile(r"(?i)(?<![\w'])(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|aujourd)'(?=[^\W\d_])")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ordinary space before a colon", re.compile(r" :")),
    ("no space before a colon", re.compile(r"(?<=[^\W\d_])\*{0,2}:(?=\s|$)")),
    ("ordinary space before ; ! ?", re.compile(r"[ \u00a0][;!?]")),
    ("no space before ; ! ?", re.compile(r"(?<=[^\W_])\*{0,2}[;!?](?=\s|$|[)»])")),
    ("ordinary space inside « »", re.compile(r"« |«(?=[^\s\u00a0\u202f])| »|(?<=[^\s\u00a0\u202f])»")),
    ("straight apostrophe in prose", _STRAIGHT_ELISION),
    ("straight double quote in prose", re.compile(r"\"")),
)


def violations(text: str) -> list[str]:
    """What breaks the French rule set in ``text``: one line per fault, naming the rule and the spot.

    Codes, URLs, e-mail addresses, times (10:30) and unfilled placeholders are left out of the check,
    like they are left out of ``typeset``.
    """
    found: list[str] = []
    for line in text.splitlines():
        masked = _SKIP.sub(lambda m: "X" * len(m.group()), line)
        for name, rule in _RULES:
            for m in rule.finditer(masked):
                start = max(0, m.start() - 25)
                found.append(f"{name}: …{line[start:m.end() + 10]}…")
    return found


def title_violations(title: str) -> list[str]:
    """A title is sentence case-free of a final period (an ellipsis "…" is fine)."""
    stripped = title.rstrip()
    if stripped.endswith(".") and not stripped.endswith("..."):
        return [f"title ends with a period: {title}"]
    return []
