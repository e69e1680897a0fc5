"""``RuntimeConfig(canonicalize_nans=True)``: every float result that is a NaN is the
canonical quiet NaN, the same bits on every architecture. (x86-64 makes negative
default NaNs, arm64 positive ones, and both carry input payloads along.)"""

from __future__ import annotations

import pytest
import wasmtime

import wazaot
from wazaot.engine.isas import host_arch
from wazaot.machinst.pseudo import CANONICAL_NAN

WAT = """(module
  (func (export "div32") (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1)))
  (func (export "div64") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "add32") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
  (func (export "sqrt64") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "min64") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
  (func (export "demote") (param f64) (result f32) (f32.demote_f64 (local.get 0)))
  (func (export "neg32") (param f32) (result f32) (f32.neg (local.get 0))))"""

F32_ZERO, F64_ZERO, F32_ONE = 0, 0, 0x3F80_0000
F32_PAYLOAD_NAN = 0x7FC0_1234  # a quiet NaN with a payload
F64_PAYLOAD_NAN = 0x7FF8_0000_0000_1234
F64_MINUS_ONE = 0xBFF0_0000_0000_0000


def _module(rt: wazaot.Runtime) -> object:
    return rt.instantiate(rt.compile(wasmtime.wat2wasm(WAT)))


@pytest.mark.skipif(host_arch() is None, reason="runs native code")
def test_nan_results_are_canonical() -> None:
    with wazaot.Runtime(wazaot.RuntimeConfig(canonicalize_nans=True)) as rt:
        m = _module(rt)
        f = m.exported_function  # type: ignore[attr-defined]
        assert f("div32").call(F32_ZERO, F32_ZERO) == [CANONICAL_NAN[32]]
        assert f("div64").call(F64_ZERO, F64_ZERO) == [CANONICAL_NAN[64]]
        assert f("add32").call(F32_PAYLOAD_NAN, F32_ONE) == [CANONICAL_NAN[32]]
        assert f("sqrt64").call(F64_MINUS_ONE) == [CANONICAL_NAN[64]]
        assert f("min64").call(F64_PAYLOAD_NAN, 0) == [CANONICAL_NAN[64]]
        assert f("demote").call(F64_PAYLOAD_NAN) == [CANONICAL_NAN[32]]
        # Numbers are untouched, and so is what only moves bits (neg keeps the payload).
        assert f("div32").call(F32_ONE, F32_ONE) == [F32_ONE]
        assert f("neg32").call(F32_PAYLOAD_NAN) == [F32_PAYLOAD_NAN | 0x8000_0000]


@pytest.mark.skipif(host_arch() != "amd64", reason="x86-64's own NaNs")
def test_without_it_x86_makes_its_own_nans() -> None:
    with wazaot.Runtime() as rt:
        f = _module(rt).exported_function  # type: ignore[attr-defined]
        assert f("div32").call(F32_ZERO, F32_ZERO) == [0xFFC0_0000]  # x86's default NaN
        assert f("add32").call(F32_PAYLOAD_NAN, F32_ONE) == [F32_PAYLOAD_NAN]


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_both_backends_compile_the_checks(arch: str) -> None:
    wasm = wasmtime.wat2wasm(WAT)
    sizes = []
    for canon in (False, True):
        with wazaot.Runtime(wazaot.RuntimeConfig(arch=arch, canonicalize_nans=canon)) as rt:
            sizes.append(len(rt.compile(wasm).code.object_code.code))  # type: ignore[union-attr]
    assert sizes[1] > sizes[0]
