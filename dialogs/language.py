"""Which language to answer in, per message.

An explicit choice ("English please", the language button) is remembered per user and wins until changed.
Otherwise the message's own language decides when it is clear; short or neutral messages ("ok", "2", a bare
code, a device name) keep the language of the conversation; the Teams locale is only the starting default.
"""

from __future__ import annotations

from dialogs.understanding import default_recognizer
from dialogs.understanding.language import detect
from presentation.i18n import negotiate

SHORT_WORDS = 3
"""Messages with fewer words than this keep the conversation's language ("merci", "yes", "le pc") unless their
evidence is strong (a French word with its accents: "dépanner alice")."""


def choose_language(chosen: str | None, text: str, conversation: str | None, locale: str | None) -> str:
    if chosen in ("en", "fr"):
        return chosen
    current = conversation if conversation in ("en", "fr") else negotiate(locale)
    vocabulary = default_recognizer().vocabulary
    if len(text.split()) < SHORT_WORDS:  # "merci", "le pc": keep it, unless the evidence is strong ("dépanner")
        # A member's first words in a conversation set its language when they say anything ("and 0x87D136B5?").
        margin = 1.0 if conversation not in ("en", "fr") else 1.5
        return detect(text, vocabulary, margin=margin) or current
    if len(text) > 500:  # a pasted log: the person's own words come first, the log is in its own language
        head = " ".join(text[:400].splitlines()[:2])
        return detect(head, vocabulary) or detect(text, vocabulary) or current
    return detect(text, vocabulary) or current
