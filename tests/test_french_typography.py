"""French as a French reader expects it (issue 17): the typography rule set, applied where text is rendered.

Renders every French string of the catalog and every French knowledge card, and checks them against the
rule set (presentation.typography.violations): no space before a colon but a no-break one, no straight
apostrophe in prose, no title ending with a period, no two buttons with the same title in one card. The
French replies of the whole suite's conversations are checked too, when the session ends (tests/conftest.py).
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from knowledge import KnowledgeBase
from presentation import cards
from presentation.i18n import LOCALES_DIR, Translator
from presentation.typography import NBSP, NNBSP, title_violations, typeset, violations
from tests.french_rules import card_problems

DATA = Path(__file__).resolve().parents[1] / "knowledge" / "data"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_dir(DATA)


@pytest.fixture(scope="module")
def fr() -> Translator:
    return Translator("fr")


# -- the rules --------------------------------------------------------------------------------------


def test_no_break_spaces_before_double_punctuation_and_inside_guillemets() -> None:
    assert typeset("Essayez :", "fr") == f"Essayez{NBSP}:"
    assert typeset("Synchroniser maintenant ?", "fr") == f"Synchroniser maintenant{NNBSP}?"
    assert typeset("Fait ; c'est fini !", "fr") == f"Fait{NNBSP}; c’est fini{NNBSP}!"
    assert typeset("Répondez « oui » ou \"non\".", "fr") == f"Répondez «{NBSP}oui{NBSP}» ou «{NBSP}non{NBSP}»."
    assert typeset("**Que faire :** réessayez", "fr") == f"**Que faire{NBSP}:** réessayez"


def test_codes_urls_and_addresses_are_never_touched() -> None:
    text = ("Code 0x87D1FDE8 : -2016281112 ; SyncML(404) — voir https://learn.microsoft.com/a'b?x=1:2 "
            "ou écrivez à o'brien@contoso.com")
    out = typeset(text, "fr")
    for kept in ("0x87D1FDE8", "-2016281112", "SyncML(404)", "https://learn.microsoft.com/a'b?x=1:2",
                 "o'brien@contoso.com"):
        assert kept in out
    assert f"0x87D1FDE8{NBSP}:" in out and f"-2016281112{NNBSP};" in out


def test_values_put_in_a_template_are_never_retouched(fr: Translator) -> None:
    """Names, device names and text the user typed come through placeholders, after typesetting."""
    said = fr("Several users match \"{query}\"", query="d'Artagnan ? \"x\"")
    assert "d'Artagnan ? \"x\"" in said and f"«{NBSP}d'Artagnan" in said
    assert fr("Sync {name} now?", name="Alice's iPhone") == f"Synchroniser Alice's iPhone maintenant{NNBSP}?"


def test_english_is_left_as_written() -> None:
    assert typeset("Try: \"sync my device\" now?", "en") == "Try: \"sync my device\" now?"


def test_the_check_finds_each_fault() -> None:
    assert violations("Essayez : ceci")
    assert violations("Essayez: ceci")
    assert violations("maintenant ?") and violations("maintenant?")
    assert violations("« oui »")
    assert violations("l'appareil")
    assert not violations(typeset("Essayez : « oui », l'appareil ? Il est 10:30.", "fr"))
    assert not violations("Voir https://x.com/l'a?b=1 ou alice@contoso.com, code 0x87D1FDE8")
    assert title_violations("Échec de la correction.") and not title_violations("Voir la suite…")


def test_button_titles_are_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    long = ("Pourquoi ne vois-je pas le code de contournement du verrouillage d'activation dans la vue "
            "d'ensemble Matériel ?")
    title = cards.button_title(long)
    assert len(title) <= cards.BUTTON_MAX and title.endswith("…")
    assert long.startswith(title[:-1]) and long[len(title) - 1] == " "  # a whole word, then the ellipsis
    assert cards.button_title("Synchroniser mon appareil") == "Synchroniser mon appareil"


# -- every catalog string -----------------------------------------------------------------------------


def _sample(name: str) -> object:
    return 2 if name == "n" or name.startswith("n_") else "DESKTOP-42"


def _catalog() -> list:
    with (LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return [m for m in read_po(fh, locale="fr") if m.id]


def test_every_french_catalog_string_follows_the_rules(fr: Translator) -> None:
    problems: list[str] = []
    for message in _catalog():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        names = {f for _, f, _, _ in string.Formatter().parse(ids[-1]) if f}
        values = {k: _sample(k) for k in names}
        if isinstance(message.id, tuple):
            rendered = [fr.plural(ids[0], ids[1], n, **{k: v for k, v in values.items() if k != "n"})
                        for n in (1, 2)]
        else:
            rendered = [fr(ids[0], **values)]
        for text in rendered:
            problems.extend(f"{ids[0]!r}: {p}" for p in violations(text))
    assert not problems, "\n".join(problems)


# -- every French card ----------------------------------------------------------------------------------


def test_every_french_knowledge_card_follows_the_rules(kb: KnowledgeBase, fr: Translator) -> None:
    problems: list[str] = []
    entries = [*kb.errors.values(), *kb.enrollment.values(), *kb.faq.values()]
    for entry in entries:
        for can_sync in (False, True):
            card = cards.entry_card(entry, kb, fr, can_sync=can_sync)
            problems.extend(f"{entry.kind}:{entry.id}: {p}" for p in card_problems(card))
    for welcome in (False, True):
        problems.extend(f"help: {p}" for p in card_problems(cards.help_card(fr, welcome=welcome)))
    problems.extend(f"unknown: {p}" for p in card_problems(cards.unknown_code_card(["0x87D1FFFF"], fr)))
    assert not problems, "\n".join(sorted(set(problems))[:80])


def _same_titles(kb: KnowledgeBase, lang: str) -> list[list]:
    groups: dict[str, list] = defaultdict(list)
    for entry in [*kb.errors.values(), *kb.enrollment.values(), *kb.faq.values()]:
        groups[re.sub(r"\W+", " ", entry.title(lang)).strip().casefold()].append(entry)
    return [g for g in groups.values() if len(g) > 1]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_suggestion_lists_never_show_the_same_title_twice(kb: KnowledgeBase, lang: str) -> None:
    t = Translator(lang)
    groups = _same_titles(kb, lang)
    assert groups  # the catalogue has messages shared by several codes ("No host name", "Cannot install")
    for group in groups:
        for card in (cards.did_you_mean_card(group[:3], t, kb), cards.compact_list_card(group, t, kb=kb)):
            titles = [a["title"] for a in card["actions"]]
            assert len(titles) == len(set(titles)), titles
            if lang == "fr":
                assert not card_problems(card), card_problems(card)
        shown = cards.distinct_labels(group, t, kb)
        kinds = {(e.kind, getattr(e, "code", None), getattr(e, "family", None)) for e in group}
        assert len(shown) == len(kinds), shown  # told apart, not dropped, unless really the same


def test_each_suggestion_says_what_it_is_about(kb: KnowledgeBase, fr: Translator) -> None:
    error = kb.errors["-2016281112"]
    faq = next(iter(kb.faq.values()))
    enrollment = next(iter(kb.enrollment.values()))
    card = cards.did_you_mean_card([error, faq, enrollment], fr, kb)
    lines = [b["text"] for b in card["body"][-1]["items"]]
    family = kb.family(error.family, "fr")
    assert family is not None and fr.prose(family.title) in lines
    assert "FAQ de dépannage" in lines and "Échec de l’inscription" in lines


def test_a_long_official_message_becomes_a_short_title_and_the_whole_message_in_the_body(
        kb: KnowledgeBase, fr: Translator) -> None:
    entry = kb.errors["-2016345608"]  # 0x87D101F8, SyncML(504): a 230-character sentence
    card = cards.entry_card(entry, kb, fr)
    title, message = card["body"][1]["text"], card["body"][2]["text"]
    assert len(title) <= cards.TITLE_MAX and title.endswith("…")
    assert message == fr.prose(entry.texts["fr"].message)
    facts = {f["title"]: f["value"] for f in card["body"][3]["facts"]}
    assert facts["Code détaillé"] == "SyncML(504)"


# -- plurals --------------------------------------------------------------------------------------------


def test_a_number_and_its_noun_agree_in_both_languages(fr: Translator) -> None:
    from dialogs.troubleshoot import compliance_count, more_text

    en = Translator("en")
    assert [compliance_count(fr, "compliant", n) for n in (1, 2)] == ["1 conforme", "2 conformes"]
    assert compliance_count(fr, "noncompliant", 3) == "3 non conformes"
    assert compliance_count(fr, "configManager", 2) == "2 gérés par Configuration Manager"
    assert [more_text(fr, n) for n in (1, 4)] == ["et 1 autre", "et 4 autres"]
    assert fr.plural("Group ({n})", "Groups ({n})", 1) == "Groupe (1)"
    assert en.plural("I found {n} code in your message", "I found {n} codes in your message", 1) == \
        "I found 1 code in your message"
    assert en.plural("I found {n} code in your message", "I found {n} codes in your message", 5) == \
        "I found 5 codes in your message"


def test_titles_are_in_sentence_case_without_a_final_period(kb: KnowledgeBase, fr: Translator) -> None:
    entry = kb.errors["-2016332107"]  # the docs write it « code secret non conforme »
    card = cards.entry_card(entry, kb, fr)
    assert card["body"][1]["text"] == "Code secret non conforme"
    assert card["body"][2]["type"] == "FactSet"  # short enough: no second copy of the message
    assert cards.card_title("Échec de la correction.") == ("Échec de la correction", "")


# -- the source docs' mistranslations -------------------------------------------------------------------


def test_our_french_says_what_the_english_says(kb: KnowledgeBase, fr: Translator) -> None:
    card = cards.entry_card(kb.enrollment["user-not-found-or-licensed"], kb, fr)
    assert card["body"][1]["text"] == "Utilisateur introuvable ou sans licence"  # the doc's French: « avec licence »
    portal = kb.errors["company-portal-503-temporarily-unavailable"].texts["fr"].message
    assert "vous n’ayez pas pu nous joindre" in portal and "nous n’ayez" not in portal
    header = (DATA / "fr" / "enrollment.yaml").read_text(encoding="utf-8").split("\nlanguage:")[0]
    assert "« Utilisateur introuvable ou avec licence » -> « Utilisateur introuvable ou sans licence »" in header


def test_the_terminal_chat_renders_facts_the_french_way(fr: Translator) -> None:
    from bot.chat import render_activity

    card = cards.notice_card(fr("Device not found"), fr("That device no longer exists in Intune. Nothing was done."),
                             facts=[{"title": fr("Code"), "value": "-2016281112"}])
    reply = {"type": "message", "locale": "fr-FR",
             "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
    lines = render_activity(reply, [], "fr")
    assert "    Code\u00a0: -2016281112" in lines
    assert not [p for line in lines for p in violations(line)]
    assert "    Code: -2016281112" in render_activity({**reply, "locale": "en-US"}, [], "fr")
