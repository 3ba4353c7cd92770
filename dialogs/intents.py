"""Kept for imports: intents now come from dialogs.understanding (per-language data files)."""

from dialogs.understanding import Intent, parse_intent, parse_yes_no

__all__ = ["Intent", "parse_intent", "parse_yes_no"]
