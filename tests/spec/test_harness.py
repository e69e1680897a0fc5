"""Tests of the spec harness itself: value encoding, trap matching, execution path.

The execution path is proven with wasmtime standing in for the runtime
(``wasmtime_runtime.py``): the same runner that records "not run" today must pass
real scripts once instantiation works.
"""

from __future__ import annotations

import pytest

from wazaot import Runtime
from wazaot.errors import UnsupportedError

from .harness import (
    EXEC_CATEGORIES,
    Outcome,
    encode_value,
    run_file,
    spectest_dir,
    trap_matches,
    value_matches,
)

NEEDS_SPEC = pytest.mark.skipif(
    not (spectest_dir() / "address.json").exists(),
    reason=f"spec tests not found in {spectest_dir()}",
)


def test_encode_numbers() -> None:
    assert encode_value({"type": "i32", "value": "4294967295"}) == 0xFFFF_FFFF
    assert encode_value({"type": "i64", "value": "18446744073709551615"}) == (1 << 64) - 1
    assert encode_value({"type": "f32", "value": "2143289344"}) == 0x7FC0_0000
    assert encode_value({"type": "f64", "value": "9221120237041090560"}) == 0x7FF8_0000_0000_0000


def test_encode_v128_lane_order() -> None:
    lanes = [str(i) for i in range(16)]
    raw = encode_value({"type": "v128", "lane_type": "i8", "value": lanes})
    assert raw == int.from_bytes(bytes(range(16)), "little")
    raw = encode_value({"type": "v128", "lane_type": "i64", "value": ["1", "18446744073709551615"]})
    assert raw == 1 | (((1 << 64) - 1) << 64)
    with pytest.raises(ValueError):
        encode_value({"type": "v128", "lane_type": "i32", "value": ["1"]})


def test_encode_references() -> None:
    assert encode_value({"type": "externref", "value": "null"}) == 0
    assert encode_value({"type": "externref", "value": "0"}) != 0  # ref.extern 0 is not null
    assert encode_value({"type": "funcref", "value": "null"}) == 0


@pytest.mark.parametrize(
    ("expected", "raw", "ok"),
    [
        ({"type": "i32", "value": "4294967295"}, 0xFFFF_FFFF, True),
        ({"type": "i32", "value": "1"}, 2, False),
        ({"type": "f32", "value": "nan:canonical"}, 0x7FC0_0000, True),
        ({"type": "f32", "value": "nan:canonical"}, 0xFFC0_0000, True),
        ({"type": "f32", "value": "nan:canonical"}, 0x7FC0_0001, False),
        ({"type": "f32", "value": "nan:arithmetic"}, 0x7FC0_0001, True),
        ({"type": "f32", "value": "nan:arithmetic"}, 0x7F80_0001, False),
        ({"type": "f64", "value": "nan:canonical"}, 0x7FF8_0000_0000_0000, True),
        ({"type": "f64", "value": "nan:arithmetic"}, 0xFFF8_0000_0000_0001, True),
        ({"type": "f64", "value": "nan:arithmetic"}, 0x7FF0_0000_0000_0001, False),
        ({"type": "f64", "value": "0"}, 1 << 63, False),  # -0.0 is not +0.0
        ({"type": "externref", "value": "null"}, 0, True),
        (
            {"type": "externref", "value": "3"},
            encode_value({"type": "externref", "value": "3"}),
            True,
        ),
        ({"type": "externref", "value": "3"}, 0, False),
        ({"type": "funcref"}, 0x1234, True),
        ({"type": "funcref"}, 0, False),
        ({"type": "funcref", "value": "null"}, 0, True),
    ],
)
def test_value_matches(expected: dict, raw: int, ok: bool) -> None:
    assert value_matches(expected, raw) is ok


def test_value_matches_v128_float_lanes() -> None:
    expected = {
        "type": "v128",
        "lane_type": "f32",
        "value": ["nan:canonical", "1065353216", "0", "nan:arithmetic"],
    }
    good = 0x7FC0_0000 | (0x3F80_0000 << 32) | (0x7FC0_0005 << 96)
    assert value_matches(expected, good)
    assert not value_matches(expected, good | (1 << 64))


def test_trap_matches() -> None:
    assert trap_matches("integer divide by zero", "integer divide by zero")
    assert trap_matches("uninitialized element 2", "wasm trap: uninitialized element")
    assert not trap_matches("integer overflow", "integer divide by zero")


@NEEDS_SPEC
def test_execution_runs_natively() -> None:
    report = run_file(spectest_dir() / "address.json")
    assert report.counts[("module", Outcome.PASSED)] >= 1
    assert report.counts[("assert_return", Outcome.PASSED)] > 200
    for category in EXEC_CATEGORIES:
        assert report.counts[(category, Outcome.NOT_RUN)] == 0, category
    assert not report.failures


@NEEDS_SPEC
def test_simd_scripts_run_and_a_module_that_cannot_compile_fails() -> None:
    report = run_file(spectest_dir() / "simd_splat.json")
    assert report.counts[("assert_return", Outcome.PASSED)] > 100
    assert report.total(Outcome.NOT_RUN) == 0 and not report.failures

    class Unsupported(Runtime):
        def compile(self, data, *args, **kwargs):
            raise UnsupportedError("the x86-64 backend cannot compile i8x16.splat yet")

    report = run_file(spectest_dir() / "simd_splat.json", Unsupported)
    assert report.counts[("assert_return", Outcome.PASSED)] == 0
    assert report.failures and "cannot compile i8x16.splat" in report.failures[0]


# Scripts without v128 values or f32 signalling NaNs, which wasmtime's Python API
# cannot carry; together they use every command type and the spectest module.
_WASMTIME_SCRIPTS = [
    "address", "br_table", "bulk", "call_indirect", "data", "elem", "exports", "f64",
    "func_ptrs", "global", "i32", "i64", "imports", "linking", "memory_grow", "ref_func",
    "ref_is_null", "start", "table_grow", "traps", "unreachable",
]  # fmt: skip


@NEEDS_SPEC
@pytest.mark.parametrize("name", _WASMTIME_SCRIPTS)
def test_runner_executes_with_a_reference_runtime(name: str) -> None:
    pytest.importorskip("wasmtime")
    from .wasmtime_runtime import WasmtimeRuntime

    report = run_file(spectest_dir() / f"{name}.json", WasmtimeRuntime)
    assert not report.failures, "\n".join(report.failures[:20])
    assert report.total(Outcome.NOT_RUN) == 0
    assert report.total(Outcome.PASSED) > 0
