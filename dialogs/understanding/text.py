"""Folding that keeps positions: one folded character per original character.

Intent patterns run on folded text (lower case, no accents, ’ -> ', any space -> ' '), and the slots
they capture ("DESKTOP-42QX7T1", "l'iPad de Chloé") are read back from the original at the same
positions, so device and user names keep the user's spelling.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_APOSTROPHES = {"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "‛": "'"}


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    if c in _APOSTROPHES:
        return "'"
    if c.isspace():
        return " "
    low = c.lower()
    if len(low) != 1:
        low = c
    if low.isascii():
        return low
    base = unicodedata.normalize("NFKD", low)[0]
    return base if not unicodedata.combining(base) else low


def fold_keep(text: str) -> str:
    """Lower case, accents and apostrophe variants folded, every space a plain space; same length as ``text``."""
    if text.isascii():
        return text.lower().replace("\t", " ").replace("\n", " ").replace("\r", " ").replace("`", "'")
    return "".join(_fold_char(c) for c in text)


def fold(text: str) -> str:
    """``fold_keep`` with runs of spaces collapsed and the ends trimmed (for comparisons)."""
    return " ".join(fold_keep(text).split())
