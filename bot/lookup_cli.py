"""`python -m bot lookup`: the matcher from a terminal, and the JSON-lines contract other tools use."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from knowledge import KnowledgeBase, LookupResult, Matcher
from knowledge.answers import as_dict, explanation

LANGS = ("en", "fr")


def result_to_json(result: LookupResult, lang: str, kb: KnowledgeBase) -> dict[str, object]:
    """One reply line of `lookup --jsonl`."""
    return {
        "q": result.query,
        "lang": lang,
        "unknown_codes": list(result.unknown_codes),
        "unknown_subcodes": list(result.unknown_subcodes),
        "matches": [as_dict(m.entry, lang, kb, m.score) for m in result.matches],
        "suggestions": [as_dict(m.entry, lang, kb, m.score) for m in result.suggestions],
        "truncated": result.truncated,
    }


def run_jsonl(matcher: Matcher, stdin: TextIO, stdout: TextIO) -> int:
    """Answer each JSON line in order, flushing each; a bad line gets an error line, never a crash."""
    for line in stdin:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            query = str(item.get("q", ""))
            lang = item.get("lang") if item.get("lang") in LANGS else "en"
        except (json.JSONDecodeError, AttributeError) as exc:
            stdout.write(json.dumps({"error": f"bad input line: {exc}"}) + "\n")
            stdout.flush()
            continue
        reply = result_to_json(matcher.lookup(query), lang, matcher.kb)
        stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


_LABELS = {
    "en": {"unknown": "I don't know this code: {code}. Check it was copied whole, or ask your helpdesk.",
           "none": "No confident answer. Try pasting the exact message or code.",
           "suggest": "Did you mean:", "truncated": "(Only the start of your text was read.)",
           "retry_yes": "Retrying helps: yes", "retry_no": "Retrying helps: no"},
    "fr": {"unknown": "Je ne connais pas ce code : {code}. Vérifiez qu'il est complet, ou contactez le support.",
           "none": "Pas de réponse sûre. Essayez de coller le message ou le code exact.",
           "suggest": "Vouliez-vous dire :", "truncated": "(Seul le début de votre texte a été lu.)",
           "retry_yes": "Réessayer aide : oui", "retry_no": "Réessayer aide : non"},
}


def render_text(result: LookupResult, lang: str, kb: KnowledgeBase) -> str:
    """A readable answer for a person at a terminal."""
    labels = _LABELS[lang]
    out: list[str] = []
    if result.truncated:
        out.append(labels["truncated"])
    for m in result.matches:
        d = as_dict(m.entry, lang, kb, m.score)
        head = " ".join(str(x) for x in (d["code"], d["hex"] and f"({d['hex']})") if x)
        out.append(f"[{d['kind']}] {head + ' - ' if head else ''}{d['title']}")
        out.append("  " + explanation(m.entry, lang, kb).replace("\n", "\n  "))
        retry = getattr(m.entry, "retryable", None)
        if retry is not None:
            out.append("  " + labels["retry_yes" if retry else "retry_no"])
    for code in result.unknown_codes:
        out.append(labels["unknown"].format(code=code))
    for sub in result.unknown_subcodes:
        out.append(labels["unknown"].format(code=sub))
    if not result.matches and result.suggestions:
        out.append(labels["suggest"])
        out.extend(f"  - {m.entry.title(lang)}" for m in result.suggestions)
    if not out or (not result.matches and not result.suggestions and not result.found_code):
        out.append(labels["none"])
    return "\n".join(out)


def main(query: str | None, lang: str, jsonl: bool) -> int:
    matcher = Matcher(KnowledgeBase.from_dir())
    if jsonl:
        return run_jsonl(matcher, sys.stdin, sys.stdout)
    text = query if query is not None else sys.stdin.read()
    print(render_text(matcher.lookup(text), lang, matcher.kb))
    return 0
