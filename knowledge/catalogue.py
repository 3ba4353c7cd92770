"""Load the knowledge data files into plain entries, checking the shape as we go.

Loading is separate from matching (as in hassil): tests build a small base with
:meth:`KnowledgeBase.from_dicts`; the bot loads the shipped files with :meth:`KnowledgeBase.from_dir`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from knowledge.models import (
    AUDIENCES,
    LANGUAGES,
    EnrollmentEntry,
    EnrollmentText,
    ErrorEntry,
    ErrorText,
    FamilyText,
    FaqEntry,
    FaqText,
)

__all__ = ["DATA_DIR", "KnowledgeBase", "KnowledgeError"]

DATA_DIR = Path(str(resources.files("knowledge") / "data"))
KINDS = ("errors", "enrollment", "faq")


class KnowledgeError(ValueError):
    """A data file is malformed; the message names the file and the entry."""


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc


def _opt_text(value: Any) -> str | None:
    """An optional text field: stripped, and None when absent or blank."""
    text = str(value).strip() if value is not None else ""
    return text or None


def _norm_subcode(subcode: str) -> str:
    """"Syncml(404)" -> "syncml(404)"; "(1404)" -> "dcmo(1404)" (the doc drops DCMO on two rows)."""
    s = subcode.strip().lower().replace(" ", "")
    return "dcmo" + s if s.startswith("(") else s


def _kind_files(folder: Path, kind: str) -> list[Path]:
    """``errors.yaml`` then the per-table files ``errors-<table>.yaml`` (sorted): one kind may be split by table."""
    return [folder / f"{kind}.yaml", *sorted(folder.glob(f"{kind}-*.yaml"))]


def _read_kind(folder: Path, kind: str, *, lang: str | None = None) -> dict[str, Any]:
    """One kind's data merged from its files: entries (a list, or a mapping per language) and families."""
    merged: dict[str, Any] = {}
    for file in _kind_files(folder, kind):
        if not file.exists() and file.name != f"{kind}.yaml":
            continue
        doc = _read_yaml(file) or {}
        if lang is not None and doc.get("language") != lang:
            raise KnowledgeError(f"{file}: declares language {doc.get('language')!r}")
        for key, value in doc.items():
            if key not in merged:
                merged[key] = value
            elif isinstance(value, list) and isinstance(merged[key], list):
                merged[key] = [*merged[key], *value]
            elif isinstance(value, dict) and isinstance(merged[key], dict):
                clash = set(value) & set(merged[key])
                if clash:
                    raise KnowledgeError(f"{file}: {key} already defined elsewhere: {sorted(clash)[:5]}")
                merged[key] = {**merged[key], **value}
            elif value != merged[key]:
                raise KnowledgeError(f"{file}: {key!r} disagrees with the other {kind} files")
    return merged


@dataclass(frozen=True)
class KnowledgeBase:
    errors: dict[str, ErrorEntry]
    enrollment: dict[str, EnrollmentEntry]
    faq: dict[str, FaqEntry]
    families: dict[str, dict[str, FamilyText]]
    commons: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_code: dict[int, tuple[ErrorEntry, ...]] = field(default_factory=dict)
    by_subcode: dict[str, tuple[ErrorEntry, ...]] = field(default_factory=dict)
    by_symbol: dict[str, tuple[ErrorEntry, ...]] = field(default_factory=dict)

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def from_dir(cls, path: Path | str | None = None) -> KnowledgeBase:
        """Load ``<path>/{errors,enrollment,faq}.yaml`` and ``<path>/<lang>/*.yaml``."""
        root = Path(path) if path is not None else DATA_DIR
        neutral = {kind: _read_kind(root, kind) for kind in KINDS}
        per_lang: dict[str, dict[str, Any]] = {}
        commons: dict[str, dict[str, Any]] = {}
        for lang in LANGUAGES:
            per_lang[lang] = {}
            for kind in KINDS:
                per_lang[lang][kind] = _read_kind(root / lang, kind, lang=lang)
            common_path = root / lang / "_common.yaml"
            commons[lang] = (_read_yaml(common_path) or {}) if common_path.exists() else {}
        return cls.from_dicts(neutral, per_lang, commons)

    @classmethod
    def from_dicts(
        cls,
        neutral: Mapping[str, Any],
        per_lang: Mapping[str, Mapping[str, Any]],
        commons: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> KnowledgeBase:
        """Build from already parsed YAML: ``neutral[kind]`` and ``per_lang[lang][kind]``."""

        def texts_for(kind: str, entry_id: str) -> dict[str, Mapping[str, Any]]:
            out = {}
            for lang in LANGUAGES:
                entries = (per_lang.get(lang, {}).get(kind) or {}).get("entries") or {}
                if entry_id not in entries:
                    raise KnowledgeError(f"{lang}/{kind}.yaml: no entry for id {entry_id!r}")
                out[lang] = entries[entry_id]
            return out

        errors: dict[str, ErrorEntry] = {}
        for raw in (neutral.get("errors") or {}).get("entries") or []:
            eid = str(raw["id"])
            texts = {
                lang: ErrorText(message=str(t["message"]).strip(), what_to_do=(t.get("what_to_do") or None),
                                also=tuple(str(a).strip() for a in t.get("also") or ()),
                                user_what_to_do=_opt_text(t.get("user_what_to_do") or t.get("user_advice")))
                for lang, t in texts_for("errors", eid).items()
            }
            if eid in errors:
                raise KnowledgeError(f"errors.yaml: duplicate id {eid!r}")
            errors[eid] = ErrorEntry(
                id=eid,
                code=raw.get("code"),
                family=str(raw["family"]),
                texts=texts,
                subcode=raw.get("subcode"),
                symbol=raw.get("symbol"),
                http_status=raw.get("http_status"),
                retryable=raw.get("retryable"),
                source=str(raw.get("source", "")),
                doc=str(raw.get("doc", "")),
            )

        enrollment: dict[str, EnrollmentEntry] = {}
        for raw in (neutral.get("enrollment") or {}).get("entries") or []:
            eid = str(raw["id"])
            if eid in enrollment:
                raise KnowledgeError(f"enrollment.yaml: duplicate id {eid!r}")
            enrollment[eid] = EnrollmentEntry(
                id=eid,
                texts={
                    lang: EnrollmentText(str(t["name"]).strip(), str(t["details"]).strip(),
                                         str(t.get("remediation", "")).strip(),
                                         _opt_text(t.get("user_remediation")))
                    for lang, t in texts_for("enrollment", eid).items()
                },
                source=str(raw.get("source", "")),
                doc=str(raw.get("doc", "")),
            )

        faq: dict[str, FaqEntry] = {}
        for raw in (neutral.get("faq") or {}).get("entries") or []:
            eid = str(raw["id"])
            if eid in faq:
                raise KnowledgeError(f"faq.yaml: duplicate id {eid!r}")
            audience = str(raw.get("audience") or "both")
            if audience not in AUDIENCES:
                raise KnowledgeError(f"faq.yaml: {eid} has audience {audience!r}, not one of {AUDIENCES}")
            faq[eid] = FaqEntry(
                id=eid,
                topic=str(raw.get("topic", "")),
                texts={
                    lang: FaqText(str(t["question"]).strip(), tuple(str(p) for p in t.get("phrasings") or ()),
                                  str(t["answer"]).strip(), _opt_text(t.get("user_answer")))
                    for lang, t in texts_for("faq", eid).items()
                },
                related=tuple(raw.get("related") or ()),
                source=str(raw.get("source", "")),
                doc=str(raw.get("doc", "")),
                audience=audience,  # type: ignore[arg-type]
            )
        for entry in faq.values():
            missing = [r for r in entry.related if r not in faq]
            if missing:
                raise KnowledgeError(f"faq.yaml: {entry.id} relates to unknown ids {missing}")

        families: dict[str, dict[str, FamilyText]] = {}
        for lang in LANGUAGES:
            for fam, t in ((per_lang.get(lang, {}).get("errors") or {}).get("families") or {}).items():
                families.setdefault(fam, {})[lang] = FamilyText(str(t["title"]), str(t["advice"]),
                                                                _opt_text(t.get("user_advice")))

        by_code: dict[int, list[ErrorEntry]] = {}
        by_subcode: dict[str, list[ErrorEntry]] = {}
        by_symbol: dict[str, list[ErrorEntry]] = {}
        for e in errors.values():
            if e.code is not None:
                by_code.setdefault(int(e.code), []).append(e)
            if e.subcode and not e.subcode.strip().isdigit():
                by_subcode.setdefault(_norm_subcode(e.subcode), []).append(e)
            if e.symbol:
                by_symbol.setdefault(e.symbol.upper(), []).append(e)
        return cls(
            errors=errors,
            enrollment=enrollment,
            faq=faq,
            families=families,
            commons={k: dict(v) for k, v in (commons or {}).items()},
            by_code={k: tuple(v) for k, v in by_code.items()},
            by_subcode={k: tuple(v) for k, v in by_subcode.items()},
            by_symbol={k: tuple(v) for k, v in by_symbol.items()},
        )

    # -- access ----------------------------------------------------------------------------
    def get(self, kind: str, entry_id: str) -> ErrorEntry | EnrollmentEntry | FaqEntry | None:
        table = {"error": self.errors, "enrollment": self.enrollment, "faq": self.faq}.get(kind, {})
        return table.get(entry_id)

    def family(self, family: str, lang: str) -> FamilyText | None:
        return self.families.get(family, {}).get(lang)

    def subcode_entries(self, subcode: str) -> tuple[ErrorEntry, ...]:
        return self.by_subcode.get(_norm_subcode(subcode), ())
