"""One test per spec script (``$WAZAOT_SPECTEST_DIR`` or ``../shared/spectest/core2``).

A script's test fails when a module does not compile, a binary ``assert_malformed``
does not raise ``DecodeError``, an ``assert_invalid`` does not raise
``ValidationError``, or an execution command that could run failed. Execution
commands that cannot run yet (no native backend) are counted as not run; the totals
appear at the end of the pytest output (``tests/spec/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import SPECTEST_DIR_ENV, run_file, spec_files, spectest_dir

_FILES = spec_files()


@pytest.mark.skipif(
    not _FILES,
    reason=f"spec tests not found in {spectest_dir()} (set {SPECTEST_DIR_ENV} to a directory of wast2json output)",
)
@pytest.mark.parametrize("path", _FILES or [Path("absent.json")], ids=lambda p: p.stem)
def test_spec(path: Path, spec_reports: list) -> None:
    report = run_file(path)
    spec_reports.append(report)
    print(report.summary_line())
    for wording in report.wording:
        print("  wording:", wording)
    if report.failures:
        shown = "\n  ".join(report.failures[:30])
        more = f"\n  ... and {len(report.failures) - 30} more" if len(report.failures) > 30 else ""
        pytest.fail(f"{report.summary_line()}\n  {shown}{more}", pytrace=False)
