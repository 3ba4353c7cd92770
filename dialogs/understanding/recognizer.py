"""What a chat message asks for, from per-language data files: intent patterns, examples and vocabulary.

Each ``data/{lang}/*.yaml`` file declares its ``language`` and a map of intents, each with a ``priority``
(lower first), ``patterns`` (regular expressions on the folded message, matched whole) and ``examples``
(whole messages, for the fuzzy fallback on short messages). ``_common.yaml`` holds the courtesy words
dropped around a request and the words that tell the languages apart. People mix languages ("sync mon
pc stp"), so every language's patterns are tried on every message; the language of the pattern that
matched is a hint, not the decision (see ``language.detect``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from dialogs.understanding.language import LanguageVocabulary, build_vocabulary, detect
from dialogs.understanding.text import fold, fold_keep

__all__ = ["DATA_DIR", "Intent", "Recognizer", "RecognizerError"]

DATA_DIR = Path(__file__).parent / "data"
_EDGE = " \t.,;:!?¡¿…-–—()[]\"«»“”'*_~"
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_FUZZY_MAX_WORDS = 6
_FUZZY_AT = 88.0


class RecognizerError(ValueError):
    """A data file is malformed (wrong language, bad pattern, unknown key)."""


@dataclass(frozen=True, slots=True)
class Intent:
    """One reading of a message: ``name`` ("lookup" when no intent applies), the ``target`` it names (a device
    or user, as the user wrote it) and other ``slots`` (e.g. ``platform``, ``lang``)."""

    name: str
    target: str | None = None
    slots: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    lang: str | None = field(default=None, compare=False)  # language of the pattern that matched


@dataclass(frozen=True, slots=True)
class _Rule:
    intent: str
    priority: int
    lang: str
    pattern: re.Pattern[str]
    max_words: int | None = None  # for patterns that look for words inside a message: only short messages
    questions: bool = True  # False: a "contains" rule leaves a longer question alone ("merci, et pourquoi ... ?")


class Recognizer:
    """Loads the intent data once; ``recognize(text)`` classifies one message (~10 µs)."""

    def __init__(self, files: dict[str, list[dict[str, Any]]]) -> None:
        common = {lang: next((d for d in docs if d.get("_common")), {}) for lang, docs in files.items()}
        self.vocabulary: LanguageVocabulary = build_vocabulary(common)
        fillers: set[str] = set()
        trailing: set[str] = set()
        commands: set[str] = set()
        rules: list[_Rule] = []
        examples: dict[str, str] = {}
        self.intents: dict[str, int] = {}
        for lang, docs in files.items():
            for doc in docs:
                fillers |= {fold(x) for x in doc.get("leading_fillers", [])}
                trailing |= {fold(x) for x in doc.get("trailing_fillers", [])}
                commands |= {fold(x) for x in doc.get("command_words", [])}
                for name, spec in (doc.get("intents") or {}).items():
                    priority = int(spec.get("priority", 50))
                    self.intents[name] = min(priority, self.intents.get(name, priority))
                    for key, max_words in (("patterns", None), ("contains", spec.get("max_words", 8))):
                        for raw in spec.get(key, []) or []:
                            if key == "contains":
                                raw = rf".*\b(?:{raw})\b.*"
                            try:
                                rules.append(_Rule(name, priority, lang, re.compile(raw), max_words,
                                                   bool(spec.get("questions", key == "patterns"))))
                            except re.error as exc:
                                raise RecognizerError(f"{lang}: {name}: bad pattern {raw!r}: {exc}") from exc
                    for example in spec.get("examples", []) or []:
                        examples[fold(str(example))] = name
        rules.sort(key=lambda r: r.priority)
        self.rules = rules
        self._leading = sorted(fillers, key=len, reverse=True)
        self._trailing = sorted(trailing, key=len, reverse=True)
        self._commands = sorted(commands)
        self._examples = examples
        self._cache: dict[str, Intent] = {}

    @classmethod
    def from_dir(cls, root: Path = DATA_DIR) -> Recognizer:
        files: dict[str, list[dict[str, Any]]] = {}
        for lang_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for path in sorted(lang_dir.glob("*.yaml")):
                doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                if doc.get("language") != lang_dir.name:
                    raise RecognizerError(f"{path}: declares language {doc.get('language')!r}")
                doc["_common"] = path.name == "_common.yaml"
                files.setdefault(lang_dir.name, []).append(doc)
        return cls(files)

    # -- reading a message -------------------------------------------------------------------------
    def language(self, text: str) -> str | None:
        return detect(text, self.vocabulary)

    def core(self, folded: str) -> str:
        """The request without the courtesy around it ("ok so can you please sync my pc asap" -> "sync my pc")."""
        text = _EMOJI.sub(" ", folded).strip(_EDGE)
        changed = True
        while changed and text:
            changed = False
            for filler in self._leading:
                if text == filler:
                    return ""
                if text.startswith(filler) and not text[len(filler)].isalnum() and text[len(filler)] != "'":
                    text = text[len(filler):].strip(_EDGE)
                    changed = True
                    break
            for filler in self._trailing:
                if text.endswith(filler) and len(text) > len(filler) and not text[-len(filler) - 1].isalnum():
                    text = text[: -len(filler)].strip(_EDGE)
                    changed = True
                    break
        return " ".join(text.split())

    def repair(self, core: str) -> str:
        """Typos in the first words' command verbs: "snyc" -> "sync", "troubelshoot" -> "troubleshoot"."""
        words = core.split(" ")
        for i, word in enumerate(words[:3]):
            if len(word) < 4 or word in self._commands:
                continue
            best = _closest_command(word, tuple(self._commands))
            if best is not None:
                words[i] = best
                break
        return " ".join(words)

    def recognize(self, text: str) -> Intent:
        """The intent of one message. The same words always read the same way, so short messages that come back
        often ("yes", "thanks", "sync my device") are remembered."""
        if len(text) > 200:
            return self._recognize(text)
        cached = self._cache.get(text)
        if cached is None:
            if len(self._cache) >= 4096:
                self._cache.clear()
            cached = self._cache[text] = self._recognize(text)
        return cached

    def _recognize(self, text: str) -> Intent:
        folded = fold(text)
        if not folded:
            return Intent("empty")
        core = self.core(folded)
        candidates = [c for c in dict.fromkeys((core, self.repair(core), _EMOJI.sub(" ", folded).strip(_EDGE)))
                      if c]
        words = len(folded.split())
        question = "?" in folded and words > 4
        for rule in self.rules:
            if rule.max_words is not None and words > rule.max_words:
                continue
            if question and not rule.questions:
                continue
            for candidate in candidates:
                m = rule.pattern.fullmatch(candidate)
                if m is not None:
                    return self._intent(rule, m, text)
        if not core:
            return Intent("ack")  # only courtesy words or emoji: "ok", "👍", "hmm"
        if len(core.split()) <= _FUZZY_MAX_WORDS and self._examples:
            hit = process.extractOne(core, self._examples.keys(), scorer=fuzz.ratio, score_cutoff=_FUZZY_AT)
            if hit is not None:
                return Intent(self._examples[hit[0]])
        return Intent("lookup")

    def _intent(self, rule: _Rule, m: re.Match[str], text: str) -> Intent:
        groups = {k: v for k, v in m.groupdict().items() if v}
        target = groups.pop("target", None) or groups.pop("target2", None)
        if target is not None:
            target = clean_target(rule.intent, _original(text, target.strip(_EDGE))) or None
        slots = {k: v.strip() for k, v in groups.items()}
        if rule.intent.startswith("language_"):
            slots["lang"] = rule.intent.removeprefix("language_")
        return Intent(rule.intent, target, slots, rule.lang)

    def names(self) -> Iterable[str]:
        return self.intents.keys()


@lru_cache(maxsize=4096)
def _closest_command(word: str, commands: tuple[str, ...]) -> str | None:
    best, best_distance = None, 3
    for command in commands:
        if abs(len(command) - len(word)) > 2 or (command[0] not in word[:2] and word[0] not in command[:2]):
            continue
        distance = OSA.distance(word, command)
        allowed = 1 if len(command) <= 5 else 2
        if distance <= allowed and distance < best_distance:
            best, best_distance = command, distance
    return best


_LEAD_PREPOSITION = re.compile(
    r"^(?:of|for|on|de|du|des|d'|sur|pour|avec|with)\s*(?=(?:my|mon|ma|mes|the|le|la|les|l'|his|her|their|son|sa|ses|"
    r"leur|leurs|this|ce|cet|cette)\b)", re.IGNORECASE)
_DEVICE_NAME = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-[A-Za-z0-9-]*\d[A-Za-z0-9-]*\b")
_EMAIL = re.compile(r"[^\s@,;:()<>\"]+@[^\s@,;:()<>\"']+\.[A-Za-z]{2,}")
_ANYONE = re.compile(
    r"^(?:an?|the|one|some|un|une|l'|le|la|my|mon|ma)?\s*(?:user|person|colleague|utilisateur|utilisatrice|"
    r"personne|collegue|collègue|someone|somebody|quelqu'un|quelqu un|employee|employe|employé|account|compte)?$",
    re.IGNORECASE)
_OWN = re.compile(
    r"^(?:(?:my|mon|ma|mes|this|ce|cet|cette|one of my|un de mes|une de mes|l'un de mes|all my|tous mes)\s*)?"
    r"(?:device|devices|appareil|appareils|machine|machines|terminal|terminaux|stuff|things|affaires)?$",
    re.IGNORECASE)
_CLAUSE = re.compile(r"\s+(?:and|et|then|puis|to|pour|because|car|parce|so|since|,|\?|;)\s+.*$|[?;,].*$", re.IGNORECASE)


def clean_target(intent: str, target: str) -> str:
    """The device or user a command names, without what is around it.

    "de mon téléphone" -> "mon téléphone"; "mon ancien pc ? le DESKTOP-42OLD01" -> "DESKTOP-42OLD01" (a device
    name wins); "alice@contoso.com and tell me why..." -> "alice@contoso.com"; "my device", "quelqu'un" -> "".
    """
    target = target.strip(_EDGE)
    if intent in ("troubleshoot",):
        email = _EMAIL.search(target)
        if email:
            return email.group(0).strip(_EDGE)
        target = _CLAUSE.sub("", target).strip(_EDGE)
        return "" if _ANYONE.match(fold(target)) else target
    names = _DEVICE_NAME.findall(target)
    if len(names) == 1 and intent in ("sync", "who_synced", "sync_all", "followup_other"):
        return names[0]
    target = _LEAD_PREPOSITION.sub("", target).strip(_EDGE)
    if intent in ("sync", "sync_all", "who_synced"):
        target = _CLAUSE.sub("", target).strip(_EDGE)
        if intent == "sync" and _OWN.match(fold(target)):
            return ""
    return target


def _original(text: str, folded_part: str) -> str:
    """``folded_part`` as the user wrote it (case, accents), found from the end of ``text``."""
    if not folded_part:
        return ""
    haystack = fold_keep(text)
    at = haystack.rfind(folded_part)
    if at < 0:  # spaces were collapsed: compare word by word from the end
        words = text.split()
        n = len(folded_part.split())
        candidate = " ".join(words[-n:]) if n <= len(words) else folded_part
        return candidate.strip(_EDGE)
    return text[at: at + len(folded_part)]


_WORDS = _WORD  # re-exported for tests that count words
