"""The shipped error tables are well formed: both languages, no stored hex, one id per code and table,
sources and official links, and the codes people quote most are found in every form they write them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from knowledge import KnowledgeBase, Matcher
from knowledge.catalogue import DATA_DIR
from knowledge.codes import to_hex

TABLE_FILES = sorted(p.name for p in DATA_DIR.glob("errors-*.yaml"))
# Families added from the official tables: they also carry what an end user can do alone.
TABLE_FAMILIES = {"windows-enrollment", "android-app-install", "ios-app-install", "windows-app-install",
                  "macos-app-install", "pc-client-enrollment", "enrollment-message", "ios-enrollment", "ade-token-sync", "autopilot-import"}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def test_there_are_official_table_files() -> None:
    assert {"errors-windows-enrollment.yaml", "errors-app-install.yaml"} <= set(TABLE_FILES)


@pytest.mark.parametrize("name", TABLE_FILES)
def test_each_table_file_pairs_with_an_english_and_a_french_file(name: str) -> None:
    neutral = _load(DATA_DIR / name)
    ids = [str(e["id"]) for e in neutral["entries"]]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for lang in ("en", "fr"):
        texts = _load(DATA_DIR / lang / name)
        assert texts["language"] == lang
        assert set(texts["entries"]) == set(ids), f"{lang}/{name}: ids differ from {name}"
        for eid, t in texts["entries"].items():
            assert str(t["message"]).strip(), f"{lang}/{name} {eid}: empty message"


@pytest.mark.parametrize("name", TABLE_FILES)
def test_table_entries_store_the_code_not_the_hex_and_name_their_source(name: str) -> None:
    for e in _load(DATA_DIR / name)["entries"]:
        assert "hex" not in e, "the hex is computed from the code, never stored"
        if e["code"] is None:  # a message without a code (the page's section titles): a slug
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", str(e["id"])), e["id"]
        else:
            assert isinstance(e["code"], int) and -(1 << 31) <= e["code"] < 1 << 31
            assert str(e["id"]) in (str(e["code"]), f"{e['code']}@{e['family']}")
        assert e["family"] in TABLE_FAMILIES
        assert "MicrosoftDocs/" in e["source"] and "FR: our translation" in e["source"]
        assert e["doc"].startswith("https://learn.microsoft.com/")


def test_a_code_in_several_tables_has_one_entry_per_table(kb: KnowledgeBase) -> None:
    for code, entries in kb.by_code.items():
        families = [e.family for e in entries]
        assert len(families) == len(set(families)), f"{to_hex(code)} twice in one table"


def test_new_families_have_titles_advice_and_user_advice_in_both_languages() -> None:
    for name in TABLE_FILES:
        for lang in ("en", "fr"):
            for fam, t in (_load(DATA_DIR / lang / name).get("families") or {}).items():
                assert fam in TABLE_FAMILIES
                assert t["title"].strip() and t["advice"].strip() and t["user_advice"].strip(), (lang, fam)


def test_french_texts_are_not_the_english_ones() -> None:
    for name in TABLE_FILES:
        en, fr = _load(DATA_DIR / "en" / name)["entries"], _load(DATA_DIR / "fr" / name)["entries"]
        same = [eid for eid in en if en[eid]["message"] == fr[eid]["message"] and " " in en[eid]["message"]]
        assert not same, f"{name}: untranslated {same[:5]}"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("0x80180014", 0x80180014), ("80180014", 0x80180014), ("-2145910764", 0x80180014), ("2149056532", 0x80180014),
        ("0x80180001", 0x80180001), ("0x8018002B", 0x8018002B), ("8018002b", 0x8018002B), ("0x80180026", 0x80180026),
        ("0x80192EE2", 0x80192EE2), ("2149134050", 0x80192EE2), ("0x80070774", 0x80070774), ("80070774", 0x80070774),
        ("0x87D1041C", 0x87D1041C), ("-2016345060", 0x87D1041C), ("0x87D13B7E", 0x87D13B7E), ("0x87D13BA2", 0x87D13BA2),
        ("0xC7D14FB5", 0xC7D14FB5), ("-942583883", 0xC7D14FB5), ("3352383413", 0xC7D14FB5),
        ("MENROLL_E_DEVICENOTSUPPORTED", 0x80180014), ("0x80CF3006", 0x80CF3006), ("0x8024D015", 0x8024D015),
    ],
)
def test_the_official_codes_are_answered_exactly_in_every_form(matcher: Matcher, written: str, code: int) -> None:
    result = matcher.lookup(f"enrollment fails with {written} on my device")
    assert result.matches and all(m.exact for m in result.matches)
    assert {to_hex(m.entry.code) for m in result.matches} == {f"0x{code:08X}"}  # type: ignore[arg-type]


def test_a_code_next_to_the_official_ones_is_still_unknown(matcher: Matcher) -> None:
    for near in ("0x80180032", "0x87D13BA9", "0xC7D14FBF"):
        result = matcher.lookup(f"got {near}")
        assert not result.matches and result.unknown_codes, near


@pytest.mark.parametrize("query", ["access denied when I open sharepoint", "internal server error on our website",
                                   "accès refusé", "element not found", "cursor expired in SQL", "not enough memory"])
def test_a_generic_official_message_is_not_the_answer_to_any_question_that_uses_its_words(
        matcher: Matcher, query: str) -> None:
    assert matcher.lookup(query).matches == ()


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [("ADE token sync says access denied", "ade-access-denied"),
     ("enrollment program token: Terms and conditions not accepted", "ade-terms-not-accepted"),
     ("autopilot enrollment: the user canceled the operation", str(-2145910742)),
     ("User Name Not Recognized. This user account is not authorized to use Microsoft Intune.",
      "user-name-not-recognized")],
)
def test_the_same_messages_are_answered_where_they_appear(matcher: Matcher, query: str, entry_id: str) -> None:
    assert [m.id for m in matcher.lookup(query).matches][:1] == [entry_id]
