"""The gettext catalogs under locales/: they compile, French is complete and faithful, nothing is stale.

The template (locales/messages.pot) must be what `scripts/update-translations.sh` would extract from
bot/ and dialogs/ today, and every catalog must carry exactly its msgids, so a new ``t("...")``
string fails here until it is extracted and translated.
"""

from __future__ import annotations

import ast
import gettext
import io
import re
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"
SOURCE_DIRS = ("bot", "dialogs", "presentation")
# The same extraction as scripts/update-translations.sh (babel.cfg + -k t -k plural:1,2 --no-default-keywords).
METHOD_MAP = [("bot/**.py", "python"), ("dialogs/**.py", "python"), ("presentation/**.py", "python")]
KEYWORDS = {"t": None, "plural": (1, 2)}
UPDATE_HINT = "run scripts/update-translations.sh, then translate the new entries in locales/fr"

# Literal text a translation must keep: error codes, example device names and addresses.
_KEEP = re.compile(r"0x[0-9A-Fa-f]{8}|-\d{6,}|SyncML\(\d+\)|[\w.+-]+@[\w-]+\.[\w.]+|\b[A-Z]{2,}-\d+\b")


Key = tuple[str | None, str | tuple[str, ...]]


def _key(message: Message) -> Key:
    return (message.context, message.id)


def _show(key: Key) -> str:
    context, msgid = key
    text = " | ".join(msgid) if isinstance(msgid, tuple) else msgid
    return f"{text!r}" + (f" (context {context!r})" if context else "")


@cache
def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=True)


def _po(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.po"


def _entries(catalog: Catalog) -> dict[Key, Message]:
    return {_key(m): m for m in catalog if m.id}


def _catalog_paths() -> list[Path]:
    return sorted(LOCALES.glob("*/LC_MESSAGES/*.po"))


def _fields(text: str) -> list[str]:
    """The str.format field names in ``text`` ("name" for "{name}", "{name.attr}", "{name[0]}")."""
    names = []
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None:
            names.append(re.split(r"[.\[]", field, maxsplit=1)[0])
    return sorted(names)


def _forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _diff(expected: set[Key], actual: set[Key], what: str) -> list[str]:
    problems = []
    missing = sorted(expected - actual, key=repr)
    extra = sorted(actual - expected, key=repr)
    if missing:
        problems.append(f"missing from {what}:\n  " + "\n  ".join(_show(k) for k in missing))
    if extra:
        problems.append(f"in {what} but not expected:\n  " + "\n  ".join(_show(k) for k in extra))
    return problems


# -- every catalog -------------------------------------------------------------------------------


def test_expected_catalogs_exist() -> None:
    assert TEMPLATE.is_file()
    langs = {p.parts[-3] for p in _catalog_paths()}
    assert {"en", "fr"} <= langs, langs


@pytest.mark.parametrize("po", _catalog_paths(), ids=lambda p: p.parts[-3])
def test_catalog_compiles(po: Path) -> None:
    lang = po.parts[-3]
    catalog = _read(po, lang)
    errors = [f"{_show(_key(m))}: {'; '.join(map(str, errs))}" for m, errs in catalog.check()]
    assert not errors, "catalog check failed:\n" + "\n".join(errors)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    compiled = gettext.GNUTranslations(buf)
    assert compiled.info().get("language", "").replace("-", "_") == lang
    for message in catalog:
        if message.id and not message.fuzzy and not isinstance(message.id, tuple) and message.string:
            assert compiled.gettext(message.id) == message.string


# -- French --------------------------------------------------------------------------------------


def test_french_header() -> None:
    catalog = _read(_po("fr"), "fr")
    assert str(catalog.locale) == "fr"
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") == "(n>1)"
    text = _po("fr").read_text(encoding="utf-8")
    assert '"Language: fr\\n"' in text
    assert re.search(r'"Plural-Forms: nplurals=2; plural=\(n > 1\);?\\n"', text)


def test_french_catalog_is_complete() -> None:
    catalog = _read(_po("fr"), "fr")
    assert not catalog.fuzzy, "the French catalog header is marked fuzzy"
    empty = [_show(k) for k, m in _entries(catalog).items() if not all(f.strip() for f in _forms(m))]
    fuzzy = [_show(k) for k, m in _entries(catalog).items() if m.fuzzy]
    problems = []
    if empty:
        problems.append(f"{len(empty)} French msgstr empty ({UPDATE_HINT}):\n  " + "\n  ".join(empty))
    if fuzzy:
        problems.append("fuzzy French entries (review, then drop '#, fuzzy'):\n  " + "\n  ".join(fuzzy))
    assert not problems, "\n".join(problems)


def test_french_placeholders_match_the_msgid() -> None:
    problems = []
    for key, message in _entries(_read(_po("fr"), "fr")).items():
        ids = list(message.id) if isinstance(message.id, tuple) else [message.id]
        expected = sorted({name for i in ids for name in _fields(i)})
        for i, form in enumerate(_forms(message)):
            if not form:
                continue
            try:
                got = sorted(set(_fields(form)))
            except ValueError as exc:
                problems.append(f"{_show(key)} form {i}: not a valid format string ({exc}): {form!r}")
                continue
            if got != expected:
                problems.append(f"{_show(key)} form {i}: placeholders {got} instead of {expected}: {form!r}")
                continue
            try:
                form.format(**dict.fromkeys(expected, "x"))
            except (ValueError, KeyError, IndexError, AttributeError) as exc:
                problems.append(f"{_show(key)} form {i}: does not format ({exc!r}): {form!r}")
    assert not problems, "\n".join(problems)


def test_french_keeps_markup_and_literal_codes() -> None:
    problems = []
    for key, message in _entries(_read(_po("fr"), "fr")).items():
        source = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        for form in filter(None, _forms(message)):
            if form.count("**") != source.count("**"):
                problems.append(f"{_show(key)}: **bold** markers differ: {form!r}")
            lost = [token for token in _KEEP.findall(source) if token not in form]
            if lost:
                problems.append(f"{_show(key)}: lost {lost}: {form!r}")
    assert not problems, "\n".join(problems)


def test_french_language_switch_confirms_french() -> None:
    """Shown after switching, in the new language: it must name French, not translate 'English'."""
    message = _read(_po("fr"), "fr").get("OK, I'll answer in English from now on.")
    assert message is not None
    assert "français" in message.string and "anglais" not in message.string.lower()


def test_french_catalog_matches_template() -> None:
    template = set(_entries(_read(TEMPLATE)))
    french = set(_entries(_read(_po("fr"), "fr")))
    problems = _diff(template, french, "locales/fr (msgids of locales/messages.pot)")
    assert not problems, UPDATE_HINT + "\n" + "\n".join(problems)


def test_english_catalog_matches_template() -> None:
    template = set(_entries(_read(TEMPLATE)))
    english = set(_entries(_read(_po("en"), "en")))
    problems = _diff(template, english, "locales/en (msgids of locales/messages.pot)")
    assert not problems, UPDATE_HINT + "\n" + "\n".join(problems)


def test_runtime_translator_speaks_french() -> None:
    from presentation.i18n import Translator

    t = Translator("fr")
    assert t("Sync my device") == "Synchroniser mon appareil"
    assert t("Sync {name} now?", name="DESKTOP-42") == "Synchroniser DESKTOP-42 maintenant\u202f?"
    one = t.plural(
        "({n} more not shown: type the device name.)", "({n} more not shown: type the device name.)", 1
    )
    many = t.plural(
        "({n} more not shown: type the device name.)", "({n} more not shown: type the device name.)", 2
    )
    assert one.startswith("(1 autre appareil ") and many.startswith("(2 autres appareils ")


# -- the template against the source -------------------------------------------------------------


def _extracted() -> dict[Key, list[str]]:
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        msgid = tuple(message) if isinstance(message, list | tuple) else message
        found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


def test_template_is_up_to_date_with_the_source() -> None:
    extracted = _extracted()
    assert extracted, "nothing extracted from bot/ and dialogs/: is the method map right?"
    problems = _diff(set(extracted), set(_entries(_read(TEMPLATE))), "locales/messages.pot")
    assert not problems, UPDATE_HINT + "\n" + "\n".join(problems)


def _translator_calls(tree: ast.AST) -> list[ast.Call]:
    """t(...), info.t(...), t.plural(...), Translator(lang)(...)."""
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            (isinstance(func, ast.Name) and func.id == "t")
            or (isinstance(func, ast.Attribute) and func.attr in ("t", "plural"))
            or (
                isinstance(func, ast.Call)
                and isinstance(func.func, ast.Name)
                and func.func.id == "Translator"
            )
        ):
            calls.append(node)
    return calls


def test_every_translated_literal_is_in_the_template() -> None:
    """Also sees what the extractor can miss: t() inside f-strings, Translator(lang)("...")."""
    template = set(_entries(_read(TEMPLATE)))
    problems = []
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = path.relative_to(ROOT)
            for call in _translator_calls(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                plural = isinstance(call.func, ast.Attribute) and call.func.attr == "plural"
                args = call.args[:2] if plural else call.args[:1]
                if not args or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args
                ):
                    problems.append(f"{where}:{call.lineno}: translate a string literal, not an expression")
                    continue
                values = tuple(a.value for a in args)  # type: ignore[attr-defined]
                key: Key = (None, values if plural else values[0])
                if key not in template:
                    problems.append(f"{where}:{call.lineno}: {_show(key)} is not in locales/messages.pot")
    assert not problems, (
        UPDATE_HINT
        + " (pybabel does not see t() inside an f-string nor Translator(lang)(...): call t() outside them)\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize(("locale", "lang"), [
    ("fr-FR", "fr"), ("fr-CA", "fr"), ("fr_BE", "fr"), ("FR-ch", "fr"), ("fr", "fr"),
    ("en-GB", "en"), ("en-US", "en"), ("de-DE", "en"), ("", "en"), (None, "en"), ("not a locale!", "en"),
    ("x" * 5000, "en"),
])
def test_teams_locales_negotiate_to_a_language_we_speak(locale: str | None, lang: str) -> None:
    from presentation.i18n import negotiate

    assert negotiate(locale) == lang
    assert negotiate(locale) == lang  # the second answer comes from the cache: the same


def test_a_malformed_locale_value_falls_back_to_english() -> None:
    from presentation.i18n import negotiate

    assert negotiate(42) == "en"  # type: ignore[arg-type]
    assert negotiate({"fr": 1}) == "en"  # type: ignore[arg-type]
