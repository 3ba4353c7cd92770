"""The terminal chat as a newcomer uses it (issue 16, item 13): --lang wins for its run, --as takes only demo
tenant users with their real names, and a multi-line paste is one message."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat import demo_users, read_message

ROOT = Path(__file__).resolve().parents[2]


def _chat(args: list[str], text: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_", "Microsoft", "DEMO_", "STORAGE"))}
    env.update(STORAGE_URL=f"sqlite:///{store}", ENV_FILE="", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "bot", "chat", *args], cwd=ROOT, env=env, input=text,
                          capture_output=True, text=True, timeout=120)


def test_lang_wins_over_a_language_saved_by_an_earlier_run(tmp_path: Path) -> None:
    store = tmp_path / "chat.sqlite3"
    first = _chat([], "en français\n/quit\n", store)
    assert first.returncode == 0, first.stderr
    assert "français" in first.stdout.lower()
    again = _chat([], "help\n/quit\n", store)  # no --lang: the saved language stays
    assert "Collez un code" in again.stdout.split("> ", 1)[1], again.stdout
    english = _chat(["--lang", "en"], "help\n/quit\n", store)
    assert english.returncode == 0, english.stderr
    reply = english.stdout.split("> ", 1)[1]
    assert "Paste an error code" in reply and "Collez" not in reply, reply
    later = _chat([], "help\n/quit\n", store)  # --lang was for its run only
    assert "Collez un code" in later.stdout.split("> ", 1)[1]


def test_as_takes_only_demo_tenant_users_and_their_names(tmp_path: Path) -> None:
    users = demo_users()
    assert users["bob"][1] == "Bob Durand" and users["david"][1] == "David Lambert"
    assert users["agent"] == users["helene"]
    refused = _chat(["--as", "mallory"], "/quit\n", tmp_path / "x.sqlite3")
    assert refused.returncode == 2
    assert "mallory" in refused.stderr and "bob" in refused.stderr
    bob = _chat(["--as", "bob"], "/quit\n", tmp_path / "x.sqlite3")
    assert bob.returncode == 0 and "as Bob Durand" in bob.stdout


@pytest.mark.parametrize("paste", ["Error 0x87D1FDE8\nwhile syncing\nmy iPad\n", "é\nà\n"])
def test_a_multi_line_paste_is_one_message_and_a_typed_line_is_one(paste: str) -> None:
    master, slave = pty.openpty()
    try:
        os.write(master, paste.encode())
        assert read_message(slave).splitlines() == paste.splitlines()
        os.write(master, b"one line\n")
        assert read_message(slave) == "one line"
    finally:
        os.close(master)
        os.close(slave)
