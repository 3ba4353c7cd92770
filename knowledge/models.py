"""Plain values the knowledge base holds and returns; no framework types, so any layer can use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from knowledge.codes import to_hex

Kind = Literal["error", "enrollment", "faq"]
Audience = Literal["user", "admin", "both"]
LANGUAGES: tuple[str, ...] = ("en", "fr")
AUDIENCES: tuple[str, ...] = ("user", "admin", "both")


@dataclass(frozen=True, slots=True)
class ErrorText:
    """``also``: other official wordings of the same error (another page's table), matched like the message."""

    message: str
    what_to_do: str | None = None
    also: tuple[str, ...] = ()
    # What an end user can do themselves, where the family's user advice is not right for this code.
    user_what_to_do: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One row of the error catalogue. ``code`` is signed as Intune shows it (None for uncoded rows)."""

    id: str
    code: int | None
    family: str
    texts: dict[str, ErrorText]
    subcode: str | None = None
    symbol: str | None = None
    http_status: int | None = None
    retryable: bool | None = None
    source: str = ""
    doc: str = ""

    kind: Kind = field(default="error", init=False)

    @property
    def hex(self) -> str | None:
        """Computed, never copied: six hex cells in the docs are wrong or missing."""
        if self.code is None or 0 <= self.code < 1000:
            return None
        return to_hex(self.code)

    def title(self, lang: str) -> str:
        return self.texts[lang].message


@dataclass(frozen=True, slots=True)
class EnrollmentText:
    name: str
    details: str
    remediation: str  # what a helpdesk agent / admin does
    user_remediation: str | None = None  # what the user can do themselves, or "your IT team needs to do this"


@dataclass(frozen=True, slots=True)
class EnrollmentEntry:
    id: str
    texts: dict[str, EnrollmentText]
    source: str = ""
    doc: str = ""

    kind: Kind = field(default="enrollment", init=False)

    def title(self, lang: str) -> str:
        return self.texts[lang].name


@dataclass(frozen=True, slots=True)
class FaqText:
    question: str
    phrasings: tuple[str, ...]
    answer: str
    # For an admin entry an end user may still ask: the answer in their terms (else ``answer``).
    user_answer: str | None = None


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    topic: str
    texts: dict[str, FaqText]
    related: tuple[str, ...] = ()
    source: str = ""
    doc: str = ""
    audience: Audience = "both"  # who the answer is written for: end users, admins/agents, or both

    kind: Kind = field(default="faq", init=False)

    def title(self, lang: str) -> str:
        return self.texts[lang].question


@dataclass(frozen=True, slots=True)
class FamilyText:
    title: str
    advice: str  # what IT does (admin-center steps)
    user_advice: str | None = None  # what an end user can do themselves


Entry = ErrorEntry | EnrollmentEntry | FaqEntry


@dataclass(frozen=True, slots=True)
class Match:
    """One answer: the entry and how sure the matcher is (0-100; 100 for an exact code)."""

    entry: Entry
    score: float
    exact: bool = False

    @property
    def kind(self) -> Kind:
        return self.entry.kind

    @property
    def id(self) -> str:
        return self.entry.id


@dataclass(frozen=True, slots=True)
class LookupResult:
    """What the matcher concluded about one query.

    ``matches`` are confident answers, best first (several when one message belongs to several
    codes or the query names several codes). ``suggestions`` is the "did you mean" list when no
    answer is confident. ``unknown_codes`` are code-shaped values not in the catalogue; when any
    code was found no fuzzy guess is offered for it. ``truncated`` says only the start was read.
    """

    query: str
    matches: tuple[Match, ...] = ()
    suggestions: tuple[Match, ...] = ()
    unknown_codes: tuple[int, ...] = ()
    unknown_subcodes: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def found_code(self) -> bool:
        return bool(self.unknown_codes or self.unknown_subcodes or any(m.exact for m in self.matches))
