"""Languages: gettext catalogs under locales/, Babel for negotiation, dates and relative times.

Catalogs are compiled from the .po files in memory at first use, so a checkout never carries
stale .mo files; `pybabel compile` works on the same files for anyone who wants them.
"""

from __future__ import annotations

import gettext
import io
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from presentation.typography import typeset

SUPPORTED = ("en", "fr")
DEFAULT = "en"
LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
DOMAIN = "messages"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog for ``lang``; English falls back to the source strings."""
    po = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


class Translator:
    """Bound to one language for one turn: ``t("Hello {name}", name=...)``.

    The translated template gets the language's typography (presentation.typography) *before* the
    values are put in, so names, codes and text the user typed are never retouched.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in SUPPORTED else DEFAULT
        self._t = translations(self.lang)

    def __call__(self, message: str, /, **values: object) -> str:
        text = typeset(self._t.gettext(message), self.lang)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """``{n}`` and a noun that agrees with it, through the catalog's plural forms (ngettext)."""
        return typeset(self._t.ngettext(singular, plural, n), self.lang).format(n=n, **values)

    def prose(self, text: str) -> str:
        """Text from the knowledge data (answers, messages, names) with the language's typography."""
        return typeset(text, self.lang)

    def relative(self, when: datetime | None, now: datetime | None = None) -> str:
        """"3 hours ago" / "il y a 3 heures"; a dash when unknown."""
        if when is None:
            return "—"
        now = now or datetime.now(UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return format_timedelta(when - now, add_direction=True, locale=self.lang, threshold=1.0)

    def datetime(self, when: datetime | None) -> str:
        if when is None:
            return "—"
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return format_datetime(when, format="medium", tzinfo=UTC, locale=self.lang)


    def date(self, when: datetime | None) -> str:
        """"December 1, 2026" / "1 décembre 2026" (UTC); a dash when unknown."""
        if when is None:
            return "—"
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return format_date(when.astimezone(UTC).date(), format="long", locale=self.lang)


def negotiate(locale: str | None) -> str:
    """Map a Teams locale (fr-FR, fr-CA, en-GB ...) to a language we speak."""
    if not locale or not isinstance(locale, str):
        return DEFAULT
    return _negotiate(locale)


@lru_cache(maxsize=512)
def _negotiate(locale: str) -> str:
    """Babel's parsing costs ~25 µs and a tenant sends a handful of distinct locales: cached, bounded."""
    tag = locale.replace("-", "_")
    try:
        parsed = Locale.parse(tag)
        tag = parsed.language if parsed.language else tag
    except (ValueError, TypeError, UnknownLocaleError):
        tag = tag.split("_")[0].lower()
    return negotiate_locale([tag, locale.replace("-", "_")], list(SUPPORTED)) or DEFAULT
