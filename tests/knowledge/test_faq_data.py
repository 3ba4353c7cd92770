"""FAQ data rules (knowledge/DATA.md): every entry is sourced, links the official page, has at least five
phrasings per language, and its related entries exist; phrasings are not repeated across entries."""

from __future__ import annotations

from knowledge import KnowledgeBase
from knowledge.models import LANGUAGES
from knowledge.text import fold

MIN_PHRASINGS = 5


def test_every_faq_entry_has_a_source_and_an_official_link(kb: KnowledgeBase) -> None:
    bad = [e.id for e in kb.faq.values() if not e.source.strip() or not e.doc.startswith("https://learn.microsoft.com/")]
    assert not bad, f"FAQ entries without a source or a learn.microsoft.com link: {bad}"


def test_every_faq_entry_has_enough_phrasings_in_each_language(kb: KnowledgeBase) -> None:
    short = [(e.id, lang, len(e.texts[lang].phrasings)) for e in kb.faq.values() for lang in LANGUAGES
             if len(e.texts[lang].phrasings) < MIN_PHRASINGS]
    assert not short, f"fewer than {MIN_PHRASINGS} phrasings: {short}"


def test_no_phrasing_belongs_to_two_faq_entries(kb: KnowledgeBase) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for e in kb.faq.values():
        for lang in LANGUAGES:
            for p in (e.texts[lang].question, *e.texts[lang].phrasings):
                key = fold(p)
                if owner.setdefault(key, e.id) != e.id:
                    clashes.append((p, owner[key], e.id))
    assert not clashes, clashes


def test_faq_entries_do_not_relate_to_themselves(kb: KnowledgeBase) -> None:
    assert not [e.id for e in kb.faq.values() if e.id in e.related]
