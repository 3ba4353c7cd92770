"""Text normalisation shared by the index (at load) and the queries (at search time).

Both sides go through the same steps so that "Échec", "echec" and "ECHEC" meet, and so that
synonyms declared in a language's ``_common.yaml`` rewrite both the catalogue and the query to
one canonical wording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_APOSTROPHES = str.maketrans({"’": " ", "'": " ", "‘": " ", "`": " ", "´": " "})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def fold(text: str) -> str:
    """Lower-case, strip accents and apostrophes, and reduce punctuation to single spaces."""
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKD", text.lower()).translate(_APOSTROPHES)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("œ", "oe").replace("æ", "ae")
    return _NON_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Vocabulary:
    """What a language's ``_common.yaml`` declares: words to skip and phrases to rewrite."""

    skip_words: frozenset[str] = frozenset()
    skip_phrases: tuple[str, ...] = ()
    synonyms: tuple[tuple[re.Pattern[str], str], ...] = field(default_factory=tuple)

    @classmethod
    def from_dicts(cls, commons: Iterable[Mapping[str, object]]) -> Vocabulary:
        """Merge several languages' vocabularies: queries and entries are matched across languages."""
        skip: set[str] = set()
        phrases: list[str] = []
        rules: dict[str, str] = {}
        for common in commons:
            for word in common.get("skip_words", []) or []:  # type: ignore[union-attr]
                skip.update(fold(str(word)).split())
            for phrase in common.get("skip_phrases", []) or []:  # type: ignore[union-attr]
                phrases.append(fold(str(phrase)))
            for canonical, variants in (common.get("synonyms", {}) or {}).items():  # type: ignore[union-attr]
                for variant in variants:
                    rules[fold(str(variant))] = fold(str(canonical))
        # Longest variants first so "is not valid" wins over "not valid".
        ordered = sorted(rules.items(), key=lambda kv: -len(kv[0]))
        compiled = tuple((re.compile(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])"), c) for v, c in ordered if v)
        phrases.sort(key=len, reverse=True)
        return cls(frozenset(skip), tuple(p for p in phrases if p), compiled)

    def canonical(self, folded: str) -> str:
        """Rewrite synonyms to their canonical wording (input already folded)."""
        if not self.synonyms:
            return folded
        padded = folded
        for pattern, canonical in self.synonyms:
            if canonical and pattern.search(padded):
                padded = pattern.sub(canonical, padded)
        return padded

    def strip_chatter(self, folded: str) -> str:
        """Drop phrases people wrap around a pasted message ("got this:", "j'ai ce message")."""
        for phrase in self.skip_phrases:
            if phrase in folded:
                folded = re.sub(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", " ", folded)
        return " ".join(folded.split())

    def tokens(self, folded: str) -> tuple[str, ...]:
        """Content tokens of an already folded and canonicalised text."""
        return tuple(t for t in folded.split() if t not in self.skip_words)
