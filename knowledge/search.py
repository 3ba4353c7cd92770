"""Find the catalogue entries a query is about: exact codes first, then fuzzy text matching.

How a query is read, in order:

1. Only the first ``max_chars`` characters are read (a 1 MB paste is answered about its start).
2. Code-shaped values (hex, signed, unsigned, sign dropped, ``SyncML(404)``, Windows symbols) are
   looked up exactly. If the query holds any, the answer is about those codes only: a known code
   is answered, an unknown one is reported unknown, and no look-alike message is offered.
3. Otherwise the text goes through :mod:`knowledge.text` (fold, drop chatter, light stem, one
   wording per synonym group of both languages, typo-tolerant phrase repair). Each content word
   is expanded to the catalogue words it is close to: unknown words to look-alikes (typos,
   missing accents, prefixes), known words only to very close ones. Every catalogue text that
   shares a word is scored by IDF-weighted coverage in both directions (how much of the query it
   explains, how much of it the query covers); the best texts are then blended with a
   character-level ratio and with how much of the query the entry's whole vocabulary explains
   (its other phrasings, the other language, and its answer at half weight), so a question
   asked in new words still meets the entry whose words it uses.
4. An answer needs evidence: two query words the entry uses (question words count half), or
   one that is most of its text ("no" is not "No status"); for an FAQ entry, one of them must
   be a core word of the entry (its question's, or most phrasings'), so "how do I create a
   compliance policy" is not "new passcode after Remove passcode". Then one answer when the
   best score clears ``ANSWER_AT`` and either leads the runner-up by ``MARGIN`` or explains
   clearly more of the query's content words (sibling FAQ entries share their topic words; what
   tells them apart is the rest), or is the query's whole text where the runner-up is not; for a
   long question, when it clearly leads on several words, or leads less but on more evidence
   words than the runner-up; all entries sharing the best text when several codes carry the
   same message; a short "did you mean" list from ``SUGGEST_AT``; nothing below.
5. A long post (``_LONG_TOKENS`` content words or more) that names device management (the
   languages' ``domain_words``) and got no answer is read by its parts (:func:`knowledge.text.salient_parts`):
   a quoted message that is confidently one entry the whole post also ranks near the top is the
   answer; otherwise, if the whole post offered nothing, the best three entries of the post and its
   parts that clear ``_LONG_SUGGEST_AT`` on enough of their own words are offered.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
import operator
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge.catalogue import KnowledgeBase
from knowledge.codes import find_codes
from knowledge.models import LANGUAGES, Entry, ErrorEntry, FaqEntry, LookupResult, Match
from knowledge.text import Vocabulary, fold, salient_parts

__all__ = ["ANSWER_AT", "MARGIN", "SUGGEST_AT", "Matcher"]

ANSWER_AT = 60.0
"""Score (0-100) from which the best text match is given as the answer."""
MARGIN = 4.0
"""How far ahead of the runner-up (another text) the best match must be to be given alone."""
SUGGEST_AT = 45.0
"""Score from which near misses are offered as "did you mean"."""
LEAD = 0.12
"""Share of the query's content weight the best entry must explain beyond the runner-up to be
given alone when their scores are closer than ``MARGIN``."""
MAX_CHARS = 4000
CODE_CHARS = 32_000
"""Codes are looked for this far into a message (Teams caps a message at ~28 KB)."""
MAX_TOKENS = 60

# Query words: weights and look-alikes.
_UNKNOWN_WORD_WEIGHT = 3.0  # a word no entry uses says the query is about something else
_WEAK_WORD_FACTOR = 0.35  # question words, "work", "my": a hint, not a topic
_KNOWN_CUTOFF = 85.0  # a word the catalogue knows is only a typo of a very close one
_OTHER_START = 90.0  # a look-alike with another first letter must be this close
_PREFIX_SHARE = 0.6  # a prefix match must cover most of the longer word
_EXPAND_CACHE = 20_000
# Scoring.
_CHAR_BLEND = 0.25  # weight of the character-level ratio
_BAG_BLEND = 0.3  # weight of what the entry's whole vocabulary explains
_ANSWER_WEIGHT = 0.5  # an answer's words count half
_KIND_SIM = 0.8  # credit of a word naming the entry's kind ("app status", "enrollment error")
_RESCORE = 20  # entries rescored with their vocabulary and the character ratio
_SHOWN = 3  # entries a reply shows: the answer, or the did-you-mean list
_CHAR_SCORER = fuzz.token_set_ratio
_SCORE = operator.attrgetter("score")
_FIRST = operator.itemgetter(0)
_SENTENCE_END = re.compile(r"(?<=[a-z)\"])[.!?]\s+(?=[A-Z])")
# Decision: how much evidence an answer needs.
_STRONG_SIM = 0.6  # a query word counts as evidence when the entry uses it (or a close form)
_ALPHA = 0.5
_EVIDENCE = 2.0
_CORE_SHARE = 0.3  # an FAQ entry's core words: its question's and those this share of its texts use...
_CORE_IDF = 2.0  # ...that are not common words ("device")
_ALONE_COVER = 0.8  # ...unless one word is most of the entry's text
_CLEAR_AT = 50.0  # a long question in one's own words: answered from this score...
_CLEAR_LEAD = 10.0  # ...when it leads the runner-up by this much...
_CLEAR_STRONG = 3  # ...on this many evidence words
_AHEAD_LEAD = 5.0  # ...or by this much...
_AHEAD_EVIDENCE = 1.0  # ...with this many more evidence words than the runner-up
_EXACT_COVER = 0.9  # a query that is an entry's whole text, typos aside...
_EXACT_GAP = 0.05  # ...is that entry when the runner-up's text has words beyond it (or lacks one of it)
_EXACT_REST = 0.2  # ...(what its text does not explain is at most this share of the query's weight)
_NEGATIONS = frozenset({"not", "no", "cannot", "non"})  # words that turn a text into its opposite (after synonyms)
# Long posts (see Matcher._by_parts).
_LONG_TOKENS = 12  # from this many content words a post is read by its parts too
_PART_AGREE = 5  # a part's confident answer stands when the whole post ranks it among this many
_TELLING = ("quote", "reported")  # parts that may answer: a message as it appeared, quoted or told
_PART_POOL = 10  # a part's entries are offered when the whole post ranks them among this many
_LONG_SUGGEST_AT = 38.0  # the floor for offering an entry on a long post...
_LONG_EVIDENCE = 3.0  # ...when it uses this many of the post's words
_PART_EVIDENCE = 2.0  # ...or this many of a part's

# Words that say which kind of entry a query is about; they count for the query but are not
# required of the entry ("enrollment error Device cap reached", "waiting for content (app status)").
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "enrollment": ("enrollment", "enrolment", "enroll", "enrol", "inscription", "inscrire", "error", "erreur",
                   "failure", "failed", "echec", "autopilot"),
    "error": ("error", "erreur", "code", "message", "intune"),
    "error/windows-app-status": ("status", "state", "app", "application", "install", "installation", "statut",
                                 "etat", "installer", "windows", "win32", "msi", "appx"),
    "error/company-portal": ("company", "portal", "portail", "entreprise", "app", "application", "ios", "ipados",
                             "iphone", "ipad", "http"),
    "error/sync": ("sync", "synchronisation", "synchroniser", "app", "application", "retry", "reessayer"),
    "error/oma": ("syncml", "oma", "dm", "dcmo", "omadm"),
    "error/ios-service": ("ios", "ipados", "iphone", "ipad", "apple"),
    "faq": ("intune", "question"),
}


# Families whose messages are generic ("Access denied", "Element not found", "Internal server error"): a
# message of theirs is given as the answer only when the query also names where it appears; otherwise it is
# offered. Their codes are always answered exactly.
_CONTEXT_WORDS: dict[str, tuple[str, ...]] = {
    "ade-token-sync": ("token", "jeton", "ade", "dep", "abm", "asm", "apple", "business", "school", "enrollment",
                       "program", "programme", "sync", "synchronisation"),
    "windows-enrollment": ("windows", "enrollment", "enroll", "inscription", "inscrire", "mdm", "autopilot", "entra",
                           "aad", "azure", "comanagement", "cogestion", "hybrid", "hybride", "join",
                           "joined", "jonction", "intune", "pc", "laptop", "computer", "ordinateur", "portable",
                           "sccm", "configmgr"),
    "pc-client-enrollment": ("client", "agent", "software", "logiciel", "installer", "install", "installation", "pc",
                             "computer", "ordinateur", "enrollment", "enroll", "inscription", "intune"),
}


# Platforms a query or an entry can be about. An entry whose own texts name only other platforms
# than the one asked about is offered, not given: "reset the passcode on an iPhone" is not the
# Android work-profile passcode question, however many words they share.
_PLATFORMS: dict[str, tuple[str, ...]] = {
    "apple": ("ios", "ipados", "iphone", "ipad", "apple", "macos", "mac"),
    "android": ("android",),
    "windows": ("windows", "win32"),
}


# Families whose every entry is about one platform, though its message may not name it ("The user has already
# enrolled too many devices" is a Windows enrollment value, not the answer for an Android phone).
_FAMILY_PLATFORMS: dict[str, frozenset[str]] = {
    "windows-enrollment": frozenset({"windows"}), "pc-client-enrollment": frozenset({"windows"}),
    "windows-app-install": frozenset({"windows"}), "windows-app-status": frozenset({"windows"}),
    "android-app-install": frozenset({"android"}), "ios-app-install": frozenset({"apple"}),
    "macos-app-install": frozenset({"apple"}), "ios-enrollment": frozenset({"apple"}),
    "ade-token-sync": frozenset({"apple"}), "ios-service": frozenset({"apple"}),
}


def _kind_key(entry: Entry) -> str:
    return f"error/{entry.family}" if isinstance(entry, ErrorEntry) else entry.kind


@dataclass(frozen=True, slots=True)
class _Choice:
    """One text an entry can be recognised by (a message, a name, a question or a phrasing)."""

    entry: int
    text: str
    tokens: tuple[str, ...]
    weight: float
    # Every text of the entry these words stand for (its other language's often reads the same once
    # synonyms apply), as written and folded: they break ties between entries whose texts mean the same.
    written: tuple[str, ...]
    raws: tuple[str, ...]


@dataclass(slots=True)
class _Scored:
    """An entry's score for one query, with what it explains of each query word (for the decision)."""

    entry: Entry
    score: float
    text: str
    choice: int
    cover: list[float]
    text_cover: float
    strong: float


def _choice_texts(entry: Entry) -> Iterable[tuple[str, float]]:
    for lang in LANGUAGES:
        if isinstance(entry, ErrorEntry):
            message = entry.texts[lang].message
            yield message, 1.0
            # "Temporarily unavailable. Looks like you couldn't reach us...": people quote the title.
            title = _SENTENCE_END.split(message, maxsplit=1)[0]
            if title != message and len(title.split()) >= 2:
                yield title, 1.0
            for other in entry.texts[lang].also:
                yield other, 1.0
        elif entry.kind == "enrollment":
            yield entry.texts[lang].name, 1.0  # type: ignore[union-attr]
            yield entry.texts[lang].details, 0.85  # type: ignore[union-attr]
        else:
            yield entry.texts[lang].question, 1.0  # type: ignore[union-attr]
            for phrasing in entry.texts[lang].phrasings:  # type: ignore[union-attr]
                yield phrasing, 1.0


def _extra_texts(entry: Entry) -> Iterable[str]:
    """Texts that only widen an entry's vocabulary (never matched as a whole): FAQ answers."""
    if isinstance(entry, FaqEntry):
        for lang in LANGUAGES:
            yield entry.texts[lang].answer


def _closest_first(tied: list[_Scored], text: str, typed: str, choices: list[_Choice], *,
                   by_writing: bool) -> list[_Scored]:
    """Order entries with equal scores: the text read closest to what was typed first. Texts read the same
    way (one message under several codes, in either language) are then ordered by how they are written:
    the longest quoted as written, brackets before case ("internal error" is "Internal error" before it is
    "(internal error)", which is not "(Internal error)"), then the closest written."""
    read_by_raws: dict[tuple[str, ...], float] = {}  # one message under several codes: read once
    for s in tied:
        raws = choices[s.choice].raws
        if raws not in read_by_raws:
            read_by_raws[raws] = max(fuzz.ratio(typed, raw) for raw in raws)
    read = {id(s): read_by_raws[choices[s.choice].raws] for s in tied}
    tied = sorted(tied, key=lambda s: -read[id(s)])
    if not by_writing or len({choices[s.choice].written for s in tied}) == 1:
        return tied
    lower = text.lower()
    keys: dict[tuple[str, ...], tuple[float, ...]] = {}

    def written(s: _Scored) -> tuple[float, ...]:
        forms = choices[s.choice].written
        key = keys.get(forms)
        if key is None:
            key = keys[forms] = (
                -max((len(w) for w in forms if w.lower() in lower), default=0),
                -max((len(w) for w in forms if w in text), default=0),
                -max(fuzz.partial_ratio(lower, w.lower()) for w in forms),
                -max(fuzz.partial_ratio(text, w) for w in forms))
        return key

    out: list[_Scored] = []
    for _, same in itertools.groupby(tied, key=lambda s: read[id(s)]):
        group = list(same)
        out += sorted(group, key=written) if len(group) > 1 else group
    return out


class Matcher:
    """Search a :class:`KnowledgeBase`; build once (tens of ms), query many times (under 1 ms)."""

    def __init__(self, kb: KnowledgeBase, *, max_chars: int = MAX_CHARS) -> None:
        self.kb = kb
        self.max_chars = max_chars
        self.vocab = Vocabulary.from_dicts(kb.commons.get(lang, {}) for lang in LANGUAGES)
        self._entries: list[Entry] = [*kb.errors.values(), *kb.enrollment.values(), *kb.faq.values()]
        self._choices: list[_Choice] = []
        # Each entry's vocabulary: token -> weight (1 for its own texts, lower for its answer).
        self._bags: list[dict[str, float]] = [{} for _ in self._entries]
        surface: dict[str, tuple[str, ...]] = self.vocab.variant_words()
        for ei, entry in enumerate(self._entries):
            kept: dict[str, int] = {}  # words -> the entry's choice for them
            bag = self._bags[ei]
            for text, weight in _choice_texts(entry):
                surface.update(self.vocab.surface(text))
                tokens = self.vocab.tokens(text)
                key = " ".join(sorted(tokens))
                if not tokens:
                    continue
                if key in kept:
                    same = self._choices[kept[key]]
                    self._choices[kept[key]] = dataclasses.replace(
                        same, written=(*same.written, text), raws=(*same.raws, fold(text)))
                    continue
                kept[key] = len(self._choices)
                self._choices.append(_Choice(ei, key, tokens, weight, (text,), (fold(text),)))
                for t in tokens:
                    bag[t] = max(bag.get(t, 0.0), weight)
            for text in _extra_texts(entry):
                for t in self.vocab.tokens(text):
                    if t not in bag:
                        bag[t] = _ANSWER_WEIGHT
        # Document frequency counts entries, not texts, so many phrasings do not dilute a word.
        df: dict[str, int] = defaultdict(int)
        for bag in self._bags:
            for token in bag:
                df[token] += 1
        n = len(self._entries) or 1
        self._idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        postings: dict[str, list[int]] = defaultdict(list)
        for ci, choice in enumerate(self._choices):
            for token in choice.tokens:
                postings[token].append(ci)
        self._postings = {t: tuple(ix) for t, ix in postings.items()}
        self._c_total = [sum(self._idf[t] for t in c.tokens) for c in self._choices]
        self._choice_entry = [c.entry for c in self._choices]
        self._choice_weight = [c.weight for c in self._choices]
        kinds = sorted({_kind_key(e) for e in self._entries} | set(_KIND_WORDS))
        self._kind_words = {
            k: frozenset(
                t for w in (*_KIND_WORDS.get(k, ()), *_KIND_WORDS["error"] * (k.startswith("error/") or k == "error"))
                for t in self.vocab.tokens(w)
            )
            for k in kinds
        }
        self._kind_names = kinds
        self._context = {fam: frozenset(t for w in words for t in self.vocab.tokens(w))
                         for fam, words in _CONTEXT_WORDS.items()}
        self._kind_tokens = frozenset().union(*self._kind_words.values())
        self._entry_index = {(e.id, e.kind): ei for ei, e in enumerate(self._entries)}
        # The platforms each entry's own texts name (not its answer's, which may compare platforms).
        self._platform_of = {t: name for name, words in _PLATFORMS.items() for w in words for t in self.vocab.tokens(w)}
        self._entry_platforms = [
            frozenset(self._platform_of[t] for t, weight in bag.items() if weight >= 1.0 and t in self._platform_of)
            | _FAMILY_PLATFORMS.get(getattr(entry, "family", ""), frozenset())
            for entry, bag in zip(self._entries, self._bags, strict=True)]
        entry_kind = [kinds.index(_kind_key(e)) for e in self._entries]
        self._choice_kind = [entry_kind[c.entry] for c in self._choices]
        self._entry_kind = entry_kind
        # Words a whole text can be found by, as written before rewriting (typos are made on
        # those), each with the token it stands for; answer-only words are matched exactly.
        # An FAQ entry's core words: its question's, and those most of its phrasings use
        # ("passcode", "remove" for "new passcode after Remove passcode"). A question about the
        # entry names one of them; "how do I create a compliance policy" names none.
        self._core: list[frozenset[str] | None] = [None] * len(self._entries)
        for ei, entry in enumerate(self._entries):
            if isinstance(entry, FaqEntry):
                texts = [c.tokens for c in self._choices if c.entry == ei]
                counts: dict[str, int] = defaultdict(int)
                for tokens in texts:
                    for t in tokens:
                        counts[t] += 1
                named = {t for lang in LANGUAGES for t in self.vocab.tokens(entry.texts[lang].question)}
                self._core[ei] = frozenset(
                    t for t, n in counts.items()
                    if (t in named or n >= _CORE_SHARE * len(texts)) and self._idf[t] >= _CORE_IDF
                    and t not in self.vocab.weak_words and t not in self._kind_words["faq"])
        self._surface = {w: ts for w, ts in surface.items() if ts and all(t in postings for t in ts)}
        self._surface.update({t: (t,) for t in postings})
        self._words = sorted(self._surface)
        self._word_set = frozenset(self._words)
        self._expanded: dict[str, dict[str, float]] = {}

    # -- public ----------------------------------------------------------------------------
    def lookup(self, query: str) -> LookupResult:
        """Answer one query; an empty ``matches`` means "I don't know".

        Codes are read in the first ``CODE_CHARS`` characters (a whole pasted log: the code is often on its last
        line); words only in the first ``max_chars``."""
        truncated = len(query) > self.max_chars
        text = query[: self.max_chars]
        code_result = self._by_codes(query[:CODE_CHARS])
        if code_result is not None:
            matches, unknown, unknown_sub = code_result
            return LookupResult(query, tuple(matches), (), tuple(unknown), tuple(unknown_sub),
                                len(query) > CODE_CHARS)
        scored, weights, tokens = self._score(text)
        matches, suggestions = self._decide(scored, weights, tokens)
        if not matches and len(tokens) >= _LONG_TOKENS and self.vocab.names_domain(tokens):
            matches, suggestions = self._by_parts(text, scored, suggestions)
        return LookupResult(query, tuple(matches), tuple(suggestions), truncated=truncated)

    def rank(self, query: str, limit: int = 10) -> list[Match]:
        """Raw text ranking, best first (for debugging and the benchmark)."""
        scored, _, _ = self._score(query[: self.max_chars])
        return [Match(s.entry, s.score) for s in scored[:limit]]

    # -- codes -----------------------------------------------------------------------------
    def _by_codes(self, text: str) -> tuple[list[Match], list[int], list[str]] | None:
        mentions = find_codes(text)
        if not mentions:
            return None
        matches: list[Match] = []
        unknown: list[int] = []
        unknown_sub: list[str] = []
        seen: set[str] = set()

        def add(entries: Iterable[ErrorEntry]) -> None:
            for e in entries:
                if e.id not in seen:
                    seen.add(e.id)
                    matches.append(Match(e, 100.0, exact=True))

        for mention in mentions:
            if mention.symbol:
                entries = self.kb.by_symbol.get(mention.symbol, ())
                if len(entries) > 1:
                    # One symbol names several statuses: let the words around it choose.
                    ranked = [m for m in self.rank(text) if m.entry in entries]
                    entries = tuple(m.entry for m in ranked[:1]) or entries  # type: ignore[misc]
                add(entries)
            elif mention.app_status is not None:
                add(e for e in self.kb.by_code.get(mention.app_status, ()) if e.family == "windows-app-status")
            elif mention.subcode:
                entries = self.kb.subcode_entries(mention.subcode)
                if entries:
                    add(entries)
                else:
                    unknown_sub.append(mention.text)
            else:
                known = next((c for c in mention.candidates if c in self.kb.by_code), None)
                if known is not None:
                    add(self.kb.by_code[known])
                elif mention.candidates[0] not in unknown:
                    unknown.append(mention.candidates[0])
        if not (matches or unknown or unknown_sub):
            return None  # only a status word next to a number that names no status: read the words
        return matches, unknown, unknown_sub

    # -- text ------------------------------------------------------------------------------
    def _expand(self, token: str) -> dict[str, float]:
        """Catalogue words a query word may stand for, with a similarity in (0, 1] (cached)."""
        cached = self._expanded.get(token)
        if cached is None:
            if len(self._expanded) >= _EXPAND_CACHE:
                self._expanded.clear()
            cached = self._expanded[token] = self._expand_uncached(token)
        return cached

    def _expand_uncached(self, token: str) -> dict[str, float]:
        out: dict[str, float] = {}
        if token in self._idf:
            out[token] = 1.0
        if len(token) < 4:
            return out
        surface = self._surface

        def add(word: str, sim: float) -> None:
            for target in surface[word]:
                if target != token and out.get(target, 0.0) < sim:
                    out[target] = sim

        # A word the catalogue knows is taken as typed: its look-alikes are other words
        # ("correctement" is not "incorrectement"); only unknown words are read as typos.
        known = token in self._word_set
        cutoff = _KNOWN_CUTOFF if known else 75 if len(token) >= 5 else 74
        for word, score, _ in process.extract(token, self._words, scorer=fuzz.ratio,
                                              score_cutoff=cutoff, limit=8):
            if word != token and (word[0] == token[0] or score >= _OTHER_START):
                add(word, (score / 100.0) ** 2)  # typos rarely touch the first letter
        if not known:
            for word in self._prefixed(token):
                share = min(len(word), len(token)) / max(len(word), len(token))
                if share >= _PREFIX_SHARE:  # "privileg" is not what "privilegedoperations" means
                    add(word, 0.75 + 0.2 * share)
        return out

    def _prefixed(self, token: str) -> Iterable[str]:
        """Catalogue words (4+ letters) that start with ``token`` or that ``token`` starts with."""
        words = self._words
        i = bisect.bisect_left(words, token)
        while i < len(words) and words[i].startswith(token):
            if words[i] != token:
                yield words[i]
            i += 1
        for cut in range(4, len(token)):
            if token[:cut] in self._word_set:
                yield token[:cut]

    def _score(self, text: str) -> tuple[list[_Scored], list[float], list[str]]:
        """Every entry sharing a word with the query, best first, and the query words' weights."""
        q_tokens = list(self.vocab.tokens(text, query=True)[:MAX_TOKENS])
        if not q_tokens:
            return [], [], []
        idf = self._idf
        weak = self.vocab.weak_words
        # For each catalogue word: the query word it stands for and how closely.
        stand_in: dict[str, tuple[int, float]] = {}
        q_weight: list[float] = []
        for qi, token in enumerate(q_tokens):
            near = self._expand(token)
            weight = idf[max(near, key=lambda w: (near[w], idf[w]))] if near else _UNKNOWN_WORD_WEIGHT
            q_weight.append(weight * _WEAK_WORD_FACTOR if token in weak else weight)
            for word, sim in near.items():
                if word not in stand_in or stand_in[word][1] < sim:
                    stand_in[word] = (qi, sim)
        q_total = sum(q_weight)
        # Query words that name a kind of entry count (a little) for every entry of that kind.
        names_kind = [t in self._kind_tokens for t in q_tokens]
        if any(names_kind):
            kind_words = self._kind_words
            kind_bonus = [[q_weight[qi] * _KIND_SIM if t in kind_words[k] else 0.0 for qi, t in enumerate(q_tokens)]
                          for k in self._kind_names]
            kind_base = [sum(b) for b in kind_bonus]
        else:  # most queries: no credit to hand out (read-only rows, shared)
            kind_bonus = [[0.0] * len(q_tokens)] * len(self._kind_names)
            kind_base = [0.0] * len(self._kind_names)
        # Each catalogue word stands for one query word (the one it is closest to).
        owned: list[list[tuple[str, float]]] = [[] for _ in q_tokens]
        for word, (qi, sim) in stand_in.items():
            owned[qi].append((word, sim))

        # What each text covers of the query (c_hit) and how much of the query it covers (q_gain: per
        # query word, its closest catalogue word in the text, less the credit its kind already gives).
        # A query word with one catalogue word and no kind credit (most of them) is counted on both
        # sides in one walk of the word's texts.
        postings = self._postings
        c_hit: dict[int, float] = defaultdict(float)  # in the order texts are met: it orders equal scores
        q_gain = [0.0] * len(self._choices)
        single = [len(words) == 1 and not names_kind[qi] for qi, words in enumerate(owned)]
        for word, (qi, sim) in stand_in.items():
            gain = idf[word] * sim
            if single[qi]:
                q_part = q_weight[qi] * sim
                for ci in postings.get(word, ()):
                    c_hit[ci] += gain
                    q_gain[ci] += q_part
            else:
                for ci in postings.get(word, ()):
                    c_hit[ci] += gain
        choice_kind = self._choice_kind
        for qi, words in enumerate(owned):
            if single[qi]:
                continue
            if len(words) == 1:
                word, sim = words[0]
                sims: Iterable[tuple[int, float]] = ((ci, sim) for ci in postings.get(word, ()))
            else:
                closest: dict[int, float] = {}
                for word, sim in words:
                    for ci in postings.get(word, ()):
                        if closest.get(ci, 0.0) < sim:
                            closest[ci] = sim
                sims = closest.items()
            weight = q_weight[qi]
            if not names_kind[qi]:
                for ci, sim in sims:
                    q_gain[ci] += weight * sim
            else:
                for ci, sim in sims:
                    extra = weight * sim - kind_bonus[choice_kind[ci]][qi]
                    if extra > 0:
                        q_gain[ci] += extra
        best_text: dict[int, tuple[float, int, float, int]] = {}  # entry -> (f, text, c_cov, entry)
        c_total, c_entry, c_weight = self._c_total, self._choice_entry, self._choice_weight
        alpha, beta = _ALPHA, 1 - _ALPHA
        best_get = best_text.get
        if any(names_kind):  # the credit a text's kind gives (read here, for the texts met only)
            for ci in c_hit:
                q_gain[ci] = kind_base[choice_kind[ci]] + q_gain[ci]
        for ci, hit in c_hit.items():
            q_cov = q_gain[ci] / q_total
            c_cov = hit / c_total[ci]
            f = q_cov * c_cov / (alpha * c_cov + beta * q_cov) * c_weight[ci]
            ei = c_entry[ci]
            current = best_get(ei)
            if current is None or current[0] < f:
                best_text[ei] = (f, ci, c_cov, ei)

        # sorted() rather than heapq.nlargest (pure Python with a key): same order, ties included.
        top = sorted(best_text.values(), key=_FIRST, reverse=True)[:_RESCORE]
        q_text = " ".join(q_tokens)
        choices = self._choices
        # Character-level closeness of each text kept (token_set_ratio ignores word order, so the
        # text's sorted key serves), in one call.
        char_of = {i: sc for _, sc, i in process.extract(
            q_text, [choices[ci].text for _, ci, _, _ in top], scorer=_CHAR_SCORER, limit=None)}
        q_is_weak = [t in weak for t in q_tokens]
        bags, entry_kind, cores, entries = self._bags, self._entry_kind, self._core, self._entries
        # Words close enough to a query word to name an FAQ entry's core (see _decide).
        core_words = frozenset(w for words in owned for w, sim in words if sim >= _STRONG_SIM)
        half_strong = _ANSWER_WEIGHT * _STRONG_SIM
        out: list[_Scored] = []
        for rank, (f, ci, c_cov, ei) in enumerate(top):
            choice = choices[ci]
            bag_get = bags[ei].get
            bonus = kind_bonus[entry_kind[ei]]
            # What the entry's whole vocabulary explains of each query word, and the evidence:
            # query words the entry itself uses (not only in its answer), weak ones counting half.
            cover: list[float] = []
            explained = strong = 0.0
            content = False
            core = cores[ei]
            core_hit = core is None or not core.isdisjoint(core_words)
            for qi, words in enumerate(owned):
                if len(words) == 1:
                    w, sim = words[0]
                    best = sim * bag_get(w, 0.0)
                else:
                    best = 0.0
                    for w, sim in words:
                        weight = bag_get(w)
                        if weight is not None and sim * weight > best:
                            best = sim * weight
                cover.append(best)
                part = q_weight[qi] * best
                explained += part if part >= bonus[qi] else bonus[qi]
                if best >= half_strong:
                    # A word only its answer uses, or a weak word, counts half.
                    is_weak = q_is_weak[qi]
                    strong += 0.5 if is_weak or best < _STRONG_SIM else 1.0
                    content = content or (not is_weak and best >= _STRONG_SIM)
            char = char_of[rank] / 100.0 * choice.weight
            token_score = (1 - _BAG_BLEND) * f + _BAG_BLEND * explained / q_total
            score = 100.0 * ((1 - _CHAR_BLEND) * token_score + _CHAR_BLEND * char)
            out.append(_Scored(entries[ei], round(score, 2), choice.text, ci, cover, c_cov,
                               strong if content and (core_hit or c_cov >= _ALONE_COVER) else 0.0))
        # Equal scores (one message under several codes, or "Wrong passcode" and "Invalid
        # passcode" once synonyms are applied): the text closer to what was typed comes first.
        out.sort(key=_SCORE, reverse=True)  # stable: equal scores keep their order
        if any(a.score == b.score for a, b in itertools.pairwise(out)):
            typed = fold(text)
            i = 0
            while i < len(out):
                j = i + 1
                while j < len(out) and out[j].score == out[i].score:
                    j += 1
                if j - i > 1:  # how the texts are written decides only among what is shown (top three)
                    out[i:j] = _closest_first(out[i:j], text, typed, choices, by_writing=i < _SHOWN)
                i = j
        return out, q_weight, q_tokens

    def _decide(self, ranked: list[_Scored], weights: list[float],
                tokens: list[str]) -> tuple[list[Match], list[Match]]:
        if not ranked or ranked[0].score < SUGGEST_AT:
            return [], []
        top = ranked[0]
        asked = {self._platform_of[t] for t in tokens if t in self._platform_of}
        suggestions = [Match(s.entry, s.score) for s in ranked[:3]]
        if asked and self._other_platform(ranked[0], asked):
            # Offered, not given; the entries about the platform asked about come first.
            return [], sorted(suggestions, key=lambda m: self._other_platform(m, asked))
        if top.strong < _EVIDENCE and (top.strong < 1 or top.text_cover < _ALONE_COVER):
            # One matching word is a confident answer only when it is most of the entry's text
            # ("no" is not "No status"); question words and "work" alone are never enough.
            return [], suggestions
        group = [s for s in ranked if abs(s.score - top.score) < 0.01 and s.text == top.text]
        in_group = {id(s) for s in group}  # by identity: comparing dataclasses compares whole entries
        rest = [s for s in ranked if id(s) not in in_group]
        runner = rest[0] if rest else None
        lead = top.score - runner.score if runner is not None else top.score
        answer = [Match(s.entry, s.score) for s in group]
        if self._needs_context(top.entry, tokens):
            return [], suggestions  # a generic message, and the query does not say where it appeared
        if top.score >= ANSWER_AT and (lead >= MARGIN or (runner and (
                self._leads(top, runner, weights, tokens) or self._is_the_text(top, runner, weights, tokens)))):
            return answer, []
        if top.score >= _CLEAR_AT and lead >= _CLEAR_LEAD and top.strong >= _CLEAR_STRONG:
            # A long question in one's own words scores lower (much of it is in no entry), but
            # when one entry explains several of its words and nothing else comes close, it is it.
            return answer, []
        if (lead >= _AHEAD_LEAD and top.strong >= _CLEAR_STRONG
                and top.strong >= (runner.strong if runner else 0.0) + _AHEAD_EVIDENCE):
            # ...and when it leads less, but on evidence: more of the question's words are its own.
            return answer, []
        return [], suggestions

    def _by_parts(self, text: str, whole: list[_Scored], offered: list[Match]) -> tuple[list[Match], list[Match]]:
        """A long post about device management (it names the domain: Intune, wipe, enrollment
        restriction...) with no confident answer, read by its parts (quoted messages, the sentences
        that ask, the title).

        A quoted message that is confidently one entry answers when the whole post also ranks that
        entry near the top (a title or a question alone answered wrongly on real posts: "Unable to
        sign in" is many things). Otherwise, when the whole post offered nothing, the best three
        entries are offered, each clearing a lower floor on enough words of its own: from the whole post, or from a part when the post also
        ranks the entry (the story still counts a little: "can't log in to Outlook after changing
        the password" is not a passcode question because one of its sentences says "password").
        """
        near = {(s.entry.id, s.entry.kind) for s in whole[:_PART_AGREE]}
        ranked_whole = {(s.entry.id, s.entry.kind) for s in whole[:_PART_POOL]}
        pool: dict[tuple[str, str], _Scored] = {}

        def pool_add(s: _Scored, evidence: float) -> None:
            key = (s.entry.id, s.entry.kind)
            if s.score >= _LONG_SUGGEST_AT and s.strong >= evidence and (
                    key not in pool or pool[key].score < s.score):
                pool[key] = s

        for s in whole[:_SHOWN * 2]:
            pool_add(s, _LONG_EVIDENCE)
        for part in salient_parts(text):
            scored, weights, tokens = self._score(part.text)
            if not scored:
                continue
            matches, _ = self._decide(scored, weights, tokens)
            if part.kind in _TELLING and matches and (matches[0].entry.id, matches[0].entry.kind) in near:
                return matches, []  # a message quoted as it appeared, and the post agrees
            for s in scored[:_SHOWN]:
                if (s.entry.id, s.entry.kind) in ranked_whole:
                    pool_add(s, _PART_EVIDENCE)
        if offered:
            return [], offered  # the whole post already came close enough to offer its best three
        ranked = sorted(pool.values(), key=_SCORE, reverse=True)
        return [], [Match(s.entry, s.score) for s in ranked[:_SHOWN]]

    def _needs_context(self, entry: Entry, tokens: list[str]) -> bool:
        """Whether ``entry`` is a generic message of a family that must be named in the query to be the answer."""
        context = self._context.get(entry.family) if isinstance(entry, ErrorEntry) else None
        return context is not None and context.isdisjoint(tokens)

    def _other_platform(self, scored: _Scored | Match, asked: set[str]) -> bool:
        """Whether the entry is about other platforms only than those ``asked`` about."""
        named = self._entry_platforms[self._entry_index[scored.entry.id, scored.entry.kind]]
        return bool(named) and not named & asked

    def _is_the_text(self, top: _Scored, runner: _Scored, weights: list[float], tokens: list[str]) -> bool:
        """Whether the query holds ``top``'s whole text (typos aside) and ``runner``'s text only in part:
        sibling messages that differ by one word ("User is allowed" / "User is not allowed to re-enable
        it") score close, but only one of them is all in the query and explains every word the other does."""
        if top.text_cover < _EXACT_COVER:
            return False
        # ...and the query is that text: "why wasn't my app uninstalled" holds "Not an app", but is not it.
        unexplained = sum(w for w, cover in zip(weights, top.cover, strict=True) if cover < _STRONG_SIM)
        if unexplained > _EXACT_REST * sum(weights):
            return False
        weak = self.vocab.weak_words
        content = [qi for qi, t in enumerate(tokens) if t not in weak]
        if any(runner.cover[qi] >= _STRONG_SIM > top.cover[qi] for qi in content):
            return False
        if self._negated_beyond(runner, tokens) and not self._negated_beyond(top, tokens):
            # "...was rolled back successfully" is not "...was not rolled back successfully", however
            # common "not" is in the catalogue (its weight alone may not set the two texts apart).
            return True
        return (runner.text_cover <= top.text_cover - _EXACT_GAP
                or any(top.cover[qi] >= _STRONG_SIM > runner.cover[qi] for qi in content))

    def _negated_beyond(self, scored: _Scored, tokens: list[str]) -> bool:
        """Whether the entry's matched text holds a negation the query does not."""
        return not _NEGATIONS.isdisjoint(self._choices[scored.choice].tokens) and _NEGATIONS.isdisjoint(tokens)

    def _leads(self, top: _Scored, runner: _Scored, weights: list[float], tokens: list[str]) -> bool:
        """Whether ``top`` explains clearly more of the query's words than ``runner`` does.

        Words naming the kind of entry ("app install status") are left out: they say where to
        look, not which entry it is.
        """
        kind_words = self._kind_words[_kind_key(top.entry)]
        total = sum(weights) or 1.0
        net = 0.0
        for w, a, b, t in zip(weights, top.cover, runner.cover, tokens, strict=True):
            if t not in kind_words:
                net += w * (a - b)
        return net / total >= LEAD
