"""Which-language detectors on short chat messages: ours against lingua and py3langid (English/French only).

Run from the repo root: `python benchmarks/language.py [--data FILE] [--repeat 5] [--errors]`.
Reads benchmarks/data/chat_languages.jsonl (or FILE: chat_languages_holdout.jsonl was written after our
vocabulary was tuned on the first, to see whether the tuning carries over) (short helpdesk chat messages labelled "en", "fr" or null for
language-neutral ones: "ok", "2", a bare code, a device name). Prints per detector: accuracy on English and on
French messages, the share of neutral messages it leaves neutral (None, so the conversation keeps its
language), the wrong-language rate (an English or French message given the other language), µs per message,
and, each measured in a fresh interpreter, its load time and the memory it adds (RSS and Python heap).
The third-party detectors are optional (`pip install lingua-language-detector py3langid`, not project
dependencies); a missing one is skipped with a line saying so. `--errors` lists our detectors' misses.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data" / "chat_languages.jsonl"
Detector = Callable[[str], "str | None"]


def _ours() -> Detector:
    from dialogs.understanding import default_recognizer, detect_language
    default_recognizer()
    return detect_language


def _ours_short_rule() -> Detector:
    """``choose_language`` with no chosen language: what it detected, or None when it kept the conversation's.

    Asked once with an English and once with a French conversation: the same answer both times is the
    message's own language, different answers mean the conversation language was kept.
    """
    from dialogs.language import choose_language
    from dialogs.understanding import default_recognizer
    default_recognizer()

    def detect(text: str) -> str | None:
        as_en = choose_language(None, text, "en", None)
        as_fr = choose_language(None, text, "fr", None)
        return as_en if as_en == as_fr else None
    return detect


def _lingua(min_distance: float | None) -> Callable[[], Detector]:
    def load() -> Detector:
        from lingua import Language, LanguageDetectorBuilder
        builder = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH)
        if min_distance is not None:
            builder = builder.with_minimum_relative_distance(min_distance)
        detector = builder.with_preloaded_language_models().build()
        codes = {Language.ENGLISH: "en", Language.FRENCH: "fr"}

        def detect(text: str) -> str | None:
            return codes.get(detector.detect_language_of(text))
        return detect
    return load


def _langid(min_probability: float | None) -> Callable[[], Detector]:
    def load() -> Detector:
        if min_probability is None:
            import py3langid as langid
            langid.set_languages(["en", "fr"])
            return lambda text: langid.classify(text)[0]
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(["en", "fr"])

        def detect(text: str) -> str | None:
            lang, probability = identifier.classify(text)
            return lang if probability >= min_probability else None
        return detect
    return load


# name -> (package to import, loader)
DETECTORS: dict[str, tuple[str | None, Callable[[], Detector]]] = {
    "ours detect_language": (None, _ours),
    "ours choose_language (<3 words: margin 1.5)": (None, _ours_short_rule),
    "lingua en/fr": ("lingua", _lingua(None)),
    "lingua en/fr min_rel_distance 0.25": ("lingua", _lingua(0.25)),
    "lingua en/fr min_rel_distance 0.5": ("lingua", _lingua(0.5)),
    "py3langid en/fr": ("py3langid", _langid(None)),
    "py3langid en/fr prob >= 0.9": ("py3langid", _langid(0.9)),
}


def load_messages(path: Path = DATA) -> list[tuple[str, str | None]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(row["text"], row["lang"]) for row in map(json.loads, filter(str.strip, lines))]


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_load(name: str, heap: bool) -> dict[str, float]:
    """Load one detector in this (fresh) interpreter: milliseconds and RSS it adds, or (``heap``, slower under
    tracemalloc) the Python heap it keeps; native memory (lingua's Rust models) shows in RSS only."""
    _, loader = DETECTORS[name]
    gc.collect()
    if heap:
        tracemalloc.start()
        loader()("warm up le cache")
        gc.collect()
        return {"heap_mb": tracemalloc.get_traced_memory()[0] / 2**20}
    rss = _rss_kb()
    t0 = time.perf_counter()
    loader()("warm up le cache")
    seconds = time.perf_counter() - t0
    return {"load_ms": seconds * 1000, "rss_mb": (_rss_kb() - rss) / 1024}


def load_in_subprocess(name: str) -> dict[str, float]:
    """Load time and memory of one detector, each from a fresh interpreter (NaN when that failed)."""
    out = {"load_ms": float("nan"), "rss_mb": float("nan"), "heap_mb": float("nan")}
    for mode in ("--load-only", "--heap-only"):
        run = subprocess.run([sys.executable, __file__, mode, name], capture_output=True, text=True, cwd=ROOT,
                             check=False)
        if run.returncode == 0:
            out.update(json.loads(run.stdout))
    return out


def evaluate(detect: Detector, messages: list[tuple[str, str | None]], repeat: int) -> dict[str, float]:
    got = [detect(text) for text, _ in messages]
    passes = []  # the fastest pass: the least disturbed by whatever else the machine runs
    for _ in range(repeat):
        t0 = time.perf_counter()
        for text, _ in messages:
            detect(text)
        passes.append(time.perf_counter() - t0)
    us = min(passes) / len(messages) * 1e6

    def share(lang: str | None, ok: Callable[[str | None], bool]) -> float:
        picked = [g for g, (_, want) in zip(got, messages, strict=True) if want == lang]
        return sum(map(ok, picked)) / len(picked) if picked else float("nan")
    labelled = [(g, want) for g, (_, want) in zip(got, messages, strict=True) if want]
    wrong = sum(g is not None and g != want for g, want in labelled) / len(labelled)
    return {"en": share("en", lambda g: g == "en"), "fr": share("fr", lambda g: g == "fr"),
            "neutral": share(None, lambda g: g is None), "wrong": wrong, "us": us}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="labelled messages (JSON lines: text, lang)")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the messages (the best counts)")
    parser.add_argument("--errors", action="store_true", help="list the misses of our two detectors")
    parser.add_argument("--load-only", help=argparse.SUPPRESS)
    parser.add_argument("--heap-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only or args.heap_only:
        print(json.dumps(measure_load(args.load_only or args.heap_only, heap=bool(args.heap_only))))
        return 0

    messages = load_messages(args.data)
    counts = {lang: sum(want == lang for _, want in messages) for lang in ("en", "fr", None)}
    print(f"{len(messages)} messages from {args.data}: {counts['en']} en, {counts['fr']} fr, "
          f"{counts[None]} neutral")
    header = (f"{'detector':44} {'en acc':>7} {'fr acc':>7} {'neutral':>8} {'wrong':>6} {'µs/msg':>8} "
              f"{'load ms':>8} {'+RSS MB':>8} {'+heap MB':>9}")
    print(header)
    print("-" * len(header))
    for name, (package, loader) in DETECTORS.items():
        if package is not None:
            try:
                __import__(package)
            except ImportError:
                print(f"{name:44} skipped: package {package!r} is not installed")
                continue
        load = load_in_subprocess(name)
        r = evaluate(loader(), messages, args.repeat)
        print(f"{name:44} {r['en']:7.1%} {r['fr']:7.1%} {r['neutral']:8.1%} {r['wrong']:6.1%} {r['us']:8.1f} "
              f"{load['load_ms']:8.1f} {load['rss_mb']:8.1f} {load['heap_mb']:9.2f}")
    print("en/fr acc: share detected as its language; neutral: share of neutral messages left None;")
    print("wrong: share of en/fr messages given the other language; memory and load time in a fresh process.")
    if args.errors:
        for name in ("ours detect_language", "ours choose_language (<3 words: margin 1.5)"):
            print(f"misses of {name}:")
            detect = DETECTORS[name][1]()
            for text, want in messages:
                if (got := detect(text)) != want:
                    print(f"  want {want!s:4} got {got!s:4} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
