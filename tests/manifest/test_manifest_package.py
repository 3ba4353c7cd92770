"""The Teams app package: schema-valid, complete, translated, with icons Teams accepts, and clear errors."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import tomllib
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image, ImageChops, ImageStat

from bot import manifest_package
from bot.manifest_package import ManifestError, build_package, command_titles, render_documents

APP_ID = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
DOMAIN = "helpdesk-bot.contoso.com"
REPO = Path(__file__).resolve().parents[2]
MANIFEST_DIR = REPO / "manifest"
SCHEMA_DIR = MANIFEST_DIR / "schema"
EXPECTED_FILES = {"manifest.json", "fr-fr.json", "color.png", "outline.png"}
TITLE_KEY = re.compile(r"^bots\[0\]\.commandLists\[(\d+)\]\.commands\[(\d+)\]\.title$")


def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "build" / "intune-helpdesk.zip"
    assert build_package(APP_ID, out, domain=DOMAIN) == out
    return out


@pytest.fixture(scope="module")
def files(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def manifest(files: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(files["manifest.json"].decode("utf-8"))


@pytest.fixture(scope="module")
def french(files: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(files["fr-fr.json"].decode("utf-8"))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A private copy of manifest/ that a test may break."""
    return Path(shutil.copytree(MANIFEST_DIR, tmp_path / "manifest"))


def _edit_json(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


# ------------------------------------------------------------------------------------------- the package


def test_zip_holds_exactly_the_four_files_at_its_root(package: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert sorted(names) == sorted(EXPECTED_FILES)


def test_manifest_validates_against_the_vendored_schema(manifest: dict[str, Any]) -> None:
    schema = _schema("MicrosoftTeams.v1.22.schema.json")
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(manifest)
    assert (
        manifest["$schema"]
        == "https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"
    )
    assert manifest["manifestVersion"] == "1.22"


def test_localization_validates_against_the_vendored_schema(french: dict[str, Any]) -> None:
    schema = _schema("MicrosoftTeams.Localization.v1.22.schema.json")
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(french)
    # Draft-04 ignores the limits the schema writes next to "$ref", so check them here as Teams does.
    limits = {"name.short": 30, "name.full": 100, "description.short": 80, "description.full": 4000}
    for key, limit in limits.items():
        assert french[key].strip() and len(french[key]) <= limit, key


def test_app_id_is_the_app_id_and_the_bot_id(manifest: dict[str, Any]) -> None:
    assert manifest["id"] == APP_ID.lower()
    assert manifest["bots"][0]["botId"] == APP_ID.lower()


def test_no_placeholder_is_left(files: dict[str, bytes]) -> None:
    for name in ("manifest.json", "fr-fr.json"):
        assert "${{" not in files[name].decode("utf-8"), name


def test_domain_fills_valid_domains_and_developer_urls(manifest: dict[str, Any]) -> None:
    assert manifest["validDomains"] == [DOMAIN]
    developer = manifest["developer"]
    assert developer["name"] == "Intune Helpdesk Bot contributors"
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[key].startswith(f"https://{DOMAIN}/")


def test_bot_shape(manifest: dict[str, Any]) -> None:
    (bot,) = manifest["bots"]
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    assert "webApplicationInfo" not in manifest
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en-us",
        "additionalLanguages": [{"languageTag": "fr-fr", "file": "fr-fr.json"}],
    }
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000


def test_command_lists_match_in_english_and_french_and_fit_the_limits(
    manifest: dict[str, Any], french: dict[str, Any]
) -> None:
    lists = manifest["bots"][0]["commandLists"]
    assert 1 <= len(lists) <= 3
    french_counts: dict[int, int] = {}
    for key in french:
        if match := TITLE_KEY.match(key):
            french_counts[int(match[1])] = french_counts.get(int(match[1]), 0) + 1
    assert french_counts == {i: len(lst["commands"]) for i, lst in enumerate(lists)}
    for i, command_list in enumerate(lists):
        assert 1 <= len(command_list["commands"]) <= 10
        for j, command in enumerate(command_list["commands"]):
            prefix = f"bots[0].commandLists[{i}].commands[{j}]"
            assert command["title"].strip() and command["description"].strip()
            assert french[f"{prefix}.title"].strip() and french[f"{prefix}.description"].strip()
            assert len(command["title"]) <= 128 and len(french[f"{prefix}.title"]) <= 128


def test_command_titles_in_both_languages() -> None:
    english = command_titles("en")
    assert english == [
        "help",
        "what does this code mean",
        "sync my device",
        "troubleshoot a user",
        "talk to someone",
        "my tickets",
        "language",
        "use this channel for tickets",
    ]
    french = command_titles("fr")
    assert french == [
        "aide",
        "que signifie ce code",
        "synchroniser mon appareil",
        "dépanner un utilisateur",
        "parler à quelqu'un",
        "mes tickets",
        "langue",
        "utilise ce canal pour les tickets",
    ]
    assert command_titles("fr-FR") == french
    assert command_titles("en-US") == english


def test_command_titles_unknown_language() -> None:
    with pytest.raises(ManifestError, match="language 'de'"):
        command_titles("de")


def test_icon_sizes_and_colours(files: dict[str, bytes]) -> None:
    color = Image.open(BytesIO(files["color.png"]))
    outline = Image.open(BytesIO(files["outline.png"]))
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    assert color.convert("RGBA").getchannel("A").getextrema() == (255, 255)  # full colour, opaque


def test_outline_icon_is_white_on_transparent(files: dict[str, bytes]) -> None:
    outline = Image.open(BytesIO(files["outline.png"]))
    assert outline.mode == "RGBA"
    pixels = list(outline.getdata())
    not_white = {(r, g, b) for r, g, b, _ in pixels} - {(255, 255, 255)}
    assert not not_white, f"outline.png may only use white (with alpha), found {sorted(not_white)[:5]}"
    for corner in [(0, 0), (31, 0), (0, 31), (31, 31)]:
        assert outline.getpixel(corner)[3] == 0, corner
    alphas = [a for *_, a in pixels]
    transparent = sum(a == 0 for a in alphas) / len(alphas)
    solid = sum(a == 255 for a in alphas) / len(alphas)
    assert 0.2 < transparent < 0.8 and solid > 0.2  # a real glyph, on a real transparent background


def test_committed_icons_come_from_the_drawing_script() -> None:
    spec = importlib.util.spec_from_file_location("draw_icons", MANIFEST_DIR / "draw_icons.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, drawn in (("color.png", module.draw_color()), ("outline.png", module.draw_outline())):
        committed = Image.open(MANIFEST_DIR / name).convert("RGBA")
        difference = ImageChops.difference(committed, drawn.convert("RGBA"))
        assert max(ImageStat.Stat(difference).mean) < 1.0, f"{name} differs from draw_icons.py: rerun it"


def test_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    first = build_package(APP_ID, tmp_path / "a.zip", domain=DOMAIN, version="1.2.3")
    second = build_package(APP_ID, tmp_path / "b.zip", domain=DOMAIN, version="1.2.3")
    assert first.read_bytes() == second.read_bytes()


# ------------------------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "not-a-guid",
        "3f2504e04f8911d39a0c0305e82c3301",
        "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
        "3f2504e0-4f89-11d3-9a0c-0305e82c330",
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301x",
        "00000000-0000-0000-0000-000000000000",
        "${{BOT_ID}}",
    ],
)
def test_bad_app_id_is_refused_and_nothing_is_written(tmp_path: Path, bad_id: str) -> None:
    out = tmp_path / "pkg.zip"
    with pytest.raises(ManifestError, match="app id"):
        build_package(bad_id, out, domain=DOMAIN)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "bad_domain",
    [
        "",
        "https://helpdesk-bot.contoso.com",
        "helpdesk-bot.contoso.com/api/messages",
        "helpdesk-bot.contoso.com:443",
        "user@helpdesk-bot.contoso.com",
        "localhost",
        "10.0.0.1",
        "helpdesk_bot.contoso.com",
        "-helpdesk.contoso.com",
        "helpdesk bot.contoso.com",
        "*.contoso.com",
        "bücher.example",
        "a" * 64 + ".example.com",
    ],
)
def test_bad_domain_is_refused(tmp_path: Path, bad_domain: str) -> None:
    with pytest.raises(ManifestError, match="domain"):
        build_package(APP_ID, tmp_path / "pkg.zip", domain=bad_domain)
    assert not (tmp_path / "pkg.zip").exists()


def test_domain_is_normalised() -> None:
    documents = render_documents(APP_ID, domain=" Helpdesk-Bot.Contoso.COM. ")
    assert documents["manifest.json"]["validDomains"] == [DOMAIN]


def test_without_a_domain_the_package_is_still_valid(tmp_path: Path) -> None:
    out = build_package(APP_ID, tmp_path / "pkg.zip")
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["validDomains"] == []
    assert manifest["developer"]["websiteUrl"].startswith("https://")
    jsonschema.Draft4Validator(_schema("MicrosoftTeams.v1.22.schema.json")).validate(manifest)


def test_version_defaults_to_the_project_version_and_can_be_set() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert render_documents(APP_ID, domain=DOMAIN)["manifest.json"]["version"] == project
    assert render_documents(APP_ID, domain=DOMAIN, version="2.10.0")["manifest.json"]["version"] == "2.10.0"


@pytest.mark.parametrize("bad_version", ["1.0", "v1.0.0", "1.0.0-beta", "01.0.0", ""])
def test_bad_version_is_refused(bad_version: str) -> None:
    with pytest.raises(ManifestError, match="version"):
        render_documents(APP_ID, domain=DOMAIN, version=bad_version)


# ------------------------------------------------------------------------------------------- checks on the sources


def test_a_schema_violation_is_reported_with_its_path(source: Path, tmp_path: Path) -> None:
    _edit_json(source / "manifest.template.json", lambda m: m["bots"][0]["scopes"].__setitem__(0, "Personal"))
    with pytest.raises(ManifestError, match=r"manifest\.json: bots/0/scopes/0: 'Personal' is not one of"):
        build_package(APP_ID, tmp_path / "pkg.zip", domain=DOMAIN, source=source)
    assert not (tmp_path / "pkg.zip").exists()


def test_a_localization_violation_is_reported(source: Path) -> None:
    _edit_json(source / "fr-fr.json", lambda d: d.__setitem__("name.short", "x" * 31))
    with pytest.raises(ManifestError, match=r"fr-fr\.json: name\.short: .* is too long"):
        render_documents(APP_ID, domain=DOMAIN, source=source)


def test_a_missing_or_extra_translation_is_reported(source: Path) -> None:
    def change(strings: dict[str, Any]) -> None:
        del strings["bots[0].commandLists[0].commands[2].title"]
        strings["bots[0].commandLists[2].commands[0].title"] = "en trop"

    _edit_json(source / "fr-fr.json", change)
    with pytest.raises(ManifestError) as caught:
        render_documents(APP_ID, domain=DOMAIN, source=source)
    message = str(caught.value)
    assert "missing translation bots[0].commandLists[0].commands[2].title" in message
    assert "bots[0].commandLists[2].commands[0].title has no matching command" in message


def test_an_unknown_placeholder_is_reported(source: Path) -> None:
    _edit_json(
        source / "manifest.template.json", lambda m: m["developer"].__setitem__("mpnId", "${{MPN_ID}}")
    )
    with pytest.raises(ManifestError, match=r"unknown placeholder \$\{\{MPN_ID\}\}"):
        render_documents(APP_ID, domain=DOMAIN, source=source)


def test_a_wrong_icon_size_is_reported(source: Path, tmp_path: Path) -> None:
    Image.new("RGBA", (48, 48), (255, 255, 255, 0)).save(source / "outline.png")
    with pytest.raises(ManifestError, match=r"outline\.png: must be 32x32 pixels, is 48x48"):
        build_package(APP_ID, tmp_path / "pkg.zip", domain=DOMAIN, source=source)


def test_a_missing_manifest_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="manifest folder not found"):
        build_package(APP_ID, tmp_path / "pkg.zip", domain=DOMAIN, source=tmp_path / "nowhere")


def test_the_default_manifest_folder_is_the_repository_one() -> None:
    assert manifest_package.manifest_dir() == MANIFEST_DIR


def test_vendored_schemas_are_the_reference_copies() -> None:
    reference = REPO.parent / "shared" / "reference" / "teams-manifest-schema"
    if not reference.is_dir():
        pytest.skip("../shared/reference is not beside this checkout")
    for name in ("MicrosoftTeams.v1.22.schema.json", "MicrosoftTeams.Localization.v1.22.schema.json"):
        assert (SCHEMA_DIR / name).read_bytes() == (reference / name).read_bytes(), name
    assert (SCHEMA_DIR / "LICENSE").is_file() and (SCHEMA_DIR / "SOURCE.txt").is_file()


def test_the_builder_does_not_import_the_bot_framework() -> None:
    tree = ast.parse(Path(manifest_package.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith(("botbuilder", "botframework", "aiohttp"))}


def test_a_malformed_placeholder_is_reported(source: Path) -> None:
    _edit_json(source / "manifest.template.json", lambda m: m["name"].__setitem__("full", "Bot ${{BOT_ID"))
    with pytest.raises(ManifestError, match=r"placeholders left unfilled: \$\{\{BOT_ID"):
        render_documents(APP_ID, domain=DOMAIN, source=source)
