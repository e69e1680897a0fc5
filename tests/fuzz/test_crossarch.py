"""Cross-architecture fuzzing (``crossarch.py``): with ``canonicalize_nans=True`` the
differential fuzzer's modules give the same bits on x86-64 and arm64.

``test_replays_the_record_bit_for_bit`` replays a record made on the other architecture:
record on x86-64 with ``PYTHONPATH=. python3 -m tests.fuzz.crossarch record --seeds A:B``
(into ``build/crossarch``), then run this file on arm64 with
``sudo scripts/arm64-root -- tests/fuzz/test_crossarch.py``. ``--crossarch-record DIR``
names the record, and its absence is then a failure (CI's emulated step passes it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fuzz import crossarch, differential, simd_ops

HOW = (f"record on x86-64 with `{crossarch.RECORD_COMMAND}`, then replay on arm64 "
       f"with `{crossarch.REPLAY_COMMAND}`")


def test_replays_the_record_bit_for_bit(request: pytest.FixtureRequest,
                                        crossarch_summary: list[str]) -> None:
    option = request.config.getoption("--crossarch-record")
    directory = Path(option) if option else crossarch.DEFAULT_DIR
    try:
        manifest = crossarch.load(directory)
    except FileNotFoundError:
        if option:
            pytest.fail(f"no cross-architecture record in {directory} ({HOW})")
        pytest.skip(f"no cross-architecture record in {directory}: {HOW}")
    if manifest["arch"] == crossarch.this_arch():
        pytest.skip(f"the record in {directory} was made on this architecture "
                    f"({manifest['arch']}): replay it on the other one ({HOW})")
    summary = crossarch.replay(directory)
    crossarch_summary.append(summary.line())
    assert summary.calls > 0, f"the record in {directory} has no calls"
    if summary.mismatches:
        shown = "\n  ".join(m.line() for m in summary.mismatches[:20])
        pytest.fail(f"{summary.line()}\n  {shown}", pytrace=False)
    assert summary.identical == summary.calls


def test_simd_instructions_agree_with_the_recorded_wasmtime(
        request: pytest.FixtureRequest, crossarch_summary: list[str]) -> None:
    """The per-instruction SIMD check (``simd_ops``) against wasmtime's outcomes recorded
    beside the fuzzer's modules: on arm64, how its backend is compared with wasmtime."""
    option = request.config.getoption("--crossarch-record")
    directory = Path(option) if option else crossarch.DEFAULT_DIR
    path = directory / simd_ops.RECORD_NAME
    if not path.exists():
        if option:
            pytest.fail(f"no SIMD record {path} ({HOW})")
        pytest.skip(f"no SIMD record {path}: {HOW}")
    lines = []
    for canonicalize_nans in (False, True):
        verdicts = simd_ops.check(expected=path, canonicalize_nans=canonicalize_nans)
        how = "NaNs canonicalised" if canonicalize_nans else "NaNs by the spec's rules"
        crossarch_summary.append(f"SIMD instructions on {crossarch.this_arch()} against the "
                                 f"recorded wasmtime ({how}): {simd_ops.summary(verdicts)}")
        bad = [v for v in verdicts if v.status != "ok"]
        if bad:
            lines.append(f"{how}: {simd_ops.summary(verdicts)}")
            for v in bad:
                lines.append(v.line())
                lines.extend("    " + e for e in v.examples[:2])
    if lines:
        pytest.fail("\n  ".join(lines), pytrace=False)


def _trace(value: int) -> list[dict]:
    return [{"ev": "compiled"},
            {"ev": "instantiated", "outcome": ["ok", []], "logs": [], "state": {}},
            {"ev": "call", "i": 0, "outcome": ["ok", [value]], "logs": [], "state": {}}]


def test_nan_bits_are_compared_exactly() -> None:
    plan = [{"export": "f", "params": [], "results": ["f32"], "args": [], "aux": False}]
    canonical, x86_default = 0x7FC0_0000, 0xFFC0_0000
    assert crossarch.diff_traces(1, plan, _trace(canonical), _trace(canonical)) == (1, None)
    identical, first = crossarch.diff_traces(1, plan, _trace(canonical), _trace(x86_default))
    assert identical == 0 and first is not None
    assert (first.where, first.field) == ("call #0 f()", "outcome")
    assert first.recorded == ["ok", [canonical]] and first.replayed == ["ok", [x86_default]]
    _, first = crossarch.diff_traces(1, plan, _trace(canonical), _trace(canonical)[:2])
    assert first is not None and (first.field, first.replayed) == ("trace", None)


def test_record_then_replay_on_this_machine(tmp_path: Path) -> None:
    """The record agrees with wasmtime and replays identically where it was made (wazaot
    is deterministic), and a replay notices one changed bit of a NaN."""
    pytest.importorskip("wasmtime")
    if differential.wasm_opt() is None:
        pytest.skip("wasm-opt not found: apt-get install binaryen")
    if crossarch.this_arch() not in ("amd64", "arm64"):
        pytest.skip(f"wazaot does not run code on {crossarch.this_arch()}")
    results = crossarch.record([30000, 30009], tmp_path, jobs=1)
    assert [r.status for r in results] == ["ok", "ok"], [r.line for r in results]
    summary = crossarch.replay(tmp_path, jobs=1)
    assert not summary.mismatches and summary.identical == summary.calls > 0, summary.line()

    # Change one bit of a float result, a canonical NaN's sign if there is one.
    manifest = json.loads((tmp_path / crossarch.MANIFEST).read_text())
    found = []
    for module in manifest["modules"]:
        for rec in module["trace"]:
            if "i" in rec and rec["outcome"][0] == "ok":
                for k, vt in enumerate(module["plan"][rec["i"]]["results"]):
                    if vt in ("f32", "f64"):
                        nan = rec["outcome"][1][k] == differential.CANONICAL_NAN[vt]
                        found.append((not nan, module["seed"], rec, k, vt))
    assert found, "no float results in these seeds' calls"
    _, seed, rec, k, vt = min(found, key=lambda f: (f[0], f[1], f[2]["i"]))
    rec["outcome"][1][k] ^= 1 << (31 if vt == "f32" else 63)
    (tmp_path / crossarch.MANIFEST).write_text(json.dumps(manifest))
    summary = crossarch.replay(tmp_path, jobs=1)
    assert [(m.seed, m.field) for m in summary.mismatches] == [(seed, "outcome")]
    assert summary.mismatches[0].where.startswith(f"call #{rec['i']} ")
    assert summary.identical == summary.calls - 1


def test_a_module_that_kills_its_worker_is_reported(tmp_path: Path, monkeypatch) -> None:
    """A worker that dies in a module (as a segfault of generated code kills it) is a
    mismatch of that module, and the modules after it in its batch run in a new one."""
    pytest.importorskip("wasmtime")
    if differential.wasm_opt() is None:
        pytest.skip("wasm-opt not found: apt-get install binaryen")
    crossarch.record([30000, 30001, 30002], tmp_path, jobs=1)
    real = differential.run_worker
    batches = []

    def segfault_in_30001(request: dict, timeout: float) -> tuple:
        batches.append([Path(job["wasm"]).name for job in request["jobs"]])
        events, err, rc, status = real(request, timeout)
        if "seed-30001.wasm" not in batches[-1]:
            return events, err, rc, status
        m = batches[-1].index("seed-30001.wasm")
        cut = next(k for k, e in enumerate(events) if e.get("m") == m and e["ev"] == "call")
        return events[:cut], "Segmentation fault", -11, ""

    monkeypatch.setattr(differential, "run_worker", segfault_in_30001)
    summary = crossarch.replay(tmp_path, jobs=1)
    assert batches == [["seed-30000.wasm", "seed-30001.wasm", "seed-30002.wasm"],
                       ["seed-30002.wasm"]]
    assert [(m.seed, m.where) for m in summary.mismatches] == [(30001, "the worker")]
    assert "died of signal 11" in summary.mismatches[0].replayed
    module = json.loads((tmp_path / crossarch.MANIFEST).read_text())["modules"][1]
    assert summary.identical == summary.calls - sum(1 for e in module["plan"] if not e["aux"])
