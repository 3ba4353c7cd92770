"""Text normalisation shared by the index (at load) and the queries (at search time).

Both sides go through the same steps so that "Échec", "echec" and "ECHEC" meet:

1. fold: lower case, no accents, no apostrophes or punctuation;
2. chatter people wrap around a pasted message is dropped (queries only);
3. every word is cut to a light stem ("wiped", "wipes" -> "wip"; "désactivée", "désactiver" ->
   "desactiv"), so plural and verb endings of either language meet;
4. synonyms declared in the languages' ``_common.yaml`` rewrite the stemmed text to one wording
   (variants are stemmed too, so "réinitialisée" meets the variant "réinitialiser"); an expansion
   rewrites a phrase that stands for several ideas to their wordings ("réinitialiser le code
   secret" -> "reset passcode", where "réinitialiser" alone is "wipe");
5. words that carry no meaning are dropped.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

__all__ = ["Part", "Vocabulary", "fold", "salient_parts", "stem"]

_Phrase = tuple[int, int, tuple[str, ...], str]  # declaration order, anchor's place, words, wording

_APOSTROPHES = str.maketrans({"’": " ", "'": " ", "‘": " ", "`": " ", "´": " "})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Endings cut from a folded word, longest first; one cut per word, after a plural "s": French
# participles and infinitives (désactivée, désactivés, désactiver) and English "-ed". Measured,
# cutting more ("-ing", "-ation") merged words that mean different things and did not help.
_SUFFIXES: tuple[str, ...] = ("ees", "ee", "es", "ed", "er", "ez", "e")
_MIN_STEM = 4


def fold(text: str) -> str:
    """Lower-case, strip accents and apostrophes, and reduce punctuation to single spaces."""
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKD", text.lower()).translate(_APOSTROPHES)
    if not text.isascii():
        text = _COMBINING.sub("", text).replace("œ", "oe").replace("æ", "ae")
    return _NON_WORD.sub(" ", text).strip()


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English/French stem of a folded word: endings only, never below four letters.

    Deliberately crude (no dictionary): it only has to be the same for a word's forms, and it
    runs on the catalogue and the query alike, so an odd stem still meets itself.
    """
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > _MIN_STEM + 1:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def _rewrite(words: list[str], rules: Mapping[str, str], sizes: Mapping[str, tuple[int, ...]],
             longest: int | None = None) -> tuple[list[str], bool]:
    """Replace every phrase found in ``rules`` (longest first at each place), scanning once.

    Word by word with dictionary look-ups: as fast for a 4,000-character paste as a regex
    alternation of every phrase is for a short one. ``sizes`` (see :func:`_sizes`) says which
    phrase lengths start with a word, so only those are tried; ``longest`` caps them.
    """
    out: list[str] = []
    changed = False
    i, n = 0, len(words)
    while i < n:
        for size in sizes.get(words[i], ()):
            if size > n - i or (longest is not None and size > longest):
                continue
            phrase = words[i] if size == 1 else " ".join(words[i:i + size])
            wording = rules.get(phrase)
            if wording is not None:
                out.append(wording)
                i += size
                changed = True
                break
        else:
            out.append(words[i])
            i += 1
    return out, changed


def _sizes(phrases: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """First word -> the lengths (in words) of the phrases it starts, longest first."""
    by_start: dict[str, set[int]] = {}
    for phrase in phrases:
        words = phrase.split(" ")
        by_start.setdefault(words[0], set()).add(len(words))
    return {word: tuple(sorted(lengths, reverse=True)) for word, lengths in by_start.items()}


def _resolve(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Variant -> wording, where every phrase linked by synonym rules gets one wording.

    The languages declare the same idea both ways ("sync" lists "synchronisation", which lists
    "sync"); linked wordings become one, the first declared wins, and rewriting never loops.
    """
    parent: dict[str, str] = {}
    order: dict[str, int] = {}

    def root(x: str) -> str:
        if x not in parent:
            parent[x] = x
            order[x] = len(order)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for canonical, variant in edges:
        if canonical and variant:
            a, b = root(canonical), root(variant)
            if a != b:
                a, b = (a, b) if order[a] < order[b] else (b, a)
                parent[b] = a
    # A wording of several words becomes one token ("greyed out" -> "greyout"): what it stands
    # for is one idea, and its words must not be rewritten again ("grey" is a variant of it).
    rules = {phrase: root(phrase).replace(" ", "") for phrase in parent}
    return {phrase: wording for phrase, wording in rules.items() if wording != phrase}


@dataclass(frozen=True)
class Vocabulary:
    """What the languages' ``_common.yaml`` declare: words to skip, phrases to drop or rewrite."""

    skip_words: frozenset[str] = frozenset()
    keep_words: frozenset[str] = frozenset()
    weak_words: frozenset[str] = frozenset()
    rules: Mapping[str, str] = field(default_factory=dict)
    chatter: frozenset[str] = frozenset()
    # Phrases (as tokens) that say a text is about device management (see names_domain).
    domain: tuple[tuple[str, ...], ...] = ()
    _rule_sizes: Mapping[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)
    _chatter_sizes: Mapping[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)
    # Every rule of several words, found from any of its content words: word -> shapes (the word's
    # place in the phrase, the phrase's length) -> the phrases' first letters -> phrases (_Phrase).
    # A typo keeps the first letter, so only phrases whose first letters match the words around
    # are compared (~20 µs a query when every phrase of "not" was).
    _phrases: Mapping[str, tuple[tuple[int, int, Mapping[str, tuple[_Phrase, ...]]], ...]] = field(
        default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dicts(cls, commons: Iterable[Mapping[str, object]]) -> Vocabulary:
        """Merge several languages' vocabularies: queries and entries are matched across languages."""
        skip: set[str] = set()
        keep: set[str] = set()
        weak: list[str] = []
        domain: list[str] = []
        phrases: list[str] = []
        raw_edges: list[tuple[str, str]] = []
        raw_expansions: list[tuple[str, str]] = []
        for common in commons:
            for word in common.get("skip_words", []) or []:  # type: ignore[union-attr]
                skip.update(fold(str(word)).split())
            for word in common.get("keep_words", []) or []:  # type: ignore[union-attr]
                keep.update(fold(str(word)).split())
            for word in common.get("weak_words", []) or []:  # type: ignore[union-attr]
                weak.extend(fold(str(word)).split())
            for phrase in common.get("skip_phrases", []) or []:  # type: ignore[union-attr]
                phrases.append(fold(str(phrase)))
            domain.extend(str(p) for p in common.get("domain_words", []) or [])  # type: ignore[union-attr]
            for canonical, variants in (common.get("synonyms", {}) or {}).items():  # type: ignore[union-attr]
                raw_edges.extend((str(canonical), str(v)) for v in variants)
            for phrase, meaning in (common.get("expansions", {}) or {}).items():  # type: ignore[union-attr]
                raw_expansions.append((str(phrase), str(meaning)))
        whole = frozenset(skip | keep)
        plain = cls(whole)
        rules = _resolve((plain._stemmed(fold(c)), plain._stemmed(fold(v))) for c, v in raw_edges)
        # A phrase is also known by the words the other rules make of it: "impossible de
        # sélectionner" is found after "je ne peux pas sélectionner" became "cannot sélectionner".
        sizes = _sizes(rules)
        for phrase, wording in list(rules.items()):
            size = phrase.count(" ") + 1
            if size > 1:
                words, changed = _rewrite(phrase.split(), rules, sizes, size - 1)
                again = " ".join(words)
                if changed and " " in again and again not in rules:
                    rules[again] = wording
        if raw_expansions:
            # A phrase that stands for several ideas keeps them as separate words, each in its
            # one wording: "réinitialiser le code secret" is "reset passcode", not "wipe".
            synonyms = cls(frozenset(skip), whole, frozenset(), dict(rules), _rule_sizes=_sizes(rules))
            for phrase, meaning in raw_expansions:
                stemmed, wording = plain._stemmed(fold(phrase)), synonyms.canonical(fold(meaning))
                rules[stemmed] = wording
                # Also known by the words the synonyms make of it, so that a typo elsewhere in the
                # phrase is still repaired to it ("réinitialiser le code secert").
                again = synonyms.canonical(stemmed)
                if " " in again and again not in rules:
                    rules[again] = wording
        chatter = frozenset(p for p in phrases if p)
        rule_sizes, chatter_sizes = _sizes(rules), _sizes(chatter)
        vocab = cls(frozenset(skip), whole, frozenset(), rules, chatter, (), rule_sizes, chatter_sizes)
        # Weak words are known by the wording their synonyms rewrite them to ("après" -> "after").
        weak_tokens = frozenset(t for w in weak for t in vocab.canonical(w).split())
        by_word: dict[str, dict[tuple[int, int], dict[str, list[_Phrase]]]] = {}
        for order, (phrase, wording) in enumerate(rules.items()):
            words = tuple(phrase.split())
            if len(words) > 1:
                initials = "".join(w[0] for w in words)
                for i, word in enumerate(words):
                    if word not in skip:  # anchored on content words: "de" would try every phrase
                        shapes = by_word.setdefault(word, {})
                        shapes.setdefault((i, len(words)), {}).setdefault(initials, []).append(
                            (order, i, words, wording))
        phrases = {w: tuple((at, size, {k: tuple(v) for k, v in by_initials.items()})
                            for (at, size), by_initials in shapes.items())
                   for w, shapes in by_word.items()}
        named = tuple(dict.fromkeys(t for t in (tuple(w for w in vocab.canonical(fold(p)).split() if w not in skip)
                                                  for p in domain) if t))
        return cls(frozenset(skip), whole, weak_tokens, rules, chatter, named, rule_sizes, chatter_sizes, phrases)

    def surface(self, text: str) -> dict[str, tuple[str, ...]]:
        """Words of a raw text as written (whole and stemmed), each with the tokens it becomes.

        Typos are made on the words people type ("uninsstall", "waiitng"), which stemming cuts
        oddly and rewriting may replace by another wording; fuzzy matching looks at these.
        """
        out: dict[str, tuple[str, ...]] = {}
        for word in fold(text).split():
            if word in self.skip_words:
                continue
            stemmed = word if word in self.keep_words else stem(word)
            target = tuple(self.rules.get(stemmed, stemmed).split())
            out[stemmed] = target
            out[word] = target
        return out

    def variant_words(self) -> dict[str, tuple[str, ...]]:
        """Single-word synonym variants (stemmed) and the tokens each is rewritten to."""
        return {v: tuple(c.split()) for v, c in self.rules.items() if " " not in v and v not in self.skip_words}

    def _stemmed(self, folded: str) -> str:
        """Stem every word but the skip and keep words ("reports" is skipped, "report" is not;
        "disabled" (greyed out) stays apart from "disable" (the action))."""
        whole = self.keep_words
        return " ".join(w if w in whole else stem(w) for w in folded.split())

    def canonical(self, folded: str) -> str:
        """Stem a folded text and rewrite its synonyms to their one wording."""
        words = self._stemmed(folded).split()
        if self.rules:
            for _ in range(3):  # a rewrite can complete a longer phrase ("doesn't seem to" -> "doesn't")
                words, changed = _rewrite(words, self.rules, self._rule_sizes)
                if not changed:
                    break
        return " ".join(words)

    @functools.cached_property
    def _chatter_rules(self) -> dict[str, str]:
        return dict.fromkeys(self.chatter, "")

    def strip_chatter(self, folded: str) -> str:
        """Drop phrases people wrap around a pasted message ("got this:", "j'ai ce message")."""
        words = folded.split()
        if self.chatter:
            words, _ = _rewrite(words, self._chatter_rules, self._chatter_sizes)
        return " ".join(w for w in words if w)

    def tokens(self, text: str, *, query: bool = False) -> tuple[str, ...]:
        """Content tokens of a raw text, in order, each once.

        For a ``query``, wrapping chatter is dropped first, and a phrase with a typo in one of its
        words ("not manaed") is still rewritten like the phrase ("not managed").
        """
        folded = fold(text)
        if query:
            folded = self.strip_chatter(folded)
        words = self.canonical(folded).split()
        if query and self._phrases:
            repaired = self._repair(words, folded)
            if repaired != words:  # a repaired phrase can complete a longer one ("wipe le passcod")
                words = " ".join(_rewrite(repaired, self.rules, self._rule_sizes)[0]).split()
        skip = self.skip_words
        return tuple(dict.fromkeys(t for t in words if t not in skip))

    def names_domain(self, tokens: Iterable[str]) -> bool:
        """Whether query ``tokens`` name device management (a domain phrase, all its words present)."""
        present = set(tokens)
        return any(all(w in present for w in phrase) for phrase in self.domain)

    def _as_typed(self, folded: str) -> dict[str, str]:
        """Stemmed word -> the word as typed, for the words the stemmer cut."""
        return {cut: w for w in folded.split() if w not in self.keep_words and (cut := stem(w)) != w}

    def _repair(self, words: list[str], folded: str = "") -> list[str]:
        """Rewrite phrases that one typo kept the rules from seeing: every other word exact, the
        odd one one edit away (two from seven letters; a swap counts one) with the same first
        letter, long words only: "not fonud" is "not found", "bypass code" is not "pass code".
        The stemmer cuts a mistyped word oddly ("tiimed" -> "tiim"), so a word is also compared as
        typed in ``folded`` (the query before stemming): "tiimed out" is "timed out"."""
        typed: dict[str, str] | None = None
        out = list(words)
        i = 0
        while i < len(out):
            shapes = self._phrases.get(out[i])
            if shapes:
                candidates: list[_Phrase] = []
                for at, size, by_initials in shapes:
                    start = i - at
                    if start >= 0 and start + size <= len(out):
                        candidates += by_initials.get("".join(w[0] for w in out[start:start + size]), ())
                if len(candidates) > 1:
                    candidates.sort()  # the first declared phrase wins
                for _, at, phrase, wording in candidates:
                    start = i - at
                    for w, p in zip(out[start:start + len(phrase)], phrase, strict=True):
                        if w != p and not _one_typo(w, p):
                            if typed is None:
                                typed = self._as_typed(folded)
                            if w not in typed or not _one_typo(typed[w], p):
                                break
                    else:
                        out[start:start + len(phrase)] = wording.split()
                        i = start
                        break
            i += 1
        return out


def _one_typo(word: str, meant: str) -> bool:
    """Whether ``word`` is a typo of ``meant`` as :meth:`Vocabulary._repair` allows: long words, same first
    letter, one edit (two from seven letters; a swap counts one). Cheap tests first: most pairs differ early."""
    if len(meant) < _MIN_STEM or len(word) < _MIN_STEM or word[0] != meant[0]:
        return False
    edits = 1 if len(meant) < 7 else 2
    return abs(len(word) - len(meant)) <= edits and OSA.distance(word, meant, score_cutoff=edits) <= edits


# -- long posts: the parts that say what is asked ---------------------------------------------------
# A long post (a forum or GitHub question) is mostly story; what identifies the entry is in a few
# parts: an error message quoted as it appeared, the sentence that asks, and the title line.
_QUOTED = re.compile(r'"([^"\n]{6,300})"|“([^”\n]{6,300})”|«\s*([^»\n]{6,300}?)\s*»|'
                     r"(?<![A-Za-z])'([^'\n]{12,200})'(?![A-Za-z])")
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*")
_ASKING = re.compile(r"^(?:how|why|what|where|which|who|can|could|is|are|does|do|did|should|will|would|"
                     r"any|anyone|pourquoi|comment|quand|quel|quelle|quels|quelles|est-ce|peut|peux|puis|"
                     r"faut-il|o[uù])\b", re.IGNORECASE)
# A message reported without quotes: what follows "says", "shows", "error:" up to the end of its sentence.
_REPORTED = re.compile(r"\b(?:says?|saying|said|shows?|showing|reads?|displays?|message|error|erreur|affiche|indique|"
                       r"dit)\s*[:,-]?\s+(?:that\s+|que\s+|qu')?([^.!?\n]{12,200})", re.IGNORECASE)
_MAX_PARTS = 6


@dataclass(frozen=True, slots=True)
class Part:
    """A salient part of a long post: ``kind`` is "quote" (a message as it appeared), "reported" (a
    message told without quotes: "the Company Portal says his account is not licensed"), "question"
    (a sentence that asks) or "title" (the first line, which on a forum names the problem)."""

    text: str
    kind: str


def salient_parts(text: str) -> list[Part]:
    """The parts of a long post that weigh more than its story, most telling first, each once:
    quoted messages, reported ones, then the sentences that ask, then the title. Empty for a one-sentence text."""
    sentences = [s.strip() for s in _SENTENCES.split(text) if s and len(s.split()) >= 2]
    out: list[Part] = []
    seen: set[str] = set()

    def add(part: str, kind: str) -> None:
        key = fold(part)
        if len(key.split()) >= 2 and key not in seen and key != fold(text):
            seen.add(key)
            out.append(Part(part.strip(), kind))

    for m in _QUOTED.finditer(text):
        quoted = next(g for g in m.groups() if g)
        if len(quoted.split()) >= 3:
            add(quoted, "quote")
    for m in _REPORTED.finditer(text):
        if len(m.group(1).split()) >= 3:
            add(m.group(1), "reported")
    if len(sentences) > 1:
        for s in sentences:
            if s.endswith("?") or _ASKING.match(s):
                add(s, "question")
        add(sentences[0], "title")
    return out[:_MAX_PARTS]
