"""Which language a chat message is written in: English, French, or neither (``None``).

Chat messages are short ("ok merci", "sync my pc", "0x87D1FDE8"), where general-purpose detectors
guess; this reads the words only English or only French speakers use, from the vocabulary files
(``data/{en,fr}/_common.yaml``), plus French accents and elisions and English contractions. A message
with no such evidence, or as much of each, is neutral: the conversation keeps its language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dialogs.understanding.text import fold

_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*(?:'[a-z]+)?|[a-z]+'")
_FRENCH_LETTERS = re.compile(r"[àâçéèêëîïôûùüÿœæ]", re.IGNORECASE)
# Codes, addresses, links, device names and log lines say nothing about the writer's language. A device name
# has a digit ("DESKTOP-42QX7T1", "LAPTOP-JD-0042"); hyphenated words without one are words ("vas-y", "ci-joint").
_NEUTRAL = re.compile(r"https?://\S+|\S+@\S+|\b0x[0-9a-f]+\b|-?\d[\d\w-]*|\b(?=[\w-]*\d)[a-z0-9]+(?:-[a-z0-9]+)+\b",
                      re.IGNORECASE)


@dataclass(frozen=True)
class LanguageVocabulary:
    words: dict[str, frozenset[str]]  # language -> words only that language uses
    markers: dict[str, tuple[str, ...]]  # language -> elisions / contractions


def build_vocabulary(data: dict[str, dict]) -> LanguageVocabulary:
    """From each language's ``_common.yaml``: words claimed by both languages count for neither.

    Chat drops apostrophes ("jai", "cest", "aujourdhui", "heres"), so each word with one also counts without it.
    """
    words = {lang: frozenset(_with_unglued(fold(str(w)) for w in d.get("language_words", [])))
             for lang, d in data.items()}
    shared = frozenset.intersection(*words.values()) if len(words) > 1 else frozenset()
    markers = {lang: tuple(str(m) for m in d.get("language_markers", [])) for lang, d in data.items()}
    return LanguageVocabulary({lang: w - shared for lang, w in words.items()}, markers)


def _with_unglued(words: Iterable[str]) -> set[str]:
    out = set(words)
    return out | {w.replace("'", "") for w in out if "'" in w}


def _points(token: str, words: frozenset[str], markers: tuple[str, ...]) -> float:
    """One point a word of the language or a word with its elision or contraction; half a point for a word
    glued to an unknown one ("qu'intune"); a hyphenated word not in the list scores as its parts' best."""
    if token in words:
        return 1.0
    if "'" in token:
        for marker in markers:
            if (marker.endswith("'") and token.startswith(marker)) or (
                    marker.startswith("'") and token.endswith(marker)):
                return 1.0
        head, _, tail = token.partition("'")
        return 0.5 if head in words or tail in words else 0.0
    if "-" in token:
        return max(_points(part, words, markers) for part in token.split("-"))
    return 0.0


def scores(text: str, vocabulary: LanguageVocabulary) -> dict[str, float]:
    """Evidence per language (one point a distinctive word, elision or contraction; accents count for French)."""
    text = text[:2000]
    accents = len(_FRENCH_LETTERS.findall(_NEUTRAL.sub(" ", text)))
    folded = _NEUTRAL.sub(" ", fold(text))
    out = {lang: 0.0 for lang in vocabulary.words}
    for token in _TOKEN.findall(folded):
        for lang, words in vocabulary.words.items():
            out[lang] += _points(token, words, vocabulary.markers.get(lang, ()))
    if "fr" in out and accents:
        out["fr"] += min(accents, 3) * 0.5
    return out


def detect(text: str, vocabulary: LanguageVocabulary, *, margin: float = 1.0) -> str | None:
    """The language with clearly more evidence, or None (neutral, or as much of each)."""
    s = scores(text, vocabulary)
    if not s:
        return None
    ranked = sorted(s.items(), key=lambda kv: -kv[1])
    best, best_score = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_score <= 0 or best_score - runner < margin:
        return None
    return best
