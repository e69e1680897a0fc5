"""Collects the spec scripts' reports and prints the totals at the end of the run."""

from __future__ import annotations

import pytest

from .harness import FileReport, format_totals

_REPORTS = pytest.StashKey[list[FileReport]]()


@pytest.fixture(scope="session")
def spec_reports(request: pytest.FixtureRequest) -> list[FileReport]:
    """The reports of the spec scripts run in this session (filled by the tests)."""
    return request.config.stash.setdefault(_REPORTS, [])


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    reports = config.stash.get(_REPORTS, [])
    if not reports:
        return
    terminalreporter.section("wazaot spec suite")
    if config.getoption("spec_files", False) or config.getoption("verbose") > 0:
        for report in reports:
            terminalreporter.write_line(report.summary_line())
    for line in format_totals(reports):
        terminalreporter.write_line(line)
