"""Yes or no to a question the bot asked, in English or French ("ouais", "yes please do", "nah", "non merci")."""

from __future__ import annotations

import re

from dialogs.understanding.text import fold

_YES = re.compile(
    r"(?:yes+|y|yeah|yea|yep|yup|ya|sure|ok|okay|k|confirm(?:ed)?|go|go ahead|go for it|do it|please do|of course|"
    r"absolutely|definitely|correct|right|affirmative|that'?s right|sounds good|let'?s go|send it|proceed|"
    r"oui+|ouais|ouaip|ouep|o|d'accord|daccord|dac|d'ac|vas-y|vas y|allez-y|allez y|go|confirme(?:r)?|bien sur|"
    r"volontiers|carrement|evidemment|exact|c'est ca|parfait|c'est bon|envoie|envoie-le|envoyer|lance|lance-la|"
    r"fais-le|fais le|sync|synchronise|synchroniser|👍|✅|yes sync it|oui synchroniser)"
    r"(?:[ ,!.]+(?:yes|oui|please|pls|do|do it|go ahead|sync it|thanks|merci|stp|svp|vas-y|envoie|send|"
    r"please do|quand meme|anyway|fais-le|confirme|sure|ok|oui))*")
_NO = re.compile(
    r"(?:no+|n|nope|nah|naw|no thanks|no thank you|not now|not yet|later|maybe later|don'?t|dont|do not|stop|"
    r"cancel|no way|negative|non+|nan|non merci|pas maintenant|pas tout de suite|annule|annuler|surtout pas|"
    r"plus tard|laisse tomber|laisse|non laisse|pas la peine|👎|❌)(?:[ ,!.]+(?:thanks|merci|leave it|laisse|"
    r"pas maintenant|not now|thank you|c'est bon|don'?t|do not|sync|pas besoin))*")


_LEAD = re.compile(r"^(?:hmm+|hm+|uh+|um+|euh+|ben|bah|well|ah|oh|ok|okay|alors|bon|wait|attends)[ ,.!]+")
_YES_WORD = re.compile(r"^(?:yes+|yeah|yep|yup|sure|oui+|ouais|ouep|vas-y|go ahead|ok go)\b")
_NO_WORD = re.compile(r"^(?:no+|nope|nah|non+|nan)\b")
_FILLER_WORDS = frozenset(["go", "please", "pls", "thanks", "merci", "stp", "svp", "do", "it", "sync", "now", "maintenant", "quand", "meme", "anyway", "allez", "vas-y", "c'est", "bon", "fine", "ok", "then", "alors", "sure"])


def parse_yes_no(text: str) -> bool | None:
    """True / False for a yes or no; None when the message is neither (a new question, a device name...)."""
    folded = fold(text).strip(" .!?")
    folded = _LEAD.sub("", folded).strip(" .!?")
    if not folded:
        return None
    if _YES.fullmatch(folded):
        return True
    if _NO.fullmatch(folded):
        return False
    # "oui go", "yes do it now": a clear first word and only filler after it.
    words = folded.replace(",", " ").split()
    if 1 < len(words) <= 4 and all(w in _FILLER_WORDS for w in words[1:]):
        if _YES_WORD.match(folded):
            return True
        if _NO_WORD.match(folded):
            return False
    return None
