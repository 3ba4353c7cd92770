"""The knowledge base: error catalogue, enrollment failures and FAQ, and the matcher over them.

Framework-free: nothing here imports Bot Framework, so the CLI, tests and the bot share it.
"""

from knowledge.catalogue import KnowledgeBase, KnowledgeError
from knowledge.codes import CodeMention, find_codes, to_hex, to_signed
from knowledge.models import (
    EnrollmentEntry,
    Entry,
    ErrorEntry,
    FaqEntry,
    LookupResult,
    Match,
)
from knowledge.search import Matcher

__all__ = [
    "CodeMention",
    "EnrollmentEntry",
    "Entry",
    "ErrorEntry",
    "FaqEntry",
    "KnowledgeBase",
    "KnowledgeError",
    "LookupResult",
    "Match",
    "Matcher",
    "find_codes",
    "to_hex",
    "to_signed",
]
