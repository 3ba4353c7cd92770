#!/usr/bin/env bash
# Re-extract the translatable strings (t("...") and t.plural("...", "...", n) in bot/ and dialogs/,
# see babel.cfg) into locales/messages.pot, then merge them into every catalog under locales/.
# New strings arrive with an empty msgstr (or marked fuzzy): translate them in
# locales/fr/LC_MESSAGES/messages.po, drop any "#, fuzzy" flag, and run
#   python -m pytest tests/test_locales.py
# Run from anywhere; pybabel comes from the active environment (or set PYBABEL=/path/to/pybabel).
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-pybabel}"

"$PYBABEL" extract -F babel.cfg -k t -k plural:1,2 --no-default-keywords --omit-header --sort-output \
    -o locales/messages.pot .
"$PYBABEL" update -i locales/messages.pot -d locales -D messages
