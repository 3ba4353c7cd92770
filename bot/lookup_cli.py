"""`python -m bot lookup`: the matcher from a terminal, and the JSON-lines contract other tools use."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from knowledge import KnowledgeBase, LookupResult, Matcher, to_hex
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


def render_text(result: LookupResult, lang: str, kb: KnowledgeBase) -> str:
    """A readable answer for a person at a terminal."""
    from presentation.i18n import Translator  # only here: --jsonl needs nothing beyond the knowledge base

    t = Translator(lang)
    out: list[str] = []
    if result.truncated:
        out.append(t("Your message was long: I read only its beginning."))
    for m in result.matches:
        d = as_dict(m.entry, lang, kb, m.score)
        head = " ".join(str(x) for x in (d["code"], d["hex"] and f"({d['hex']})") if x)
        out.append(f"[{d['kind']}] {head + ' - ' if head else ''}{d['title']}")
        out.append("  " + explanation(m.entry, lang, kb).replace("\n", "\n  "))
        retry = getattr(m.entry, "retryable", None)
        if retry is not None:
            out.append("  " + (t("Yes: sync the device and try again") if retry
                               else t("No: the app becomes available again after seven days")))
    unknown = [f"{to_hex(c)} ({c})" for c in result.unknown_codes] + list(result.unknown_subcodes)
    if unknown:
        out.append(t("I don't know this code: {codes}", codes=", ".join(unknown)))
    if not result.matches and result.suggestions:
        out.append(t("Did you mean…"))
        out.extend(f"  - {m.entry.title(lang)}" for m in result.suggestions)
    if not out or (not result.matches and not result.suggestions and not result.found_code):
        out.append(t("Sorry, I don't have an answer for that. Paste the exact error code or message, or type "
                     "\"help\" to see what I can do."))
    return "\n".join(out)


def main(query: str | None, lang: str, jsonl: bool) -> int:
    matcher = Matcher(KnowledgeBase.from_dir())
    if jsonl:
        return run_jsonl(matcher, sys.stdin, sys.stdout)
    text = query if query is not None else sys.stdin.read()
    print(render_text(matcher.lookup(text), lang, matcher.kb))
    return 0
