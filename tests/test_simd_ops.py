"""Every SIMD instruction against wasmtime, instruction by instruction
(``tests/fuzz/simd_ops.py``): edge-case and seeded random inputs, every lane index,
shuffle masks, constant and repeated operands, memory accesses in and out of bounds.

On x86-64 (with wasmtime) each processor-feature level is checked: the default (AVX2
where the host has it) and, through ``WAZAOT_X86_FEATURES``, without AVX2, without
AVX (the SSE4.1 code) and without SSE4.2. On arm64 (the emulated root, no wasmtime)
the outcomes recorded from wasmtime on x86-64 are replayed: record them with
``PYTHONPATH=. python3 -m tests.fuzz.crossarch record --seeds 30000:30010`` (or
``python3 -m tests.fuzz.simd_ops record``), which writes
``build/crossarch/simd-ops.json.gz``, then run
``sudo scripts/arm64-root -- tests/test_simd_ops.py --crossarch-record build/crossarch``.

An instruction wazaot cannot compile yet is a failure naming it, as is any difference.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.fuzz import crossarch, simd_ops

try:
    import wasmtime
except ImportError:  # the emulated arm64 root
    wasmtime = None

FEATURES = {"default": None, "no-avx2": "-avx2", "sse41": "-avx", "sse41-no-sse42": "-avx,-sse42"}


def _report(verdicts: list[simd_ops.Verdict]) -> str:
    bad = [v for v in verdicts if v.status != "ok"]
    lines = [simd_ops.summary(verdicts)]
    unsupported = [v.name for v in bad if v.status == "unsupported"]
    if unsupported:
        lines.append(f"not compiled yet ({len(unsupported)}): " + " ".join(unsupported))
    for v in bad:
        if v.status != "unsupported":
            lines.append(v.line())
            lines.extend("    " + e for e in v.examples[:3])
    return "\n".join(lines)


def _check(verdicts: list[simd_ops.Verdict]) -> None:
    assert len(verdicts) == len(simd_ops.SIMD_NAMES)
    if any(v.status != "ok" for v in verdicts):
        pytest.fail(_report(verdicts), pytrace=False)
    assert all(v.compared > 0 for v in verdicts)


@pytest.mark.parametrize("features", FEATURES.values(), ids=FEATURES.keys())
def test_every_instruction_agrees_with_wasmtime_on_x86(features: str | None) -> None:
    if crossarch.this_arch() != "amd64":
        pytest.skip("x86-64 only (arm64 replays a record: test_every_instruction_on_arm64)")
    if wasmtime is None:
        pytest.fail("wasmtime is needed (pip install wasmtime)")
    _check(simd_ops.check(x86_features=features))


def test_canonicalised_nans_are_identical_on_x86() -> None:
    """With canonicalize_nans (the cross-architecture fuzzer's setting) wazaot's results
    equal wasmtime's with Cranelift's NaN canonicalisation bit for bit."""
    if crossarch.this_arch() != "amd64":
        pytest.skip("x86-64 only")
    if wasmtime is None:
        pytest.fail("wasmtime is needed (pip install wasmtime)")
    _check(simd_ops.check(canonicalize_nans=True))


@pytest.mark.parametrize("canonicalize_nans", [False, True], ids=["nan-rules", "canonical"])
def test_every_instruction_on_arm64(request: pytest.FixtureRequest,
                                    canonicalize_nans: bool) -> None:
    if crossarch.this_arch() != "arm64":
        pytest.skip("arm64 only (x86-64 compares with wasmtime directly)")
    option = request.config.getoption("--crossarch-record")
    path = (Path(option) if option else crossarch.DEFAULT_DIR) / simd_ops.RECORD_NAME
    if not path.exists():
        pytest.fail(f"no record of wasmtime's outcomes at {path}: make it on x86-64 with "
                    f"`{simd_ops.RECORD_COMMAND}`")
    _check(simd_ops.check(expected=path, canonicalize_nans=canonicalize_nans))


# -- the harness itself ---------------------------------------------------------------


def test_every_simd_instruction_has_a_case() -> None:
    from wazaot.lower.vector import NAN_VARYING

    assert len(simd_ops.SIMD_NAMES) == 236
    assert simd_ops.ARITHMETIC_NAN == NAN_VARYING
    for name in simd_ops.SIMD_NAMES:
        case = simd_ops.build_case(name)
        assert case.variants, name
        if not case.memory and name != "v128.const":
            assert len(case.inputs) >= simd_ops.RANDOM_CASES + 8, name


def test_lane_instructions_get_every_lane_and_shifts_constant_counts() -> None:
    case = simd_ops.build_case("i8x16.extract_lane_s")
    assert [v.imm for v in case.variants] == list(range(16)) + [15]  # and "live"
    shifts = [v.export for v in simd_ops.build_case("i64x2.shr_s").variants]
    assert "f" in shifts and "shift64" in shifts and "shift4294967295" in shifts
    binary = [v.export for v in simd_ops.build_case("f32x4.min").variants]
    assert binary == ["f", "same", "const0", "const1", "live"]


def test_every_pair_of_float_edge_values_meets() -> None:
    case = simd_ops.build_case("f32x4.min")
    met = set()
    for a, b in case.inputs:
        met.update(zip(simd_ops.lanes_of("f32", a), simd_ops.lanes_of("f32", b)))
    edges = simd_ops.EDGES["f32"]
    assert {(x, y) for x in edges for y in edges} <= met


F32_CANON, F32_NEG_CANON, F32_PAYLOAD, F32_SIGNALLING = (
    0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7F800001)


def _lanes(*values: int) -> bytes:
    return simd_ops.pack("f32", values)


@pytest.mark.parametrize("inputs, got, allowed", [
    # no NaN input, NaN result (inf - inf): canonical of either sign
    ((0x7F800000, 0x7F800000), F32_NEG_CANON, True),
    ((0x7F800000, 0x7F800000), F32_CANON, True),
    ((0x7F800000, 0x7F800000), F32_PAYLOAD, False),
    # canonical NaN inputs: canonical
    ((F32_CANON, 0x3F800000), F32_NEG_CANON, True),
    ((F32_CANON, 0x3F800000), 0x7FE00000, False),
    # a payload: any arithmetic NaN (quiet bit set), not a signalling one
    ((F32_PAYLOAD, 0x3F800000), 0xFFC12345, True),
    ((F32_SIGNALLING, 0x3F800000), 0x7FC00001, True),
    ((F32_SIGNALLING, 0x3F800000), F32_SIGNALLING, False),
    # not a NaN at all
    ((F32_CANON, 0x3F800000), 0x3F800000, False),
])  # fmt: skip
def test_arithmetic_nan_rule(inputs: tuple[int, int], got: int, allowed: bool) -> None:
    ops = [_lanes(inputs[0], 0, 0, 0), _lanes(inputs[1], 0, 0, 0)]
    want = F32_NEG_CANON  # wasmtime's lane: some NaN
    assert simd_ops.lane_ok("f32x4.sub", 0, want, got, ops) is allowed
    # exact instructions and non-NaN lanes are compared bit for bit
    assert simd_ops.lane_ok("f32x4.pmin", 0, want, got, ops) is (got == want)
    assert simd_ops.lane_ok("f32x4.sub", 0, 0x3F800000, got, ops) is (got == 0x3F800000)


def test_a_changed_result_is_reported() -> None:
    """The comparison is not vacuous: one changed bit of wazaot's outcome is a
    mismatch naming the instruction, the variant and the inputs."""
    if wasmtime is None:
        pytest.skip("needs wasmtime")
    case = simd_ops.build_case("i32x4.add")
    want = simd_ops.wasmtime_outcomes(case)
    assert simd_ops.compare_case(case, want, want).status == "ok"
    got = json.loads(json.dumps(want))
    data = bytearray.fromhex(got[1][1])
    data[16 * 5 + 2] ^= 4
    got[1][1] = data.hex()
    verdict = simd_ops.compare_case(case, want, got)
    assert verdict.status == "mismatch" and verdict.mismatches == 1
    assert verdict.examples[0].startswith("i32x4.add operands=mem,same(")
    # an operand overwritten
    live = next(k for k, v in enumerate(case.variants) if v.export == "live")
    assert want[live][2] is True
    got = json.loads(json.dumps(want))
    got[live][2] = False
    verdict = simd_ops.compare_case(case, want, got)
    assert verdict.mismatches == 1 and "operand register overwritten" in verdict.examples[0]
    # a memory instruction's trap
    case = simd_ops.build_case("v128.load")
    want = simd_ops.wasmtime_outcomes(case)
    k = next(k for k, w in enumerate(want) if w[0] == "trap")
    assert want[k] == ["trap", "oob-memory"]
    got = list(want)
    got[k] = ["ok", "00" * 16]
    verdict = simd_ops.compare_case(case, want, got)
    assert verdict.mismatches == 1 and "wasmtime ['trap', 'oob-memory']" in verdict.examples[0]


def test_other_allowed_nans_are_accepted() -> None:
    """wasmtime with Cranelift's NaN canonicalisation gives other NaN bits for the
    arithmetic instructions (and only for them), all within the spec's rules: the
    comparison accepts them."""
    if wasmtime is None:
        pytest.skip("needs wasmtime")
    differ = set()
    for name in simd_ops.SIMD_NAMES:
        case = simd_ops.build_case(name)
        plain = simd_ops.wasmtime_outcomes(case)
        canonical = simd_ops.wasmtime_outcomes(case, canonicalize_nans=True)
        if plain != canonical:
            differ.add(name)
        verdict = simd_ops.compare_case(case, plain, canonical)
        assert verdict.status == "ok", verdict.examples
    assert len(differ) >= 20 and differ <= simd_ops.ARITHMETIC_NAN, differ


def test_record_round_trip(tmp_path: Path) -> None:
    if wasmtime is None:
        pytest.skip("needs wasmtime")
    path = tmp_path / "simd-ops.json.gz"
    names = ["v128.load", "v128.store", "i32x4.add"]  # opcode order
    assert simd_ops.record(path, names=names) > 0
    verdicts = simd_ops.check(expected=path)
    assert [v.name for v in verdicts] == names
    assert all(v.status in ("ok", "unsupported") for v in verdicts), _report(verdicts)
    data = json.loads(gzip.open(path, "rt").read())
    assert data["names"] == names
