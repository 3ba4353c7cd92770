"""Find the catalogue entries a query is about: exact codes first, then fuzzy text matching.

How a query is read, in order:

1. Only the first ``max_chars`` characters are read (a 1 MB paste is answered about its start).
2. Code-shaped values (hex, signed, unsigned, sign dropped, ``SyncML(404)``, Windows symbols) are
   looked up exactly. If the query holds any, the answer is about those codes only: a known code
   is answered, an unknown one is reported unknown, and no look-alike message is offered.
3. Otherwise the text is folded (case, accents, apostrophes, punctuation), chatter is dropped,
   synonyms are rewritten and words are cut to a light stem, in both languages at once. Each
   content word is expanded to the catalogue words it is close to (typos, missing accents,
   prefixes). Every catalogue text that shares a word is scored by IDF-weighted coverage in both
   directions (how much of the query it explains, how much of it the query covers), blended with
   a character-level ratio. An entry also scores by how much of the query all its texts together
   explain (its other phrasings, the other language, and its answer at a lower weight), so a
   question asked in new words still meets the entry whose vocabulary it uses.
4. One answer when the best score clears ``ANSWER_AT`` and either leads the runner-up by
   ``MARGIN`` or explains clearly more of the query's content words than it does (sibling FAQ
   entries share their topic words; what tells them apart is the rest); all entries sharing the
   best text when several codes carry the same message; a short "did you mean" list between
   ``SUGGEST_AT`` and a confident answer; nothing below.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge.catalogue import KnowledgeBase
from knowledge.codes import find_codes
from knowledge.models import LANGUAGES, Entry, ErrorEntry, FaqEntry, LookupResult, Match
from knowledge.text import Vocabulary

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
MAX_TOKENS = 60
_UNKNOWN_WORD_WEIGHT = 3.0
_WEAK_WORD_FACTOR = 0.35
_CHAR_BLEND = 0.25
_BAG_BLEND = 0.3
_ANSWER_WEIGHT = 0.5
_KIND_SIM = 0.8
_RESCORE = 40
_STRONG_SIM = 0.75
_ALONE_COVER = 0.6
_CHAR_SCORER = fuzz.token_set_ratio
_SENTENCE_END = re.compile(r"(?<=[a-z)\"])[.!?]\s+(?=[A-Z])")

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


def _kind_key(entry: Entry) -> str:
    return f"error/{entry.family}" if isinstance(entry, ErrorEntry) else entry.kind


@dataclass(frozen=True, slots=True)
class _Choice:
    """One text an entry can be recognised by (a message, a name, a question or a phrasing)."""

    entry: int
    text: str
    tokens: tuple[str, ...]
    weight: float


@dataclass(slots=True)
class _Scored:
    """An entry's score for one query, with what it explains of each query word (for the decision)."""

    entry: Entry
    score: float
    text: str
    cover: list[float]
    text_cover: float
    strong: int
    parts: tuple[float, ...] = ()


def _choice_texts(entry: Entry) -> Iterable[tuple[str, float]]:
    for lang in LANGUAGES:
        if isinstance(entry, ErrorEntry):
            message = entry.texts[lang].message
            yield message, 1.0
            # "Temporarily unavailable. Looks like you couldn't reach us...": people quote the title.
            title = _SENTENCE_END.split(message, maxsplit=1)[0]
            if title != message and len(title.split()) >= 2:
                yield title, 1.0
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


class Matcher:
    """Search a :class:`KnowledgeBase`; build once (tens of ms), query many times (under 1 ms)."""

    def __init__(self, kb: KnowledgeBase, *, max_chars: int = MAX_CHARS) -> None:
        self.kb = kb
        self.max_chars = max_chars
        self.vocab = Vocabulary.from_dicts(kb.commons.get(lang, {}) for lang in LANGUAGES)
        self._entries: list[Entry] = [*kb.errors.values(), *kb.enrollment.values(), *kb.faq.values()]
        self._choices: list[_Choice] = []
        # Each entry's vocabulary: token -> weight (1 for its own texts, lower for its answer).
        bags: list[dict[str, float]] = [{} for _ in self._entries]
        surface: dict[str, tuple[str, ...]] = self.vocab.variant_words()
        for ei, entry in enumerate(self._entries):
            seen: set[str] = set()
            bag = bags[ei]
            for text, weight in _choice_texts(entry):
                surface.update(self.vocab.surface(text))
                tokens = self.vocab.tokens(text)
                key = " ".join(tokens)
                if not tokens or key in seen:
                    continue
                seen.add(key)
                self._choices.append(_Choice(ei, " ".join(sorted(tokens)), tokens, weight))
                for t in tokens:
                    bag[t] = max(bag.get(t, 0.0), weight)
            for text in _extra_texts(entry):
                for t in self.vocab.tokens(text):
                    if t not in bag:
                        bag[t] = _ANSWER_WEIGHT
        # Document frequency counts entries, not texts, so many phrasings do not dilute a word.
        df: dict[str, int] = defaultdict(int)
        bag_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for ei, bag in enumerate(bags):
            for token, weight in bag.items():
                df[token] += 1
                bag_postings[token].append((ei, weight))
        postings: dict[str, list[int]] = defaultdict(list)
        for ci, choice in enumerate(self._choices):
            for token in choice.tokens:
                postings[token].append(ci)
        n = len(self._entries) or 1
        self._idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self._postings = {t: tuple(ix) for t, ix in postings.items()}
        self._bag_postings = {t: tuple(ix) for t, ix in bag_postings.items()}
        # Words a whole text can be found by, as written before rewriting (typos are made on
        # those), each with the token it stands for; answer-only words are matched exactly.
        self._surface = {w: ts for w, ts in surface.items() if ts and all(t in postings for t in ts)}
        self._surface.update({t: (t,) for t in postings})
        self._words = sorted(self._surface)
        self._word_set = frozenset(self._words)
        self._kind_words = {
            k: frozenset(
                t for w in (*ws, *(_KIND_WORDS["error"] if k.startswith("error/") else ()))
                for t in self.vocab.tokens(w)
            )
            for k, ws in _KIND_WORDS.items()
        }

    # -- public ----------------------------------------------------------------------------
    def lookup(self, query: str) -> LookupResult:
        """Answer one query; an empty ``matches`` means "I don't know"."""
        truncated = len(query) > self.max_chars
        text = query[: self.max_chars]
        code_result = self._by_codes(text)
        if code_result is not None:
            matches, unknown, unknown_sub = code_result
            return LookupResult(query, tuple(matches), (), tuple(unknown), tuple(unknown_sub), truncated)
        scored, weights, tokens = self._score(text)
        matches, suggestions = self._decide(scored, weights, tokens)
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
        return matches, unknown, unknown_sub

    # -- text ------------------------------------------------------------------------------
    def _expand(self, token: str) -> dict[str, float]:
        """Catalogue words a query word may stand for, with a similarity in (0, 1]."""
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

        cutoff = 75 if len(token) >= 5 else 74
        for word, score, _ in process.extract(token, self._words, scorer=fuzz.ratio,
                                              score_cutoff=cutoff, limit=8):
            if word != token:
                add(word, (score / 100.0) ** 2)
        if token not in self._word_set or len(token) >= 6:
            for word in self._prefixed(token):
                add(word, 0.75 + 0.2 * min(len(word), len(token)) / max(len(word), len(token)))
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
        # For each catalogue word: the query word it stands for and how closely.
        stand_in: dict[str, tuple[int, float]] = {}
        q_weight: list[float] = []
        weak = self.vocab.weak_words
        for qi, token in enumerate(q_tokens):
            expansions = self._expand(token)
            if expansions:
                best_word = max(expansions, key=lambda w: (expansions[w], self._idf[w]))
                weight = self._idf[best_word]
            else:
                weight = _UNKNOWN_WORD_WEIGHT
            q_weight.append(weight * _WEAK_WORD_FACTOR if token in weak else weight)
            for word, sim in expansions.items():
                if word not in stand_in or stand_in[word][1] < sim:
                    stand_in[word] = (qi, sim)
        q_total = sum(q_weight)
        nq = len(q_tokens)

        # What each entry's whole vocabulary explains of each query word.
        bag_cover: dict[int, list[float]] = {}
        for word, (qi, sim) in stand_in.items():
            for ei, weight in self._bag_postings.get(word, ()):
                cover = bag_cover.get(ei)
                if cover is None:
                    cover = bag_cover[ei] = [0.0] * nq
                if sim * weight > cover[qi]:
                    cover[qi] = sim * weight

        candidates: set[int] = set()
        for word in stand_in:
            candidates.update(self._postings.get(word, ()))
        best_text: dict[int, tuple[float, _Choice, float, float]] = {}
        for ci in candidates:
            choice = self._choices[ci]
            per_q = [0.0] * nq
            c_hit = c_total = 0.0
            for token in choice.tokens:
                idf = self._idf[token]
                c_total += idf
                hit = stand_in.get(token)
                if hit is not None:
                    c_hit += idf * hit[1]
                    if hit[1] > per_q[hit[0]]:
                        per_q[hit[0]] = hit[1]
            entry = self._entries[choice.entry]
            kind_words = self._kind_words.get(_kind_key(entry), self._kind_words["error"])
            q_hit = 0.0
            for qi, token in enumerate(q_tokens):
                sim = per_q[qi]
                if sim == 0.0 and token in kind_words:
                    sim = _KIND_SIM
                q_hit += q_weight[qi] * sim
            q_cov = q_hit / q_total
            c_cov = c_hit / c_total if c_total else 0.0
            if q_cov <= 0 or c_cov <= 0:
                continue
            f = 2 * q_cov * c_cov / (q_cov + c_cov) * choice.weight
            current = best_text.get(choice.entry)
            if current is None or current[0] < f:
                best_text[choice.entry] = (f, choice, q_cov, c_cov)

        pre: list[tuple[float, int]] = []
        for ei, (f, *_rest) in best_text.items():
            pre.append((f, ei))
        pre.sort(key=lambda fe: -fe[0])
        q_text = " ".join(q_tokens)
        out: list[_Scored] = []
        for f, ei in pre[:_RESCORE]:
            _, choice, q_cov, c_cov = best_text[ei]
            entry = self._entries[ei]
            kind_words = self._kind_words.get(_kind_key(entry), self._kind_words["error"])
            cover = bag_cover.get(ei, [0.0] * nq)
            bag = sum(w * (_KIND_SIM if c < _KIND_SIM and t in kind_words else c)
                      for w, c, t in zip(q_weight, cover, q_tokens, strict=True)) / q_total
            char = _CHAR_SCORER(q_text, " ".join(choice.tokens)) / 100.0 * choice.weight
            token_score = (1 - _BAG_BLEND) * f + _BAG_BLEND * bag
            score = 100.0 * ((1 - _CHAR_BLEND) * token_score + _CHAR_BLEND * char)
            strong = sum(1 for c, t in zip(cover, q_tokens, strict=True) if c >= _STRONG_SIM and t not in weak)
            out.append(_Scored(entry, round(score, 2), choice.text, cover, c_cov, strong, (f, bag, char, q_cov)))
        out.sort(key=lambda s: -s.score)
        return out, q_weight, q_tokens

    def _decide(self, ranked: list[_Scored], weights: list[float],
                tokens: list[str]) -> tuple[list[Match], list[Match]]:
        if not ranked or ranked[0].score < SUGGEST_AT:
            return [], []
        top = ranked[0]
        if top.strong < 2 and (top.strong < 1 or top.text_cover < _ALONE_COVER):
            # One matching word is a confident answer only when it is most of the entry's text
            # ("no" is not "No status"); question words and "work" alone are never enough.
            return [], [Match(s.entry, s.score) for s in ranked[:3]]
        group = [s for s in ranked if abs(s.score - top.score) < 0.01 and s.text == top.text]
        rest = [s for s in ranked if s not in group]
        runner = rest[0] if rest else None
        if top.score >= ANSWER_AT and (runner is None or top.score - runner.score >= MARGIN
                                       or self._leads(top, runner, weights, tokens)):
            return [Match(s.entry, s.score) for s in group], []
        return [], [Match(s.entry, s.score) for s in ranked[:3]]

    def _leads(self, top: _Scored, runner: _Scored, weights: list[float], tokens: list[str]) -> bool:
        """Whether ``top`` explains clearly more of the query's words than ``runner`` does.

        Words naming the kind of entry ("app install status") are left out: they say where to
        look, not which entry it is.
        """
        kind_words = self._kind_words.get(_kind_key(top.entry), self._kind_words["error"])
        total = sum(weights) or 1.0
        net = 0.0
        for w, a, b, t in zip(weights, top.cover, runner.cover, tokens, strict=True):
            if t not in kind_words:
                net += w * (a - b)
        return net / total >= LEAD
