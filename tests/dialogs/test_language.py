"""The message-language detector's general rules (the measured comparison is benchmarks/language.py)."""

from __future__ import annotations

import pytest
import yaml

from dialogs.understanding import detect_language
from dialogs.understanding.recognizer import DATA_DIR


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_language_word_is_read_as_a_word(lang: str) -> None:
    """Unquoted, YAML reads yes/no/on/off/y as booleans: "yes" and "y" silently counted for nothing."""
    doc = yaml.safe_load((DATA_DIR / lang / "_common.yaml").read_text(encoding="utf-8"))
    for key in ("language_words", "language_markers"):
        odd = [w for w in doc[key] if not isinstance(w, str)]
        assert not odd, f"{lang}/_common.yaml {key}: quote {odd}"


@pytest.mark.parametrize(("text", "lang"), [
    ("yes", "en"),  # was read as the boolean true
    ("vas-y", "fr"),  # a hyphenated word is a word, not a device name
    ("ci-joint le log", "fr"),
    ("jai 2 pc", "fr"),  # apostrophes dropped: "j'ai", "c'est"
    ("cest ok", "fr"),
    ("DESKTOP-42QX7T1", None),  # a device name has a digit and says nothing about the language
    ("LAPTOP-JD-0042", None),
    ("hello", None),  # words French speakers use as much as English ones
    ("okay", None),
])
def test_language_of_short_messages(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang
