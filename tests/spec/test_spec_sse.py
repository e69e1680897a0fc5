"""The SIMD spec scripts again, compiled for x86-64 processors without AVX.

The SIMD instructions have SSE4.1 implementations and AVX ones (``VectorTable``
``when={"avx"}``), and x86-64 hosts with AVX compile the AVX ones; this runs every
``simd_*`` script with ``$WAZAOT_X86_FEATURES=-avx`` (the SSE4.1+SSE4.2 code) and the
integer comparison scripts also with ``-avx,-sse42`` (the SSE4.1 fallback of
``pcmpgtq``). Skipped on hosts that are not x86-64 or have no AVX (the main run is
then already the SSE code).
"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from wazaot.amd64 import cpu

from .harness import run_file, spec_files

_X86 = platform.machine().lower() in ("x86_64", "amd64")
_SIMD = [p for p in spec_files() if p.stem.startswith("simd_")]
_CMP = [p for p in _SIMD if p.stem in ("simd_i64x2_cmp", "simd_i64x2_arith2", "simd_boolean")]
_CASES = [(p, "-avx") for p in _SIMD] + [(p, "-avx,-sse42") for p in _CMP]


@pytest.fixture
def x86_features(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    spec = request.param
    monkeypatch.setenv(cpu.FEATURES_ENV, spec)
    cpu.host_features.cache_clear()
    yield cpu.host_features()
    monkeypatch.delenv(cpu.FEATURES_ENV)
    cpu.host_features.cache_clear()


@pytest.mark.skipif(not _X86, reason="x86-64 only")
@pytest.mark.skipif(not _SIMD, reason="no SIMD spec scripts found (see tests/spec/test_spec.py)")
@pytest.mark.parametrize(("path", "x86_features"), _CASES or [(Path("absent"), "")],
                         ids=[f"{p.stem}[{f}]" for p, f in _CASES] or ["absent"],
                         indirect=["x86_features"])  # fmt: skip
def test_simd_spec_without_avx(path: Path, x86_features: cpu.Features) -> None:
    if _X86 and not cpu._detect().avx:
        pytest.skip("this processor has no AVX: tests/spec/test_spec.py ran the SSE code")
    assert not x86_features.avx
    report = run_file(path)
    print(report.summary_line())
    if report.failures:
        shown = "\n  ".join(report.failures[:30])
        pytest.fail(f"{report.summary_line()}\n  {shown}", pytrace=False)
