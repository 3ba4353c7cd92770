"""Lookup cases as data (tests/knowledge/data/<lang>/*.yaml), one pytest case per sentence.

Like Home Assistant's intents tests: each data file under knowledge/data/<lang>/ has a mirror here
with held-out phrasings and what the bot must answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge import Matcher

CASES_DIR = Path(__file__).parent / "data"
KNOWN_FAILURES = CASES_DIR / "_known_failures.yaml"
"""Sentences the matcher does not answer right yet. They run as strict xfails (as Home Assistant's
_test_failures.yaml): fixing one makes its xfail fail, which forces removing it from the list."""


def _known_failures() -> set[tuple[str, str]]:
    if not KNOWN_FAILURES.exists():
        return set()
    doc = yaml.safe_load(KNOWN_FAILURES.read_text(encoding="utf-8")) or {}
    return {(item["file"], item["q"]) for item in doc.get("failures") or []}


def _load_cases() -> list[Any]:
    known = _known_failures()
    params = []
    for path in sorted(CASES_DIR.glob("[a-z][a-z]/*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["language"] == path.parent.name, f"{path}: declares {doc['language']!r}"
        seen: set[str] = set()
        for i, case in enumerate(doc["cases"]):
            assert case["q"] not in seen, f"{path}: duplicate sentence {case['q']!r}"
            seen.add(case["q"])
            name = f"{path.parent.name}/{path.stem}"
            marks = [pytest.mark.xfail(strict=True, reason="known failure")] if (name, case["q"]) in known else []
            params.append(pytest.param(case, id=f"{name}/{i}", marks=marks))
    return params


@pytest.mark.parametrize("case", _load_cases())
def test_case(matcher: Matcher, case: dict[str, Any]) -> None:
    result = matcher.lookup(case["q"])
    top = result.matches[0] if result.matches else None
    got = f"top={top.kind}:{top.id}" if top else f"no answer (suggestions {[m.id for m in result.suggestions]})"
    if "codes" in case:
        assert top is not None and top.kind == "error" and top.entry.code in case["codes"], got
    elif "ids" in case:
        assert top is not None and top.kind == "error" and top.id in case["ids"], got
    elif "unknown_code" in case:
        assert not [m for m in result.matches if m.kind == "error"], got
        assert case["unknown_code"] in result.unknown_codes
    elif "faq" in case:
        assert top is not None and top.kind == "faq" and top.id == case["faq"], got
    elif "enrollment" in case:
        assert top is not None and top.kind == "enrollment" and top.id == case["enrollment"], got
    elif case.get("none"):
        assert not result.matches, got
        if "first_suggestion" in case:
            assert result.suggestions and result.suggestions[0].id == case["first_suggestion"], got
    else:
        pytest.fail(f"case has no expectation: {case}")
