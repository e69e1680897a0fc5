"""The shared machine IR, the allocator and the shared lowering pass mypy with the
project's configuration (``[tool.mypy]`` in pyproject.toml: no untyped definitions)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHECKED = ["wazaot/machinst", "wazaot/regalloc", "wazaot/lower", "wazaot/engine", "wazaot/arm64",
           "wazaot/wasi", "wazaot/values.py",
           "wazaot/instance.py", "wazaot/runtime.py"]


def test_mypy_is_clean() -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is not installed: pip install '.[test]'")
    args = ["--config-file", str(REPO / "pyproject.toml"), "--cache-dir", "/dev/null"]
    stdout, stderr, status = api.run([*args, *(str(REPO / p) for p in CHECKED)])
    assert status == 0, stdout + stderr
