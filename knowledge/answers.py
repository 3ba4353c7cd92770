"""Turn an entry into the words shown to a user, in the language asked for."""

from __future__ import annotations

from knowledge.catalogue import KnowledgeBase
from knowledge.models import EnrollmentEntry, Entry, ErrorEntry, FaqEntry


def title(entry: Entry, lang: str) -> str:
    """The message / error name / question, in ``lang``."""
    return entry.title(lang)


def explanation(entry: Entry, lang: str, kb: KnowledgeBase) -> str:
    """What it means and what to do, in ``lang``: the doc's advice, else the family's."""
    if isinstance(entry, ErrorEntry):
        text = entry.texts[lang]
        if text.what_to_do:
            return text.what_to_do.strip()
        family = kb.family(entry.family, lang)
        return family.advice.strip() if family else ""
    if isinstance(entry, EnrollmentEntry):
        t = entry.texts[lang]
        return f"{t.details}\n\n{t.remediation}".strip()
    if isinstance(entry, FaqEntry):
        return entry.texts[lang].answer
    return ""


def as_dict(entry: Entry, lang: str, kb: KnowledgeBase, score: float) -> dict[str, object]:
    """The JSON shape of one match (the `lookup --jsonl` contract)."""
    code = entry.code if isinstance(entry, ErrorEntry) else None
    hex_ = entry.hex if isinstance(entry, ErrorEntry) else None
    return {
        "kind": entry.kind,
        "id": entry.id,
        "code": code,
        "hex": hex_,
        "score": round(float(score), 2),
        "title": title(entry, lang),
        "answer": explanation(entry, lang, kb),
    }
