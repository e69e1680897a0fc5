"""``bench/boundary.py --quick`` and ``bench/simd.py --quick`` run to the end and print their ratios."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BOUNDARY = REPO / "bench" / "boundary.py"

RATIO_LINES = [
    "f(x) / bare cffi call",
    "f.call(x) / bare cffi call",
    "host call / bare cffi callback",
]


def run_boundary(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("wasmtime")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    return subprocess.run([sys.executable, str(BOUNDARY), "--quick", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_boundary_quick_prints_the_ratios() -> None:
    proc = run_boundary()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for label in RATIO_LINES:
        # "-" and "not measured" where no callback stub exists (neither x86-64 nor arm64)
        figure = r"([\d,.]+x|-)\s+\(target <= [\d.]+x\) (met|MISSED|not measured)"
        pattern = rf"^\s+{re.escape(label)}\s+=\s+{figure}$"
        assert re.search(pattern, proc.stdout, re.MULTILINE), (
            f"no line for {label!r}:\n{proc.stdout}"
        )
    assert "wazaot / wasmtime" in proc.stdout


def test_boundary_quick_json() -> None:
    proc = run_boundary("--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc["targets"]) == set(RATIO_LINES)
    for entry in doc["targets"].values():
        assert entry["ratio"] is None or entry["ratio"] > 0
    for key in ("call_py", "call_raw", "host_call", "memory_copy16", "memory_fill16"):
        assert doc["ns"]["wazaot"][key] == doc["ns"]["wazaot"][key]  # measured, not NaN
    assert doc["ns"]["bare_cffi_call"] > 0
    assert doc["errors"] == []


def test_simd_bench_quick_runs_every_kernel_and_agrees_with_wasmtime() -> None:
    """``bench/simd.py --quick``: every kernel has SIMD instructions, runs in both
    runtimes with the same checksum (else the script exits 1), and gets a ratio."""
    pytest.importorskip("wasmtime")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "simd.py"), "--quick"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kernels = [line.split()[0] for line in proc.stdout.splitlines() if re.search(r" \d+\.\d+x$", line)]
    assert len(kernels) == 8, proc.stdout
    assert re.search(r"geometric mean \d+\.\d+x over 8 kernels", proc.stdout), proc.stdout
