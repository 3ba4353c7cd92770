"""Answers for who is asking (issue 14 part 6), data side: every error family and enrollment failure
carries an end-user text in both languages, FAQ entries say who they are written for, and what an end
user is told is their own steps, never the admin-center steps an agent gets."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from knowledge import KnowledgeBase, KnowledgeError
from knowledge.answers import explanation, explanation_for, user_explanation
from knowledge.catalogue import DATA_DIR
from knowledge.models import AUDIENCES, LANGUAGES

# Words of the admin's console and procedures: an end user can't act on them ("your IT team needs to fix the
# enrollment restrictions" is fine; "raise the limit in the device limit restriction" is not).
ADMIN_ONLY = re.compile(r"\b(admin cent(er|re)|centre d.administration|device limit restriction|restriction de limite"
                        r"|ndes|certificate connector|connecteur de certificats|escalate|escaladez|graph explorer"
                        r"|microsoft graph)\b")
IT_DOES_IT = {"en": "your it team", "fr": "service informatique"}


def _user_texts(kb: KnowledgeBase) -> list[tuple[str, str, str]]:
    """(where, lang, text) for every end-user text in the shipped data."""
    out = []
    for fam, by_lang in kb.families.items():
        out += [(f"family {fam}", lang, t.user_advice or "") for lang, t in by_lang.items()]
    for e in kb.errors.values():
        out += [(f"error {e.id}", lang, t.user_what_to_do) for lang, t in e.texts.items() if t.user_what_to_do]
    for e in kb.enrollment.values():
        out += [(f"enrollment {e.id}", lang, t.user_remediation or "") for lang, t in e.texts.items()]
    for e in kb.faq.values():
        out += [(f"faq {e.id}", lang, t.user_answer) for lang, t in e.texts.items() if t.user_answer]
    return out


def test_every_error_family_has_user_advice_in_both_languages(kb: KnowledgeBase) -> None:
    missing = [(fam, lang) for fam, by_lang in kb.families.items() for lang in LANGUAGES
               if not (by_lang.get(lang) and by_lang[lang].user_advice)]
    assert not missing, f"families without user_advice: {missing}"


def test_every_enrollment_failure_has_user_remediation_in_both_languages(kb: KnowledgeBase) -> None:
    missing = [(e.id, lang) for e in kb.enrollment.values() for lang in LANGUAGES
               if not e.texts[lang].user_remediation]
    assert not missing, f"enrollment entries without user_remediation: {missing}"


def test_every_faq_entry_declares_its_audience() -> None:
    raw: dict[str, Any] = yaml.safe_load((DATA_DIR / "faq.yaml").read_text(encoding="utf-8"))
    bad = [item["id"] for item in raw["entries"] if item.get("audience") not in AUDIENCES]
    assert not bad, f"faq.yaml entries without a valid audience ({'/'.join(AUDIENCES)}): {bad}"


def test_user_texts_exist_in_both_languages_or_neither(kb: KnowledgeBase) -> None:
    for e in kb.errors.values():
        assert len({bool(t.user_what_to_do) for t in e.texts.values()}) == 1, f"error {e.id}: user_what_to_do"
    for f in kb.faq.values():
        assert len({bool(t.user_answer) for t in f.texts.values()}) == 1, f"faq {f.id}: user_answer"


def test_an_admin_entry_with_a_user_answer_is_one_users_ask(kb: KnowledgeBase) -> None:
    """user_answer is for admin entries; a user or both entry is already written for users."""
    wrong = [f.id for f in kb.faq.values() if f.audience != "admin" and any(t.user_answer for t in f.texts.values())]
    assert not wrong


@pytest.mark.parametrize("lang", LANGUAGES)
def test_end_user_texts_name_no_admin_console_step(kb: KnowledgeBase, lang: str) -> None:
    bad = [(where, found.group(0)) for where, text_lang, text in _user_texts(kb) if text_lang == lang
           for found in ADMIN_ONLY.finditer(text.lower())]
    assert not bad, f"end-user texts with admin-only words: {bad}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_user_at_the_device_cap_is_told_to_remove_a_device_not_to_raise_the_limit(kb: KnowledgeBase,
                                                                                      lang: str) -> None:
    entry = kb.enrollment["device-cap-reached"]
    user, agent = user_explanation(entry, lang, kb), explanation(entry, lang, kb)
    portal = {"en": "Company Portal", "fr": "Portail d’entreprise"}[lang]
    assert portal in user
    assert "restriction" not in user.lower() and "admin" not in user.lower()
    assert "restriction" in agent.lower()  # the agent still gets the admin step


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_certificate_error_tells_the_user_it_needs_it_not_to_check_ndes(kb: KnowledgeBase, lang: str) -> None:
    """Marie pastes 0x87D1FDE8: the agent gets the connector / NDES checks, she gets her steps and 'IT does it'."""
    entry = kb.by_code[-2016281112][0]
    user, agent = user_explanation(entry, lang, kb), explanation(entry, lang, kb)
    assert "ndes" in agent.lower() and "ndes" not in user.lower()
    assert IT_DOES_IT[lang] in user.lower()
    assert explanation_for(entry, lang, kb, end_user=True) == user
    assert explanation_for(entry, lang, kb, end_user=False) == agent


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_code_with_its_own_user_text_wins_over_its_family(kb: KnowledgeBase, lang: str) -> None:
    entry = kb.by_code[-2016332107][0]  # Passcode does not comply (iOS)
    family = kb.family(entry.family, lang)
    assert family is not None
    assert user_explanation(entry, lang, kb) == entry.texts[lang].user_what_to_do != family.user_advice


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_admin_faq_answer_has_the_user_version_for_end_users(kb: KnowledgeBase, lang: str) -> None:
    entry = kb.faq["wipe-who-started"]
    assert entry.audience == "admin"
    assert user_explanation(entry, lang, kb) == entry.texts[lang].user_answer
    assert explanation(entry, lang, kb) == entry.texts[lang].answer != entry.texts[lang].user_answer
    user_entry = kb.faq["compliance-recheck"]
    assert user_explanation(user_entry, lang, kb) == explanation(user_entry, lang, kb)


def _tiny(family_user_advice: str | None, audience: str = "both") -> KnowledgeBase:
    fam: dict[str, str] = {"title": "T", "advice": "Admin steps."}
    if family_user_advice is not None:
        fam["user_advice"] = family_user_advice
    neutral = {"errors": {"entries": [{"id": "-1", "code": -2016000001, "family": "f"}]},
               "enrollment": {"entries": []},
               "faq": {"entries": [{"id": "q", "topic": "t", "audience": audience}]}}
    words = {"errors": {"families": {"f": fam}, "entries": {"-1": {"message": "M"}}},
             "enrollment": {"entries": {}},
             "faq": {"entries": {"q": {"question": "Q?", "phrasings": ["q"], "answer": "A."}}}}
    return KnowledgeBase.from_dicts(neutral, {lang: words for lang in LANGUAGES})


def test_a_family_without_user_advice_falls_back_to_its_admin_text() -> None:
    """A new family landed without its user text still answers (the validator above flags it)."""
    kb = _tiny(None)
    assert user_explanation(kb.errors["-1"], "en", kb) == "Admin steps."
    kb = _tiny("Restart the device.")
    assert user_explanation(kb.errors["-1"], "en", kb) == "Restart the device."


def test_an_unknown_audience_is_refused_when_loading() -> None:
    with pytest.raises(KnowledgeError, match="audience"):
        _tiny("x", audience="everyone")


def test_an_entry_level_user_advice_is_read_as_its_user_text() -> None:
    """The table files write the end user's text of one code as ``user_advice``, like the families."""
    words_entry = {"message": "M", "user_advice": "Restart and sign in again."}
    neutral = {"errors": {"entries": [{"id": "-1", "code": -2016000001, "family": "f"}]},
               "enrollment": {"entries": []}, "faq": {"entries": []}}
    words = {"errors": {"families": {"f": {"title": "T", "advice": "Admin.", "user_advice": "Family text."}},
                        "entries": {"-1": words_entry}},
             "enrollment": {"entries": {}}, "faq": {"entries": {}}}
    kb = KnowledgeBase.from_dicts(neutral, {lang: words for lang in LANGUAGES})
    assert user_explanation(kb.errors["-1"], "fr", kb) == "Restart and sign in again."
