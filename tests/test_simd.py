"""v128 values through the pipeline: parameters and results (wasm-to-wasm, entry thunks,
host functions, listeners), locals, globals, select, blocks, loads and stores, and
spills of 128 bits. The SIMD spec scripts check ``v128.const``/``load``/``store``
semantics; these tests reach the machinery around them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from spec.harness import spectest_dir

import wazaot
from wazaot import Trap, ValueType
from wazaot.arm64.lower import Arm64Lowering
from wazaot.errors import UnsupportedError
from wazaot.lower.frontend import lower_function
from wazaot.lower.isel import CompileEnv
from wazaot.wasm.decoder import decode_module
from wazaot.wasm.validator import validate_module

try:
    import wasmtime
except ImportError:  # the emulated arm64 root: the binaries saved beside the tests
    wasmtime = None

I32, V128 = ValueType.I32, ValueType.V128
BINARIES = Path(__file__).parent / "golden" / "simd"
"""The modules of these tests as binaries (``<sha256 of the text>.wasm``), for hosts
without wasmtime's ``wat2wasm``; refreshed with ``WAZAOT_REGEN_GOLDEN=1``."""
USED: set[str] = set()
M128 = (1 << 128) - 1

# Patterns whose halves, bytes and sign bits all differ.
A = 0x8899AABBCCDDEEFF_0011223344556677
B = 0xF0E0D0C0B0A09080_7060504030201000
C = 0x0123456789ABCDEF_FEDCBA9876543210


def wat(text: str) -> bytes:
    name = hashlib.sha256(text.encode()).hexdigest()[:24] + ".wasm"
    USED.add(name)
    path = BINARIES / name
    if wasmtime is not None:
        binary = wasmtime.wat2wasm(text)
        if os.environ.get("WAZAOT_REGEN_GOLDEN"):
            BINARIES.mkdir(exist_ok=True)
            path.write_bytes(binary)
        assert path.read_bytes() == binary, f"refresh {BINARIES} with WAZAOT_REGEN_GOLDEN=1"
        return bytes(binary)
    if not path.exists():
        pytest.skip("no wat2wasm (pip install wasmtime) and no saved binary")
    return path.read_bytes()


@pytest.fixture
def rt():
    with wazaot.Runtime() as runtime:
        yield runtime


def instantiate(rt: wazaot.Runtime, text: str) -> Any:
    return rt.instantiate(rt.compile(wat(text)))


def test_params_results_and_locals(rt):
    mod = instantiate(rt, """(module
      (func (export "id") (param v128) (result v128) (local.get 0))
      (func (export "zero") (result v128) (local v128) (local.get 0))
      (func (export "swap") (param i32 v128 f64 v128) (result v128 i32 v128)
        (local.get 3) (local.get 0) (local.get 1))
      (func (export "const") (result v128) (v128.const i64x2 0x0011223344556677 0x8899aabbccddeeff))
      (func (export "hi") (result v128) (v128.const i64x2 0 -1))
      (func (export "tee") (param v128) (result v128) (local v128)
        (drop (local.tee 1 (local.get 0))) (local.get 1)))""")
    f = mod.exported_function
    assert f("id").call(A) == [A]
    assert f("id").call(-1) == [M128]  # the signed range is accepted, the result is raw
    assert f("id")(B) == B
    assert f("zero").call() == [0]
    assert f("swap").call(7, A, 0, B) == [B, 7, A]
    assert f("const").call() == [A]
    assert f("hi").call() == [0xFFFF_FFFF_FFFF_FFFF << 64]
    assert f("tee").call(C) == [C]


def test_wasm_calls_pass_v128_on_the_stack(rt):
    params = " ".join(["v128 i32 f32 v128 i64"] * 4)
    mod = instantiate(rt, f"""(module
      (func $pick (param {params}) (result v128 i32 v128)
        (local.get 15) (local.get 1) (local.get 0))
      (func (export "f") (param v128 v128) (result v128 i32 v128)
        (call $pick
          (local.get 0) (i32.const 1) (f32.const 0) (local.get 1) (i64.const 2)
          (local.get 1) (i32.const 3) (f32.const 0) (local.get 0) (i64.const 4)
          (local.get 0) (i32.const 5) (f32.const 0) (local.get 1) (i64.const 6)
          (v128.const i64x2 5 6) (i32.const 7) (f32.const 0) (local.get 0) (i64.const 8)))
      (table 1 funcref) (elem (i32.const 0) $pick)
      (type $t (func (param {params}) (result v128 i32 v128)))
      (func (export "g") (param v128) (result v128 i32 v128)
        (call_indirect (type $t)
          (local.get 0) (i32.const 1) (f32.const 0) (local.get 0) (i64.const 2)
          (local.get 0) (i32.const 3) (f32.const 0) (local.get 0) (i64.const 4)
          (local.get 0) (i32.const 5) (f32.const 0) (local.get 0) (i64.const 6)
          (local.get 0) (i32.const 7) (f32.const 0) (local.get 0) (i64.const 8)
          (i32.const 0))))""")
    assert mod.exported_function("f").call(A, B) == [(6 << 64) | 5, 1, A]
    assert mod.exported_function("g").call(C) == [C, 1, C]


def test_spills_keep_all_128_bits(rt):
    # 24 v128 values live across a call (which clobbers every vector register).
    n = 24
    loads = "".join(f"(local.set {i} (v128.load offset={16 * i} (i32.const 0)))" for i in range(n))
    stores = "".join(f"(v128.store offset={16 * (n + i)} (i32.const 0) (local.get {i}))"
                     for i in range(n))  # fmt: skip
    mod = instantiate(rt, f"""(module (memory (export "mem") 1)
      (func $nop)
      (func (export "f") (local {" ".join(["v128"] * n)})
        {loads} (call $nop) {stores}))""")
    mem = mod.exported_memory("mem")
    data = bytes((i * 7 + 3) & 0xFF for i in range(16 * n))
    mem.write(0, data)
    mod.exported_function("f").call()
    assert mem.read(16 * n, 16 * n) == data


def test_globals(rt):
    mod = instantiate(rt, """(module
      (global $g (export "g") (mut v128) (v128.const i64x2 1 2))
      (global (export "k") v128 (v128.const i32x4 -1 0 -1 0))
      (func (export "get") (result v128) (global.get $g))
      (func (export "set") (param v128) (global.set $g (local.get 0))))""")
    g = mod.exported_global("g")
    assert g.get() == (2 << 64) | 1
    assert mod.exported_global("k").get() == 0xFFFF_FFFF_0000_0000_FFFF_FFFF
    mod.exported_function("set").call(A)
    assert g.get() == A
    g.set(B)
    assert mod.exported_function("get").call() == [B]


def test_select_blocks_and_branches(rt):
    mod = instantiate(rt, """(module
      (func (export "select") (param v128 v128 i32) (result v128)
        (select (local.get 0) (local.get 1) (local.get 2)))
      (func (export "select_t") (param v128 v128 i32) (result v128)
        (select (result v128) (local.get 0) (local.get 1) (i32.eqz (local.get 2))))
      (func (export "block") (param v128 i32) (result v128)
        (block (result v128)
          (br_if 0 (local.get 0) (local.get 1))
          (drop)
          (v128.const i64x2 3 4)))
      (func (export "loop") (param v128 i32) (result v128)
        (local.get 0)
        (loop (param v128) (result v128)
          (local.set 0)
          (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
          (br_if 0 (local.get 0) (local.get 1))))
      (func (export "if") (param v128 v128 i32) (result v128)
        (local.get 0)
        (if (param v128) (result v128) (local.get 2)
          (then) (else (drop) (local.get 1)))))""")
    f = mod.exported_function
    assert f("select").call(A, B, 1) == [A] and f("select").call(A, B, 0) == [B]
    assert f("select_t").call(A, B, 1) == [B] and f("select_t").call(A, B, 0) == [A]
    assert f("block").call(C, 1) == [C] and f("block").call(C, 0) == [(4 << 64) | 3]
    assert f("loop").call(A, 5) == [A]
    assert f("if").call(A, B, 1) == [A] and f("if").call(A, B, 0) == [B]


def test_loads_and_stores_are_bounds_checked(rt):
    mod = instantiate(rt, """(module (memory 1)
      (func (export "load") (param i32) (result v128) (v128.load offset=1 (local.get 0)))
      (func (export "store") (param i32 v128) (v128.store align=1 (local.get 0) (local.get 1))))""")
    load, store = mod.exported_function("load"), mod.exported_function("store")
    store.call(65536 - 16, A)
    assert load.call(65536 - 17) == [A]
    store.call(3, B)
    assert load.call(2) == [B]
    with pytest.raises(Trap, match="out of bounds memory access"):
        load.call(65536 - 16)
    with pytest.raises(Trap, match="out of bounds memory access"):
        store.call(65536 - 15, A)
    assert load.call(65536 - 17) == [A]  # the failed store wrote nothing


def test_host_functions_take_and_return_v128(rt):
    seen = []

    def host(caller, a, x, b):
        seen.append((a, x, b))
        return [b, x + 1, a]

    rt.new_host_module_builder("env").function(
        "h", host, params=[V128, I32, V128], results=[V128, I32, V128]).instantiate()  # fmt: skip
    mod = instantiate(rt, """(module
      (import "env" "h" (func $h (param v128 i32 v128) (result v128 i32 v128)))
      (func (export "f") (param v128 v128) (result v128 i32 v128)
        (call $h (local.get 0) (i32.const 41) (local.get 1))))""")
    assert mod.exported_function("f").call(A, B) == [B, 42, A]
    assert seen == [(A, 41, B)]


def test_listeners_see_v128(rt):
    events = []

    class Listener:
        def before(self, ctx, mod, definition, params, it):
            events.append(("before", definition.name, list(params)))

        def after(self, ctx, mod, definition, error, results):
            events.append(("after", definition.name, list(results or [])))

    class Factory:
        def new_listener(self, definition):
            return Listener()

    with wazaot.Runtime(wazaot.RuntimeConfig(listener_factory=Factory())) as lrt:
        mod = instantiate(lrt, """(module
          (func $g (param i32 v128 i64) (result v128 i32) (local.get 1) (local.get 0))
          (func (export "f") (param v128) (result v128 i32)
            (call $g (i32.const 9) (local.get 0) (i64.const 10))))""")
        assert mod.exported_function("f").call(A) == [A, 9]
    assert [(kind, args) for kind, _, args in events] == [
        ("before", [A]), ("before", [9, A, 10]), ("after", [A, 9]), ("after", [A, 9])]


def test_vector_table_picks_the_implementation_by_features() -> None:
    from wazaot.lower.vector import VectorTable

    table = VectorTable("test")

    def base(*args): ...

    def avx(*args): ...

    table.register("i32x4.add", dst="reuse")(base)
    table.register("i32x4.add", when={"avx"})(avx)
    assert table.lookup("i32x4.add", frozenset()).emit is base
    assert table.lookup("i32x4.add", frozenset()).dst == "reuse"
    assert table.lookup("i32x4.add", frozenset({"avx", "sse42"})).emit is avx
    assert table.lookup("i32x4.sub", frozenset({"avx"})) is None
    assert "i32x4.sub" in table.missing() and "i32x4.add" not in table.missing()
    with pytest.raises(ValueError, match="two implementations"):
        table.register("i32x4.add", when={"avx"})(avx)
    with pytest.raises(ValueError, match="not a SIMD instruction"):
        table.register("i32x4.frobnicate")


def test_saved_binaries_are_all_used() -> None:
    """Runs last: every saved binary belongs to a module of this file."""
    if wasmtime is None or len(USED) < 8:
        pytest.skip("needs wasmtime and the whole file")
    assert sorted(p.name for p in BINARIES.glob("*.wasm")) == sorted(USED)


def test_every_function_with_v128_is_lowered_with_wide_moves() -> None:
    """arm64 moves and spills vector registers 128 bits wide only in functions whose
    lowering says they hold v128 values (``LoweredFunction.vectors``, set where such a
    value first appears). A function that made a v128 register without the flag would
    lose upper halves: check every function of the SIMD spec modules."""
    class Watched(Arm64Lowering):
        made_v128 = False

        def new_vreg(self, vt: ValueType) -> Any:
            self.made_v128 |= vt is V128
            return super().new_vreg(vt)

    paths = sorted(spectest_dir().glob("simd_*.wasm"))
    if not paths:
        pytest.skip(f"no spec modules in {spectest_dir()}")
    checked = 0
    for path in paths:
        try:
            module = decode_module(path.read_bytes())
            validate_module(module)
        except wazaot.CompileError:
            continue
        env = CompileEnv.of(module, list(range(len(module.types))))
        for index in range(module.num_imported_funcs, len(env.func_types)):
            lowering = Watched(env, index)
            try:
                lower_function(module, index, lowering, env.func_types)
            except UnsupportedError:
                continue
            assert lowering.out.vectors or not lowering.made_v128, (path.name, index)
            checked += lowering.made_v128
    assert checked > 100
