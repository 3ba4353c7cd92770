"""Build the Teams app package (manifest.json + fr-fr.json + two icons, zipped) from ``manifest/``.

The template in ``manifest/manifest.template.json`` is committed without any tenant data: the bot's app id, the
public host name and the version are filled in here at build time, so the bot id never lands in git. Every built
document is validated offline against the vendored Teams schemas (``manifest/schema/``) before anything is written,
because Teams only reports a bad package as an opaque upload error.

This module is plain Python (no Bot Framework imports) so the CLI and the tests can use it alone.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import re
import struct
import tempfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.validators
from jsonschema.protocols import Validator

__all__ = [
    "ICON_SIZES",
    "MANIFEST_DIR",
    "PACKAGE_FILES",
    "ManifestError",
    "build_package",
    "command_titles",
    "manifest_dir",
    "render_documents",
]

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_DIR = REPO_ROOT / "manifest"
TEMPLATE_NAME = "manifest.template.json"
MANIFEST_SCHEMA = Path("schema") / "MicrosoftTeams.v1.22.schema.json"
LOCALIZATION_SCHEMA = Path("schema") / "MicrosoftTeams.Localization.v1.22.schema.json"
MANIFEST_VERSION = "1.22"

#: Icon file -> required (width, height); the names are the ones the manifest's ``icons`` refer to.
ICON_SIZES: dict[str, tuple[int, int]] = {"color.png": (192, 192), "outline.png": (32, 32)}
#: Exactly what goes into the zip, all at its root.
PACKAGE_FILES = ("manifest.json", "fr-fr.json", "color.png", "outline.png")

#: Used for the developer URLs when no domain is given (a trial package); example.com is reserved for examples.
FALLBACK_DEVELOPER_HOST = "example.com"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_NIL_GUID = "00000000-0000-0000-0000-000000000000"
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_PLACEHOLDER = re.compile(r"\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_COMMAND_KEY = "bots[0].commandLists[{list}].commands[{command}].{field}"
# Fixed timestamp for zip entries so the same inputs give the same bytes (zip cannot store dates before 1980).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_ALPHA_COLOR_TYPES = {4, 6}  # grey + alpha, RGB + alpha


class ManifestError(ValueError):
    """The package cannot be built; the message says what to fix."""


# --------------------------------------------------------------------------------------------------- inputs


def manifest_dir(source: Path | None = None) -> Path:
    """Return the folder holding the template, translations, icons and schemas, or say how to get one.

    The folder is not a Python package (it is not in a wheel), so it is found next to ``bot/`` in the source
    checkout, which is where an editable install (``pip install -e .``) runs from.
    """
    folder = Path(source) if source is not None else MANIFEST_DIR
    if not (folder / TEMPLATE_NAME).is_file():
        raise ManifestError(
            f"manifest folder not found: {folder} has no {TEMPLATE_NAME}. Build the Teams package from a source "
            "checkout of the project (installed with `pip install -e .`), where manifest/ sits next to bot/."
        )
    return folder


def _check_app_id(app_id: str) -> str:
    """Accept only a GUID, because Teams rejects anything else as the app id and bot id."""
    value = app_id.strip() if isinstance(app_id, str) else app_id
    if not isinstance(value, str) or not _GUID.match(value):
        raise ManifestError(
            f"app id must be the bot's Microsoft App ID, a GUID like 123e4567-e89b-12d3-a456-426614174000; "
            f"got {app_id!r}"
        )
    if value == _NIL_GUID:
        raise ManifestError(
            "app id is the all-zero GUID; use the Microsoft App ID of your Azure Bot resource"
        )
    return value.lower()


def _check_domain(domain: str) -> str:
    """Accept only a bare host name, because it is pasted into https:// URLs and into validDomains."""
    hint = "a plain host name such as helpdesk-bot.contoso.com, without https://, port or path"
    if not isinstance(domain, str):
        raise ManifestError(f"domain must be {hint}; got {domain!r}")
    host = domain.strip().lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise ManifestError(f"domain must be {hint}; got an empty value")
    if any(ch in host for ch in ":/?#@\\ *"):
        raise ManifestError(f"domain must be {hint}; got {domain!r}")
    if not host.isascii():
        raise ManifestError(
            f"domain must be ASCII (write an international name in its xn-- form); got {domain!r}"
        )
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ManifestError(f"domain must be {hint}; got {domain!r}")
    if labels[-1].isdigit():
        raise ManifestError(
            f"domain must be a DNS name, not an IP address (Teams needs HTTPS on a name); got {domain!r}"
        )
    return host


def _default_version() -> str:
    """Use the project's own version, so a new release gives Teams the higher version it needs to update."""
    pyproject = REPO_ROOT / "pyproject.toml"
    if pyproject.is_file():
        try:
            version = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise ManifestError(f"cannot read the project version from {pyproject}: {exc}") from exc
        return str(version)
    try:
        return importlib.metadata.version("intune-helpdesk-bot")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ManifestError("cannot tell the app version; pass version='X.Y.Z'") from exc


def _check_version(version: str) -> str:
    """Teams wants plain MAJOR.MINOR.PATCH and refuses to update an app to a version that is not higher."""
    value = version.strip() if isinstance(version, str) else version
    if not isinstance(value, str) or not _SEMVER.match(value):
        raise ManifestError(f"version must look like 1.2.3 (three numbers, no suffix); got {version!r}")
    return value


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"missing file: {path}") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{path.name} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc


# --------------------------------------------------------------------------------------------------- filling


def _fill(node: Any, values: dict[str, str], unknown: set[str]) -> Any:
    """Replace ``${{NAME}}`` in every string of a JSON tree (wherever it sits), noting names without a value."""
    if isinstance(node, dict):
        return {key: _fill(value, values, unknown) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values, unknown) for item in node]
    if isinstance(node, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                unknown.add(name)
                return match.group(0)
            return values[name]

        return _PLACEHOLDER.sub(replace, node)
    return node


def _leftover_placeholders(document: Any) -> list[str]:
    """Find any ``${{`` still present, even a malformed one the filling pattern did not recognise."""
    text = json.dumps(document, ensure_ascii=False)
    return sorted(set(re.findall(r"\$\{\{[^}]*\}?\}?", text)))


# --------------------------------------------------------------------------------------------------- validation


_ANNOTATIONS = {"description", "title", "default", "examples", "$comment"}


def _honour_ref_siblings(node: Any) -> Any:
    """Turn ``{"$ref": ..., "maxLength": 30}`` into an ``allOf`` so the sibling limits are checked too.

    Draft-04 ignores everything next to a ``$ref``; the localization schema puts its length limits there
    (``name.short`` <= 30 ...), and Teams enforces them, so validating to the letter would let a too-long
    translation through.
    """
    if isinstance(node, list):
        return [_honour_ref_siblings(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _honour_ref_siblings(value) for key, value in node.items()}
    checks = {key: value for key, value in node.items() if key != "$ref" and key not in _ANNOTATIONS}
    if "$ref" not in node or not checks:
        return node
    notes = {key: value for key, value in node.items() if key in _ANNOTATIONS}
    return {**notes, "allOf": [{"$ref": node["$ref"]}, checks]}


def _validator(schema_path: Path) -> Validator:
    """Build a validator for the draft the schema declares; its refs are all local, so nothing is fetched."""
    schema = _honour_ref_siblings(_load_json(schema_path))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ManifestError(f"vendored schema {schema_path} is itself invalid: {exc.message}") from exc
    return cls(schema)


def _where(error: jsonschema.ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path) or "(top level)"


def _schema_errors(document: Any, schema_path: Path, name: str) -> list[str]:
    validator = _validator(schema_path)
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{name}: {_where(e)}: {e.message}" for e in errors]


def _iter_commands(manifest: dict[str, Any]) -> list[tuple[int, int, dict[str, Any]]]:
    """List (list index, command index, command) for the bot's command lists, in manifest order."""
    bots = manifest.get("bots") or []
    if not bots:
        return []
    out = []
    for i, command_list in enumerate(bots[0].get("commandLists") or []):
        for j, command in enumerate(command_list.get("commands") or []):
            out.append((i, j, command))
    return out


def _consistency_errors(manifest: dict[str, Any], localizations: dict[str, dict[str, Any]]) -> list[str]:
    """Checks the schemas cannot express, each a mistake that Teams would refuse or show half-translated."""
    problems: list[str] = []
    if manifest.get("manifestVersion") != MANIFEST_VERSION:
        problems.append(
            f"manifest.json: manifestVersion must be {MANIFEST_VERSION!r} (the vendored schema's)"
        )
    bots = manifest.get("bots") or []
    if len(bots) != 1:
        problems.append("manifest.json: bots must hold exactly one bot")
    elif bots[0].get("botId") != manifest.get("id"):
        problems.append("manifest.json: bots[0].botId must equal id (the bot's Microsoft App ID)")
    for name, size in ICON_SIZES.items():
        if name not in (manifest.get("icons") or {}).values():
            problems.append(f"manifest.json: icons must refer to {name} ({size[0]}x{size[1]})")

    expected = {
        _COMMAND_KEY.format(list=i, command=j, field=field)
        for i, j, _ in _iter_commands(manifest)
        for field in ("title", "description")
    }
    for file_name, strings in localizations.items():
        if not str(strings.get("$schema", "")).endswith(
            f"/v{MANIFEST_VERSION}/MicrosoftTeams.Localization.schema.json"
        ):
            problems.append(f"{file_name}: $schema must be the v{MANIFEST_VERSION} localization schema URL")
        present = {key for key in strings if key.startswith("bots[")}
        problems += [f"{file_name}: missing translation {key}" for key in sorted(expected - present)]
        problems += [
            f"{file_name}: {key} has no matching command in the manifest"
            for key in sorted(present - expected)
        ]
        for key in ("name.short", "name.full", "description.short", "description.full"):
            section, field = key.split(".")
            if key in strings and field not in (manifest.get(section) or {}):
                problems.append(f"{file_name}: {key} is translated but the manifest has no {key}")
    return problems


def _png_info(path: Path) -> tuple[int, int, int]:
    """Read (width, height, colour type) from a PNG header, so the runtime does not need Pillow."""
    try:
        head = path.read_bytes()[:26]
    except FileNotFoundError as exc:
        raise ManifestError(
            f"missing icon {path}; regenerate it with `python manifest/draw_icons.py`"
        ) from exc
    if len(head) < 26 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ManifestError(f"{path.name} is not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    return width, height, head[25]


def _icon_errors(folder: Path) -> list[str]:
    problems = []
    for name, size in ICON_SIZES.items():
        width, height, color_type = _png_info(folder / name)
        if (width, height) != size:
            problems.append(f"{name}: must be {size[0]}x{size[1]} pixels, is {width}x{height}")
        if name == "outline.png" and color_type not in _PNG_ALPHA_COLOR_TYPES:
            problems.append("outline.png: must have an alpha channel (white on transparent)")
    return problems


# --------------------------------------------------------------------------------------------------- public API


def render_documents(
    app_id: str,
    *,
    domain: str | None = None,
    version: str | None = None,
    source: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Fill and validate the manifest and its translations; return ``{file name in the zip: JSON document}``.

    Raises :class:`ManifestError` listing every problem found, so one run shows everything to fix.
    """
    folder = manifest_dir(source)
    bot_id = _check_app_id(app_id)
    host = _check_domain(domain) if domain is not None else None
    app_version = _check_version(version if version is not None else _default_version())
    if host is None:
        log.warning(
            "no domain given: validDomains is empty and the developer URLs point at %s; pass the bot's public "
            "host name for a package you hand to users",
            FALLBACK_DEVELOPER_HOST,
        )

    values = {"BOT_ID": bot_id, "BOT_DOMAIN": host or FALLBACK_DEVELOPER_HOST, "APP_VERSION": app_version}
    unknown: set[str] = set()
    manifest = _fill(_load_json(folder / TEMPLATE_NAME), values, unknown)
    if host is None:
        manifest["validDomains"] = []

    documents: dict[str, dict[str, Any]] = {"manifest.json": manifest}
    for language in (manifest.get("localizationInfo") or {}).get("additionalLanguages") or []:
        file_name = str(language.get("file", ""))
        if Path(file_name).name != file_name or not file_name.endswith(".json"):
            raise ManifestError(
                f"localization file {file_name!r} must be a .json file name at the package root"
            )
        documents[file_name] = _fill(_load_json(folder / file_name), values, unknown)

    problems = [
        f"unknown placeholder ${{{{{name}}}}} (known: {', '.join(sorted(values))})"
        for name in sorted(unknown)
    ]
    for file_name, document in documents.items():
        leftovers = [text for text in _leftover_placeholders(document) if _PLACEHOLDER.sub("", text)]
        if leftovers:
            problems.append(f"{file_name}: placeholders left unfilled: {', '.join(leftovers)}")
        schema = MANIFEST_SCHEMA if file_name == "manifest.json" else LOCALIZATION_SCHEMA
        problems += _schema_errors(document, folder / schema, file_name)
    localizations = {name: doc for name, doc in documents.items() if name != "manifest.json"}
    problems += _consistency_errors(manifest, localizations)
    if problems:
        raise ManifestError("the Teams manifest is not valid:\n  - " + "\n  - ".join(problems))
    return documents


def build_package(
    app_id: str,
    out: Path,
    *,
    domain: str | None = None,
    version: str | None = None,
    source: Path | None = None,
) -> Path:
    """Write the Teams app package zip to ``out`` and return its path.

    ``app_id`` is the Microsoft App ID of the Azure Bot resource (it becomes both the Teams app id and the bot id);
    ``domain`` is the bot's public host name (for validDomains and the developer URLs); ``version`` defaults to the
    project version and must go up each time an updated package is uploaded. Nothing is written unless the
    manifest, its translations and the icons all pass their checks. ``source`` swaps the ``manifest/`` folder
    (tests use it).
    """
    folder = manifest_dir(source)
    documents = render_documents(app_id, domain=domain, version=version, source=folder)
    problems = _icon_errors(folder)
    names = [*documents, *ICON_SIZES]
    if sorted(names) != sorted(PACKAGE_FILES):
        problems.append(f"the package would hold {sorted(names)}, expected {sorted(PACKAGE_FILES)}")
    if problems:
        raise ManifestError("the Teams package is not valid:\n  - " + "\n  - ".join(problems))

    out = Path(out)
    if out.exists() and out.is_dir():
        raise ManifestError(f"the package path must be a .zip file, not the folder {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = [(name, _json_bytes(doc)) for name, doc in documents.items()]
    entries += [(name, (folder / name).read_bytes()) for name in ICON_SIZES]
    # Write next to the target and rename, so a failed build never leaves a half-written zip behind.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        os.replace(tmp_name, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    log.info("wrote Teams app package %s (app id %s)", out, documents["manifest.json"]["id"])
    return out


def command_titles(lang: str) -> list[str]:
    """Return the command titles Teams shows in ``lang`` ("en", "fr", "fr-FR", ...), without duplicates.

    The bot's tests use this to check that every command a user can pick from the Teams menu is understood.
    """
    folder = manifest_dir()
    template = _load_json(folder / TEMPLATE_NAME)
    primary = (lang or "").strip().replace("_", "-").split("-")[0].lower()
    default_tag = str((template.get("localizationInfo") or {}).get("defaultLanguageTag", "en-us"))
    commands = _iter_commands(template)
    if primary == default_tag.split("-")[0].lower():
        titles = [str(command["title"]) for _, _, command in commands]
    else:
        languages = (template.get("localizationInfo") or {}).get("additionalLanguages") or []
        match = [
            item for item in languages if str(item.get("languageTag", "")).split("-")[0].lower() == primary
        ]
        if not primary or not match:
            known = [default_tag, *(str(item.get("languageTag")) for item in languages)]
            raise ManifestError(f"no Teams manifest strings for language {lang!r}; known: {', '.join(known)}")
        strings = _load_json(folder / str(match[0]["file"]))
        titles = []
        for i, j, command in commands:
            key = _COMMAND_KEY.format(list=i, command=j, field="title")
            if key not in strings:
                raise ManifestError(
                    f"{match[0]['file']}: missing translation {key} ({command.get('title')!r})"
                )
            titles.append(str(strings[key]))
    return list(dict.fromkeys(titles))


def _json_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
