"""Find the catalogue entries a query is about: exact codes first, then fuzzy text matching.

How a query is read, in order:

1. Only the first ``max_chars`` characters are read (a 1 MB paste is answered about its start).
2. Code-shaped values (hex, signed, unsigned, sign dropped, ``SyncML(404)``, Windows symbols) are
   looked up exactly. If the query holds any, the answer is about those codes only: a known code
   is answered, an unknown one is reported unknown, and no look-alike message is offered.
3. Otherwise the text is folded (case, accents, apostrophes, punctuation), chatter is dropped and
   synonyms are rewritten, in both languages at once. Each content word is expanded to the
   catalogue words it is close to (typos, missing accents, prefixes), and every catalogue text that
   shares a word is scored by IDF-weighted coverage in both directions (how much of the query it
   explains, how much of it the query covers), blended with a character-level ratio.
4. One answer when the best score clears ``ANSWER_AT`` and leads the runner-up by ``MARGIN``;
   all entries sharing the best text when several codes carry the same message; a short "did you
   mean" list between ``SUGGEST_AT`` and a confident answer; nothing below.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge.catalogue import KnowledgeBase
from knowledge.codes import find_codes
from knowledge.models import LANGUAGES, Entry, ErrorEntry, LookupResult, Match
from knowledge.text import Vocabulary, fold

__all__ = ["ANSWER_AT", "MARGIN", "SUGGEST_AT", "Matcher"]

ANSWER_AT = 60.0
"""Score (0-100) from which the best text match is given as the answer."""
MARGIN = 4.0
"""How far ahead of the runner-up (another text) the best match must be to be given alone."""
SUGGEST_AT = 45.0
"""Score from which near misses are offered as "did you mean"."""
MAX_CHARS = 4000
MAX_TOKENS = 60
_UNKNOWN_WORD_WEIGHT = 0.6
_CHAR_BLEND = 0.25

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
    entry: Entry
    text: str
    tokens: tuple[str, ...]
    weight: float


def _choice_texts(entry: Entry) -> Iterable[tuple[str, float]]:
    for lang in LANGUAGES:
        if isinstance(entry, ErrorEntry):
            yield entry.texts[lang].message, 1.0
        elif entry.kind == "enrollment":
            yield entry.texts[lang].name, 1.0  # type: ignore[union-attr]
            yield entry.texts[lang].details, 0.85  # type: ignore[union-attr]
        else:
            yield entry.texts[lang].question, 1.0  # type: ignore[union-attr]
            for phrasing in entry.texts[lang].phrasings:  # type: ignore[union-attr]
                yield phrasing, 1.0


class Matcher:
    """Search a :class:`KnowledgeBase`; build once (about 100 ms), query many times (about 1 ms)."""

    def __init__(self, kb: KnowledgeBase, *, max_chars: int = MAX_CHARS) -> None:
        self.kb = kb
        self.max_chars = max_chars
        self.vocab = Vocabulary.from_dicts(kb.commons.get(lang, {}) for lang in LANGUAGES)
        entries: list[Entry] = [*kb.errors.values(), *kb.enrollment.values(), *kb.faq.values()]
        self._choices: list[_Choice] = []
        seen: set[tuple[str, str, str]] = set()
        for entry in entries:
            for text, weight in _choice_texts(entry):
                canon = self._canon(text)
                key = (entry.kind, entry.id, canon)
                if not canon or key in seen:
                    continue
                seen.add(key)
                tokens = tuple(dict.fromkeys(self.vocab.tokens(canon)))
                if tokens:
                    self._choices.append(_Choice(entry, canon, tokens, weight))
        # Document frequency counts entries, not texts, so many phrasings do not dilute a word.
        df: dict[str, set[tuple[str, str]]] = defaultdict(set)
        postings: dict[str, list[int]] = defaultdict(list)
        for i, choice in enumerate(self._choices):
            for token in choice.tokens:
                df[token].add((choice.entry.kind, choice.entry.id))
                postings[token].append(i)
        n = len(entries) or 1
        self._idf = {t: math.log((n + 1) / (len(ids) + 0.5)) for t, ids in df.items()}
        self._postings = {t: tuple(ix) for t, ix in postings.items()}
        self._words = list(self._idf)
        self._word_set = frozenset(self._words)
        self._kind_words = {
            k: frozenset(
                t for w in (*ws, *(_KIND_WORDS["error"] if k.startswith("error/") else ()))
                for t in self.vocab.canonical(fold(w)).split()
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
        ranked = self._rank(text)
        matches, suggestions = self._decide(ranked)
        return LookupResult(query, tuple(matches), tuple(suggestions), truncated=truncated)

    def rank(self, query: str, limit: int = 10) -> list[Match]:
        """Raw text ranking, best first (for debugging and the benchmark)."""
        return self._rank(query[: self.max_chars])[:limit]

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
                    ranked = [m for m in self._rank(text) if m.entry in entries]
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
    def _canon(self, text: str) -> str:
        return self.vocab.canonical(fold(text))

    def _expand(self, token: str) -> dict[str, float]:
        """Catalogue words a query word may stand for, with a similarity in (0, 1]."""
        out: dict[str, float] = {}
        if token in self._word_set:
            out[token] = 1.0
        if len(token) >= 4:
            cutoff = 75 if len(token) >= 5 else 74
            for word, score, _ in process.extract(token, self._words, scorer=fuzz.ratio,
                                                  score_cutoff=cutoff, limit=8):
                if word != token:
                    out[word] = max(out.get(word, 0.0), (score / 100.0) ** 2)
            if token not in self._word_set or len(token) >= 6:
                for word in self._words:
                    if len(word) >= 4 and (word.startswith(token) or token.startswith(word)) and word != token:
                        sim = 0.75 + 0.2 * min(len(word), len(token)) / max(len(word), len(token))
                        out[word] = max(out.get(word, 0.0), sim)
        return out

    def _rank(self, text: str) -> list[Match]:
        canon = self.vocab.canonical(self.vocab.strip_chatter(fold(text)))
        q_tokens = list(dict.fromkeys(self.vocab.tokens(canon)))[:MAX_TOKENS]
        if not q_tokens:
            return []
        # For each catalogue word: the query word it stands for and how closely.
        stand_in: dict[str, tuple[int, float]] = {}
        q_weight: list[float] = []
        for qi, token in enumerate(q_tokens):
            expansions = self._expand(token)
            if expansions:
                best_word = max(expansions, key=lambda w: (expansions[w], self._idf[w]))
                q_weight.append(self._idf[best_word])
            else:
                q_weight.append(_UNKNOWN_WORD_WEIGHT)
            for word, sim in expansions.items():
                if word not in stand_in or stand_in[word][1] < sim:
                    stand_in[word] = (qi, sim)
        candidates: set[int] = set()
        for word in stand_in:
            candidates.update(self._postings[word])
        q_total = sum(q_weight)
        q_set = {fold(t) for t in q_tokens}
        scored: list[tuple[float, _Choice]] = []
        for ci in candidates:
            choice = self._choices[ci]
            per_q = [0.0] * len(q_tokens)
            c_hit = c_total = 0.0
            for token in choice.tokens:
                idf = self._idf[token]
                c_total += idf
                hit = stand_in.get(token)
                if hit is not None:
                    c_hit += idf * hit[1]
                    if hit[1] > per_q[hit[0]]:
                        per_q[hit[0]] = hit[1]
            kind_words = self._kind_words.get(_kind_key(choice.entry), self._kind_words["error"])
            q_hit = 0.0
            for qi, token in enumerate(q_tokens):
                sim = per_q[qi]
                if sim == 0.0 and token in kind_words:
                    sim = 0.8
                q_hit += q_weight[qi] * sim
            q_cov = q_hit / q_total
            c_cov = c_hit / c_total if c_total else 0.0
            if q_cov <= 0 or c_cov <= 0:
                continue
            f = 2 * q_cov * c_cov / (q_cov + c_cov)
            scored.append((f * choice.weight, choice))
        scored.sort(key=lambda sc: -sc[0])
        best: dict[tuple[str, str], Match] = {}
        q_text = " ".join(t for t in q_tokens if t in q_set)
        for token_score, choice in scored[:40]:
            char = fuzz.token_set_ratio(q_text, " ".join(choice.tokens)) / 100.0
            score = 100.0 * ((1 - _CHAR_BLEND) * token_score + _CHAR_BLEND * char * choice.weight)
            key = (choice.entry.kind, choice.entry.id)
            if key not in best or best[key].score < score:
                best[key] = Match(choice.entry, round(score, 2))
        return sorted(best.values(), key=lambda m: -m.score)

    def _decide(self, ranked: list[Match]) -> tuple[list[Match], list[Match]]:
        if not ranked or ranked[0].score < SUGGEST_AT:
            return [], []
        top = ranked[0]
        top_text = _same_text_key(top)
        group = [m for m in ranked if abs(m.score - top.score) < 0.01 and _same_text_key(m) == top_text]
        rest = [m for m in ranked if m not in group]
        runner_up = rest[0].score if rest else 0.0
        if top.score >= ANSWER_AT and top.score - runner_up >= MARGIN:
            return group, []
        return [], ranked[:3]


def _same_text_key(m: Match) -> tuple[str, ...]:
    if isinstance(m.entry, ErrorEntry):
        return tuple(fold(m.entry.texts[lang].message) for lang in LANGUAGES)
    return (m.entry.kind, m.entry.id)
