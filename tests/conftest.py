"""Project-wide pytest set-up: the real Redis server fixture (tests/conftest_redis.py), and the French
typography check of every French reply the suite's conversations got (tests/french_rules.py)."""

from __future__ import annotations

import pytest

from tests.french_rules import FRENCH_REPLIES, OTHER_REPLIES, reply_problems

pytest_plugins = ["tests.conftest_redis"]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a reply breaks the rule set (docs/style-guide.md), naming the test."""
    problems: list[str] = []
    for test, reply in FRENCH_REPLIES:
        problems.extend(f"{test}: {p}" for p in reply_problems(reply))
    for test, reply in OTHER_REPLIES:  # titles without a final period, no button title twice in one card
        problems.extend(f"{test}: {p}" for p in reply_problems(reply, typography=False))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and (FRENCH_REPLIES or OTHER_REPLIES):
        reporter.write_line(f"Style check: {len(FRENCH_REPLIES)} French and {len(OTHER_REPLIES)} other replies, "
                            f"{len(problems)} violations")
    if problems:
        if reporter is not None:
            for line in sorted(set(problems))[:50]:
                reporter.write_line("  " + line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
