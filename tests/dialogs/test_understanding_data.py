"""The understanding data files: validated, and every test sentence read as its file says (per language)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs.understanding import default_recognizer
from dialogs.understanding.recognizer import DATA_DIR, Recognizer, RecognizerError

TESTS_DIR = Path(__file__).parent / "data"
KNOWN_FAILURES_FILE = TESTS_DIR / "_known_failures.yaml"


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _cases() -> list[Any]:
    known = set((_load(KNOWN_FAILURES_FILE).get("sentences") or []) if KNOWN_FAILURES_FILE.exists() else [])
    cases = []
    for path in sorted(TESTS_DIR.glob("*/*.yaml")):
        doc = _load(path)
        for test in doc.get("tests", []):
            for sentence in test["sentences"]:
                marks = [pytest.mark.xfail(strict=True, reason="known failure")] if sentence in known else []
                cases.append(pytest.param(path.parent.name, sentence, test, marks=marks,
                                          id=f"{path.parent.name}/{path.stem}: {sentence}"))
    return cases


@pytest.mark.parametrize(("lang", "sentence", "test"), _cases())
def test_sentence(lang: str, sentence: str, test: dict[str, Any]) -> None:
    intent = default_recognizer().recognize(sentence)
    assert intent.name == test["intent"], f"{sentence!r} read as {intent.name}"
    if "target" in test:
        assert (intent.target or None) == test["target"], f"{sentence!r}: target {intent.target!r}"
    for slot, value in (test.get("slots") or {}).items():
        assert intent.slots.get(slot) == value, f"{sentence!r}: {slot}={intent.slots.get(slot)!r}"


def test_every_data_file_has_a_mirror_test_file_with_sentences_for_each_intent() -> None:
    for path in sorted(DATA_DIR.glob("*/*.yaml")):
        if path.name.startswith("_"):
            continue
        mirror = TESTS_DIR / path.parent.name / path.name
        assert mirror.exists(), f"no test file {mirror.relative_to(TESTS_DIR.parent.parent.parent)}"
        tested = {t["intent"] for t in _load(mirror).get("tests", [])}
        declared = set((_load(path).get("intents") or {}).keys())
        assert declared <= tested, f"{path.parent.name}/{path.name}: untested intents {sorted(declared - tested)}"


def test_every_file_declares_its_folder_language() -> None:
    for path in sorted([*DATA_DIR.glob("*/*.yaml"), *TESTS_DIR.glob("*/*.yaml")]):
        assert _load(path).get("language") == path.parent.name, path


def test_only_common_files_start_with_an_underscore_and_hold_no_intents() -> None:
    for path in DATA_DIR.glob("*/_*.yaml"):
        assert path.name == "_common.yaml"
        assert "intents" not in _load(path)


def test_a_bad_pattern_is_refused_with_its_file_and_intent() -> None:
    with pytest.raises(RecognizerError, match="sync"):
        Recognizer({"en": [{"language": "en", "intents": {"sync": {"patterns": ["(unclosed"]}}}]})


def test_no_sentence_is_tested_twice_with_different_expectations() -> None:
    seen: dict[tuple[str, str], str] = {}
    for path in sorted(TESTS_DIR.glob("*/*.yaml")):
        for test in _load(path).get("tests", []):
            for sentence in test["sentences"]:
                key = (path.parent.name, sentence)
                assert seen.get(key, test["intent"]) == test["intent"], f"{key} expected twice differently"
                seen[key] = test["intent"]
