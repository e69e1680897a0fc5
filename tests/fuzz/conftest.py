"""Prints the cross-architecture replay's totals at the end of the run."""

from __future__ import annotations

import pytest

_SUMMARY = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def crossarch_summary(request: pytest.FixtureRequest) -> list[str]:
    """Lines for the end of the run (filled by test_crossarch.py)."""
    return request.config.stash.setdefault(_SUMMARY, [])


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.section("wazaot cross-architecture replay")
        for line in lines:
            terminalreporter.write_line(line)
