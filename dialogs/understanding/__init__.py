"""Understanding chat messages, English and French: intents, their targets, the message's language.

Framework-free and data-driven (``data/{lang}/*.yaml`` with mirrored tests in ``tests/dialogs/data``), so the
rules are read and tested without Teams. See README.md in this folder for the data format.
"""

from __future__ import annotations

from functools import cache

from dialogs.understanding.recognizer import Intent, Recognizer, RecognizerError
from dialogs.understanding.yes_no import parse_yes_no

__all__ = ["Intent", "Recognizer", "RecognizerError", "default_recognizer", "detect_language", "parse_intent",
           "parse_yes_no"]


@cache
def default_recognizer() -> Recognizer:
    """The shipped data, loaded once per process."""
    return Recognizer.from_dir()


def parse_intent(text: str) -> Intent:
    return default_recognizer().recognize(text)


def detect_language(text: str) -> str | None:
    return default_recognizer().language(text)
