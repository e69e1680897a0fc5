"""Run spec scripts outside pytest: ``python -m tests.spec.run [-v] [FILES or NAMES...]``.

With no arguments, runs every ``.json`` in ``$WAZAOT_SPECTEST_DIR`` (default
``../shared/spectest/core2``). A name without a path is looked up there
(``address`` or ``address.json``). Prints a line per file and the totals; ``-v`` adds
every failure and wording mismatch. Exits 1 if any command failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .harness import format_totals, run_file, spec_files, spectest_dir


def _resolve(arg: str) -> Path:
    path = Path(arg)
    if path.exists():
        return path
    candidate = spectest_dir() / (arg if arg.endswith(".json") else f"{arg}.json")
    if candidate.exists():
        return candidate
    raise SystemExit(f"no spec script {arg!r} (looked in {spectest_dir()})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.spec.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("files", nargs="*", help="spec .json scripts, or their names")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print every failure and wording mismatch"
    )
    args = parser.parse_args(argv)
    paths = [_resolve(a) for a in args.files] if args.files else spec_files()
    if not paths:
        print(f"no spec scripts in {spectest_dir()}", file=sys.stderr)
        return 2
    reports = []
    for path in paths:
        report = run_file(path)
        reports.append(report)
        print(report.summary_line(), flush=True)
        if args.verbose:
            for failure in report.failures:
                print("  FAIL", failure)
            for wording in report.wording:
                print("  wording", wording)
    print()
    for line in format_totals(reports):
        print(line)
    return 1 if any(r.failures for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
