"""The pages the Teams app package links to (websiteUrl, privacyUrl, termsOfUseUrl) are served by the bot
itself, in English and French (issue 16, item 5: they answered 404)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from presentation.pages import LANGS, PAGES, fragment, pick_language

ROOT = Path(__file__).resolve().parents[2]


def _manifest_paths() -> list[str]:
    manifest = json.loads((ROOT / "manifest" / "manifest.template.json").read_text())
    urls = [manifest["developer"][key] for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl")]
    paths = [re.sub(r"^https://\$\{\{BOT_DOMAIN\}\}", "", url) for url in urls]
    assert all(p.startswith("/") for p in paths), urls
    return paths


@pytest.mark.parametrize("path", _manifest_paths())
async def test_every_page_the_manifest_links_is_served_in_both_languages(client: TestClient, path: str) -> None:
    english = await client.get(path)
    assert english.status == 200 and english.content_type == "text/html"
    text = await english.text()
    assert '<html lang="en">' in text and "<h1>" in text
    french = await client.get(path, headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert french.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in await french.text()
    assert (await client.get(path + "?lang=fr")).headers["Content-Language"] == "fr"


async def test_privacy_page_says_what_is_kept(client: TestClient) -> None:
    text = await (await client.get("/privacy")).text()
    assert "audit" in text and "Microsoft Graph" in text
    french = await (await client.get("/privacy?lang=fr")).text()
    assert "Confidentialité" in french and "audit" in french


@pytest.mark.parametrize("page", PAGES)
def test_the_languages_have_the_same_sections_and_links(page: str) -> None:
    shapes = {lang: (fragment(page, lang).count("<h2>"), fragment(page, lang).count("<li>"),
                     fragment(page, lang).count("<a ")) for lang in LANGS}
    assert shapes["en"] == shapes["fr"], shapes


@pytest.mark.parametrize("query,header,expected", [(None, None, "en"), ("fr", None, "fr"), ("de", "fr", "fr"),
                                                   (None, "de-DE,fr;q=0.8,en;q=0.5", "fr"),
                                                   (None, "en;q=0.2,fr;q=0.9", "fr"), (None, "fr;q=0", "en"),
                                                   (None, "x" * 5000, "en"), (None, "fr;q=abc", "en")])
def test_pick_language(query: str | None, header: str | None, expected: str) -> None:
    assert pick_language(query, header) == expected
