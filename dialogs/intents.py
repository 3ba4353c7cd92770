"""What a message asks the bot to *do*, in English or French; anything else is a lookup.

Commands are recognised only when phrased as commands ("sync my device", "synchronise l'iPad
d'Alice"); questions about a feature ("what happens when I sync?") go to the FAQ. No framework
types here so the rules are tested directly (tests/dialogs/test_intents.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Intent", "parse_intent", "parse_yes_no"]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    if not text.isascii():  # accents: NFKD made them combining marks, dropped here
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Intent:
    name: str  # help, language, cancel, ask_code, sync, sync_status, troubleshoot, who_synced, lookup
    target: str | None = None  # a device/user for sync and troubleshoot, a language code for language


_POLITE = (r"(?:(?:please|pls|hey|hi|ok|okay|bot|can you|could you|would you|i want to|i'd like to|i need to|"
           r"go ahead and|stp|svp|merci de|peux-tu|pourrais-tu|pouvez-vous|pourriez-vous|je veux|je voudrais|"
           r"j'aimerais|il faut)[ ,:]+)*")
_SYNC = re.compile(rf"^{_POLITE}(?:re-?)?(?:sync(?:hroni[sz]e[rz]?)?|synchro|lance(?:r)? (?:une |la )?synchro(?:nisation)?|"
                   rf"force(?:r)? (?:une |la )?synchro(?:nisation)?|launch (?:a )?sync|run (?:a )?sync|start (?:a )?sync|"
                   rf"trigger (?:a )?sync)\b[ ,:]*(?P<target>.*?)[ .!?]*$")
_STATUS = re.compile(r"^(?:is it done|done yet|is (?:the )?sync (?:done|finished|complete)|sync status|status|"
                     r"how did it go|c'est fait|c'est termine|(?:ou|où) en est (?:la )?synchro(?:nisation)?|"
                     r"statut|etat de la synchro(?:nisation)?|est-ce (?:que c'est )?fini|c'est fini)[ .!?]*$")
_TROUBLESHOOT = re.compile(rf"^{_POLITE}(?:troubleshoot|diagnose|investigate|depanner|depanne|diagnostiquer|"
                           rf"check user|look up user|lookup user|verifier l'utilisateur)\b[ ,:]*(?P<target>.+?)[ .!?]*$")
_WHO_SYNCED = re.compile(r"^(?:who (?:has )?synced|who synchroni[sz]ed|qui a synchronise|qui a lance la synchro(?:nisation)? (?:de|du|sur))"
                         r"\s+(?P<target>.+?)[ .!?]*$")
_HELP = re.compile(r"^(?:help|aide|\?|menu|commands|commandes|what can you do|que sais-tu faire|que peux-tu faire|"
                   r"hi|hello|hey|bonjour|salut|coucou|start|/start|/help)[ .!?]*$")
_CANCEL = re.compile(r"^(?:cancel|stop|quit|never ?mind|forget it|annuler|annule|laisse tomber|arrete|abandonner)[ .!]*$")
_EN = re.compile(r"^(?:(?:in |speak |switch to |answer in |reply in )?english(?: please| pls)?|en anglais|anglais|"
                 r"parle anglais|language english|langue anglais)[ .!]*$")
_FR = re.compile(r"^(?:(?:in |speak |switch to |answer in |reply in )?french(?: please| pls)?|en francais|francais|"
                 r"parle francais|parlez francais|langue francais|language french)(?: (?:svp|stp|s'il (?:te|vous) plait))?[ .!]*$")
_ASK_CODE = re.compile(r"^(?:what does (?:this|my|an?) (?:error )?code mean|what is this (?:error )?code|explain (?:an? |this )?"
                       r"(?:error )?code|que signifie (?:ce|mon|un) code(?: d'erreur)?|c'est quoi ce code|"
                       r"expliquer? (?:un |ce )?code(?: d'erreur)?)[ .!?]*$")
_ANY_USER = re.compile(r"^(?:a|an|the|one|some|un|une|l'|le|la)?\s*(?:user|person|colleague|utilisateur|utilisatrice|"
                       r"personne|collegue)?$")
_LANG_MENU = re.compile(r"^(?:language|langue|change language|changer de langue)[ .!?]*$")
_OWN = re.compile(r"^(?:(?:my|mon|ma|mes|this|ce|cet|cette)\s*)?(?:device|devices|appareil|appareils|"
                  r"machine|terminal)?$")


def parse_intent(text: str) -> Intent:
    """Classify one message. The target keeps the user's spelling (device names are case-sensitive)."""
    folded = _fold(text)
    if not folded:
        return Intent("help")
    if _HELP.match(folded):
        return Intent("help")
    if _CANCEL.match(folded):
        return Intent("cancel")
    if _EN.match(folded):
        return Intent("language", "en")
    if _FR.match(folded):
        return Intent("language", "fr")
    if _LANG_MENU.match(folded):
        return Intent("language", None)
    if _ASK_CODE.match(folded):
        return Intent("ask_code")
    if _STATUS.match(folded):
        return Intent("sync_status")
    for pattern, name in ((_WHO_SYNCED, "who_synced"), (_TROUBLESHOOT, "troubleshoot"), (_SYNC, "sync")):
        m = pattern.match(folded)
        if m:
            target = _original_span(text, folded, m.group("target")) if m.group("target") else None
            if name == "sync" and (target is None or _OWN.match(_fold(target))):
                target = None
            if name == "troubleshoot" and target is not None and _ANY_USER.match(_fold(target)):
                target = None  # "troubleshoot a user": the menu command, no user named yet
            return Intent(name, target)
    return Intent("lookup")


def _original_span(text: str, folded: str, part: str) -> str:
    """Return ``part`` in the user's own spelling (case, accents), found at the end of ``text``."""
    words = text.split()
    n = len(part.split())
    candidate = " ".join(words[-n:]) if n <= len(words) else part
    return candidate.rstrip(" .!?") if _fold(candidate).rstrip(" .!?") == part else part


_YES = {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "confirm", "go", "go ahead", "do it", "please do",
        "of course", "absolutely", "oui", "ouais", "ouaip", "ouep", "o", "d'accord", "daccord", "dac", "vas-y", "vas y",
        "allez-y", "allez y", "confirme", "confirmer", "bien sur", "volontiers", "carrement", "yes please", "oui merci",
        "oui stp", "oui svp", "c'est bon", "parfait", "sync", "synchronise", "synchroniser", "👍"}
_NO = {"no", "n", "nope", "nah", "no thanks", "cancel", "stop", "don't", "dont", "not now", "later", "non", "nan",
       "non merci", "pas maintenant", "annule", "annuler", "surtout pas", "plus tard", "laisse tomber", "👎"}


def parse_yes_no(text: str) -> bool | None:
    """True / False for a yes or no in English or French; None when it is neither."""
    folded = _fold(text).strip(" .!?")
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    return None
