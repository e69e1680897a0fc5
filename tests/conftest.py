"""Shared test configuration: where the repository and the spec suite are."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's top directory."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def example_wasm() -> bytes:
    """``examples/add.wasm``, the README's example module."""
    return (EXAMPLES / "add.wasm").read_bytes()


def pytest_configure(config: pytest.Config) -> None:
    # The command line caches compiled code in the user's cache directory: keep the
    # test runs' entries out of it (and subprocesses inherit the variable).
    if "WAZAOT_TEST_KEEP_CACHE_HOME" not in os.environ:
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="wazaot-test-cache-")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--spec-files",
        action="store_true",
        help="print a summary line per spec script after the run (tests/spec)",
    )
    parser.addoption(
        "--crossarch-record",
        metavar="DIR",
        default=None,
        help="replay this cross-architecture record (tests/fuzz/crossarch.py) in "
        "tests/fuzz/test_crossarch.py; without it build/crossarch is replayed if present",
    )
