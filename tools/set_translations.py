"""Fill French translations from a YAML file of {msgid: msgstr} (a list of two strings for plural entries).

    python tools/set_translations.py translations.yaml [locales/fr/LC_MESSAGES/messages.po]

Clears the fuzzy flag of every entry it fills. Used when many strings arrive at once; small changes are
easier by hand in the .po file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po


def main(argv: list[str]) -> int:
    source = Path(argv[1])
    po = Path(argv[2]) if len(argv) > 2 else Path("locales/fr/LC_MESSAGES/messages.po")
    wanted = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    missing = []
    for msgid, msgstr in wanted.items():
        key = msgid
        message = catalog.get(key)
        if message is None:
            message = next((m for m in catalog if isinstance(m.id, tuple) and m.id[0] == msgid), None)
        if message is None:
            missing.append(msgid)
            continue
        message.string = tuple(msgstr) if isinstance(message.id, tuple) else msgstr
        message.flags.discard("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog, width=76, omit_header=False)
    for m in missing:
        print("not in the catalog:", m, file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
