"""The redis_url fixture must skip locally but fail under CI when no Redis can be found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest_redis import running_in_ci

REPO_ROOT = Path(__file__).resolve().parents[2]

NEEDS_REDIS = """
import pytest

@pytest.mark.redis
def test_uses_redis(redis_url):
    assert redis_url
"""


def _run_without_redis(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs_redis.py").write_text(NEEDS_REDIS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    redis: needs redis\n")
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CI", "PYTEST_ADDOPTS")}
    env.update(PATH=str(empty_bin), PYTHONPATH=str(REPO_ROOT))
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest_redis", "-rs", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_skips_with_a_reason_outside_ci(tmp_path: Path) -> None:
    result = _run_without_redis(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "REDIS_URL" in result.stdout


def test_fails_in_ci(tmp_path: Path) -> None:
    result = _run_without_redis(tmp_path, "true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CI must not skip" in result.stdout


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("false", False), ("0", False), ("true", True), ("1", True), ("yes", True)],
)
def test_ci_detection(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert running_in_ci() is expected
