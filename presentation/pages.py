"""The small public web pages the Teams app package links to: about (websiteUrl), privacy, terms; EN and FR.

Each page is one HTML fragment per language in ``presentation/pages/`` (readable, reviewable prose, kept out of
the message catalogs, which hold the bot's short strings); this module wraps a fragment in a complete page.
"""

from __future__ import annotations

import html
import re
from functools import cache
from importlib import resources

PAGES = ("about", "privacy", "terms")
LANGS = ("en", "fr")
_TITLE = re.compile(r"<h1>(.*?)</h1>", re.DOTALL)
_STYLE = ("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:42rem;margin:2rem auto;"
          "padding:0 1rem;line-height:1.5;color:#242424}h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:1.6rem}"
          "a{color:#5b5fc7}code{background:#f0f0f0;padding:0 .2rem}")


def fragment(page: str, lang: str) -> str:
    """The page's HTML fragment in ``lang``; KeyError for a page or language we do not have."""
    if page not in PAGES or lang not in LANGS:
        raise KeyError((page, lang))
    return _read(page, lang)


@cache
def _read(page: str, lang: str) -> str:
    return resources.files("presentation").joinpath(f"pages/{page}.{lang}.html").read_text(encoding="utf-8")


@cache
def render_page(page: str, lang: str) -> str:
    """A complete HTML5 document for ``page`` in ``lang``."""
    body = fragment(page, lang)
    match = _TITLE.search(body)
    title = html.unescape(re.sub(r"<[^>]+>", "", match.group(1))) if match else page
    return (f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")


def pick_language(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` when it is one we speak, else the browser's best Accept-Language match, else English."""
    if query_lang in LANGS:
        return str(query_lang)
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower().split("-")[0]))
    for negative_quality, _, primary in sorted(ranked):
        if negative_quality < 0 and primary in LANGS:
            return primary
    return "en"
