"""Check the French replies of a converse.py dump against the French rule set (docs/style-guide.md).

    python ../shared/eval/converse.py --dump /tmp/replies.jsonl
    .venv/bin/python tools/check_french.py /tmp/replies.jsonl [--show N]

A reply is checked when its words are mostly French (the bot answers each message in its own language). Each text
line is checked with presentation.typography.violations; the buttons of one reply must not repeat a
title. Prints the number of violations (0 is the goal) and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from presentation.typography import violations
from tests.french_rules import looks_french

_PER_CARD = frozenset({"👍 Utile", "👎 Pas utile", "Documentation officielle", "Synchroniser mon appareil",
                       "👍 Helpful", "👎 Not helpful", "Official documentation", "Sync my device"})


def check(path: Path) -> tuple[int, list[str]]:
    replies, problems = 0, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text = str(row.get("text") or "")
        buttons = [str(b) for b in row.get("buttons") or []]
        proactive = [str(p) for p in row.get("proactive") or []]
        # The bot answers each message in the language it is written in, so a French conversation can hold
        # English replies: a reply is checked when its words are French.
        if not looks_french(text):
            continue
        replies += 1
        where = f"{row.get('id')} turn {row.get('turn')}"
        for chunk in [text, *buttons, *(p for p in proactive if looks_french(p))]:
            problems.extend(f"{where}: {p}" for p in violations(chunk))
        # A reply with several answer cards repeats each card's own buttons (documentation, thumbs): the
        # dump does not say which card a button belongs to, so only the other titles must be unique.
        choices = [b for b in buttons if b not in _PER_CARD]
        problems.extend(f"{where}: duplicate button title: {b}"
                        for b in sorted({b for b in choices if choices.count(b) > 1}))
    return replies, problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump", type=Path)
    ap.add_argument("--show", type=int, default=40, help="how many violations to print")
    args = ap.parse_args(argv)
    replies, problems = check(args.dump)
    for p in problems[: args.show]:
        print(p)
    print(f"French replies: {replies}, violations: {len(problems)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
