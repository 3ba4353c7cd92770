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


def user_explanation(entry: Entry, lang: str, kb: KnowledgeBase) -> str:
    """What an end user can do themselves, in ``lang`` (issue 14: "what you can do", not "what IT does").

    Errors: the entry's own user text, else its family's; enrollment failures: the user's text (what
    happened and their steps, in plain words); FAQ entries: the user answer of an admin entry, else the answer. Where the data has no
    user text (a family added without one), the admin text is returned rather than nothing.
    """
    if isinstance(entry, ErrorEntry):
        text = entry.texts[lang]
        if text.user_what_to_do:
            return text.user_what_to_do
        family = kb.family(entry.family, lang)
        if family and family.user_advice:
            return family.user_advice
        return explanation(entry, lang, kb)
    if isinstance(entry, EnrollmentEntry):
        t = entry.texts[lang]
        # The user text says what happened in plain words; the doc's details are written for admins.
        return t.user_remediation or f"{t.details}\n\n{t.remediation}".strip()
    if isinstance(entry, FaqEntry):
        t = entry.texts[lang]
        return t.user_answer or t.answer
    return ""


def explanation_for(entry: Entry, lang: str, kb: KnowledgeBase, *, end_user: bool) -> str:
    """The explanation for who is asking: an end user's steps, or the agent's (admin) text."""
    return user_explanation(entry, lang, kb) if end_user else explanation(entry, lang, kb)


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
