"""`python -m bot audit` shows the audit as people read it: a sync's intent record is folded into its outcome,
and an intent left alone (the bot died after asking Graph) reads outcome_unknown (issue 16, defect 8)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.audit_cli import main
from storage.sqlite import SQLiteStore


def _entry(attempt: str, phase: str, outcome: str, device: str) -> dict[str, object]:
    return {"at": "2026-11-28T07:00:00+00:00", "attempt": attempt, "phase": phase, "outcome": outcome,
            "caller_id": "a11ce000", "caller_name": "Alice Martin", "device_id": device, "device_name": device,
            "device_user_upn": "alice@contoso.com", "request_id": None}


async def _write(path: Path) -> None:
    store = SQLiteStore(path)
    for entry in (_entry("a1", "intent", "outcome_unknown", "PC-1"), _entry("a1", "outcome", "requested", "PC-1"),
                  _entry("a2", "intent", "outcome_unknown", "IPAD-2")):
        await store.append("audit", entry)
    await store.close()


def test_audit_folds_intents_into_outcomes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.sqlite3"
    asyncio.run(_write(path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENV_FILE", raising=False)
    monkeypatch.setenv("STORAGE_URL", f"sqlite:///{path}")
    assert main(as_json=True) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["device_name"], e["outcome"]) for e in lines] == [("PC-1", "requested"), ("IPAD-2", "outcome_unknown")]
    assert main() == 0
    text = capsys.readouterr().out
    assert "PC-1" in text and "outcome_unknown" in text and text.count("\n") == 2


def test_audit_with_a_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STORAGE_URL", "postgres://db/x")
    assert main() == 2
    assert capsys.readouterr().err.startswith("configuration error: STORAGE_URL")
