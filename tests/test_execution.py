"""Native execution through the public API: host functions, traps and backtraces,
stack exhaustion, the instance objects, threads, and resource release.

The spec suite (tests/spec) checks instruction semantics; these tests check the
machinery around them that the suite does not reach.
"""

from __future__ import annotations

import platform
import sys
import threading

import pytest

import wazaot
from wazaot import Trap, ValueType
from wazaot.api import decode_f64, encode_f32, encode_f64
from wazaot.vmctx import Exec, FuncRef, ModuleCtx, Table, ffi

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"),
    reason="native execution needs the x86-64 backend (arm64 comes next)",
)

wasmtime = pytest.importorskip("wasmtime", reason="pip install wasmtime (for wat2wasm)")
I32, I64, F32, F64 = ValueType.I32, ValueType.I64, ValueType.F32, ValueType.F64


def wat(text: str) -> bytes:
    return wasmtime.wat2wasm(text)


@pytest.fixture
def rt():
    with wazaot.Runtime() as runtime:
        yield runtime


# -- host functions ------------------------------------------------------------------------


def test_host_function_gets_caller_and_raw_params(rt):
    seen = []

    def log(caller, a, b):
        seen.append((caller, a, b))
        return (a * 2 + b) & 0xFFFF_FFFF  # results are checked, not masked (API.md "Values")

    rt.new_host_module_builder("env").function(
        "log", log, params=[I32, I64], results=[I32]).instantiate()  # fmt: skip
    mod = rt.instantiate(rt.compile(wat("""(module
        (import "env" "log" (func $log (param i32 i64) (result i32)))
        (func (export "f") (param i32) (result i32)
          (call $log (local.get 0) (i64.const -1))))""")), name="m")
    assert mod.exported_function("f").call(0xFFFF_FFFF) == [(0xFFFF_FFFF * 2 + 2**64 - 1) & 0xFFFF_FFFF]
    [(caller, a, b)] = seen
    assert caller is mod and a == 0xFFFF_FFFF and b == 2**64 - 1


def test_host_function_many_params_and_results_through_the_stack(rt):
    types = [I32, I64, F32, F64] * 4  # 16 params: more than the argument registers

    def many(caller, *params):
        return [sum(p & 0xFFFF for p in params) & 0xFFFF_FFFF, params[-1], params[2], params[1]]

    rt.new_host_module_builder("env").function(
        "many", many, params=types, results=[I32, F64, F32, I64]).instantiate()  # fmt: skip
    params = " ".join(str(t) for t in types)
    args = " ".join(f"(local.get {i})" for i in range(16))
    mod = rt.instantiate(rt.compile(wat(f"""(module
        (import "env" "many" (func $many (param {params}) (result i32 f64 f32 i64)))
        (func (export "f") (param {params}) (result i32 f64 f32 i64) (call $many {args})))""")))
    raw = []
    for i, t in enumerate(types):
        raw.append({I32: i + 1, I64: 2**40 + i, F32: encode_f32(i + 0.5),
                    F64: encode_f64(i * 1.25)}[t])  # fmt: skip
    out = mod.exported_function("f").call(*raw)
    assert out == [sum(r & 0xFFFF for r in raw) & 0xFFFF_FFFF, raw[-1], raw[2], raw[1]]
    assert decode_f64(out[1]) == 15 * 1.25


def test_host_exception_propagates_as_the_same_object(rt):
    boom = ValueError("from the host")

    def fail(caller):
        raise boom

    rt.new_host_module_builder("env").function("fail", fail).instantiate()
    mod = rt.instantiate(rt.compile(wat("""(module
        (import "env" "fail" (func $fail))
        (func $inner (call $fail))
        (func (export "f") (result i32) (call $inner) (i32.const 1)))""")))
    f = mod.exported_function("f")
    for _ in range(3):
        with pytest.raises(ValueError) as info:
            f.call()
        assert info.value is boom
    rt.new_host_module_builder("ok").function("one", lambda c: 1, results=[I32]).instantiate()
    assert rt.instantiate(rt.compile(wat("""(module (import "ok" "one" (func $one (result i32)))
        (func (export "g") (result i32) (call $one)))"""))).exported_function("g").call() == [1]


def test_host_function_calls_back_into_wasm(rt):
    holder = {}

    def host(caller, n):
        # Re-enter wasm below the suspended frames, several levels deep.
        if n == 0:
            return 0
        return holder["f"].call(n - 1)[0] + n

    rt.new_host_module_builder("env").function(
        "host", host, params=[I32], results=[I32]).instantiate()  # fmt: skip
    mod = rt.instantiate(rt.compile(wat("""(module
        (import "env" "host" (func $host (param i32) (result i32)))
        (func (export "f") (param i32) (result i32)
          (i32.add (call $host (local.get 0)) (i32.const 1000))))""")))
    holder["f"] = mod.exported_function("f")
    n = 20
    assert holder["f"].call(n) == [sum(range(n + 1)) + 1000 * (n + 1)]


def test_trap_inside_nested_call_unwinds_everything(rt):
    holder = {}
    rt.new_host_module_builder("env").function(
        "host", lambda c: holder["bad"].call(), results=[I32]).instantiate()  # fmt: skip
    mod = rt.instantiate(rt.compile(wat("""(module
        (import "env" "host" (func $host (result i32)))
        (func (export "outer") (result i32) (call $host))
        (func (export "bad") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
        (func (export "ok") (result i32) (i32.const 7)))""")))
    holder["bad"] = mod.exported_function("bad")
    with pytest.raises(Trap, match="integer divide by zero"):
        mod.exported_function("outer").call()
    assert mod.exported_function("ok").call() == [7]


# -- traps ----------------------------------------------------------------------------------


def test_trap_backtrace_names_and_offsets(rt):
    wasm = wasmtime.wat2wasm("""(module
        (func $leaf (param i32) (result i32) (i32.load (local.get 0)))
        (func $middle (param i32) (result i32) (call $leaf (local.get 0)))
        (func $top (export "top") (param i32) (result i32) (call $middle (local.get 0)))
        (memory 1))""")
    mod = rt.instantiate(rt.compile(wasm))
    with pytest.raises(Trap) as info:
        mod.exported_function("top").call(70000)
    trap = info.value
    assert "out of bounds memory access" in str(trap)
    names = [f.function for f in trap.wasm_backtrace]
    assert names == ["leaf", "middle", "top"]  # from the name section
    offsets = [f.offset for f in trap.wasm_backtrace]
    assert all(o is not None and 0 < o < len(wasm) for o in offsets)
    assert wasm[offsets[0]] == 0x28  # the i32.load opcode itself
    assert wasm[offsets[1]] == 0x10 and wasm[offsets[2]] == 0x10  # the calls
    assert mod.exported_function("top").call(4) == [0]  # usable after the trap


@pytest.mark.parametrize("body,message", [
    ("unreachable", "unreachable"),
    ("(drop (i32.div_s (i32.const 1) (i32.const 0)))", "integer divide by zero"),
    ("(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))", "integer overflow"),
    ("(drop (i32.trunc_f32_s (f32.const nan)))", "invalid conversion to integer"),
    ("(drop (i64.load (i32.const 65535)))", "out of bounds memory access"),
    ("(call_indirect (i32.const 5))", "undefined element"),
    ("(call_indirect (i32.const 1))", "uninitialized element"),
    ("(call_indirect (type $t) (i32.const 7) (i32.const 0))", "indirect call type mismatch"),
    ("(drop (table.get (i32.const 9)))", "out of bounds table access"),
])  # fmt: skip
def test_trap_messages(rt, body, message):
    mod = rt.instantiate(rt.compile(wat(f"""(module
        (type $t (func (param i32)))
        (memory 1) (table 2 funcref) (elem (i32.const 0) $f)
        (func $f)
        (func (export "run") {body}))""")))
    with pytest.raises(Trap, match=message) as info:
        mod.exported_function("run").call()
    assert info.value.wasm_backtrace and info.value.wasm_backtrace[0].offset is not None


def test_stack_exhaustion_is_a_trap_not_a_crash(rt):
    mod = rt.instantiate(rt.compile(wat("""(module
        (func $deep (export "deep") (param i64) (result i64)
          (i64.add (call $deep (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
        (func $wide (export "wide") (param f64 f64 f64 f64 f64 f64 f64 f64 f64 f64) (result f64)
          (call $wide (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
            (local.get 6) (local.get 7) (local.get 8) (local.get 9) (local.get 0)))
        (func (export "ok") (result i32) (i32.const 5)))""")))
    for name, args in (("deep", [0]), ("wide", [0] * 10)):
        with pytest.raises(Trap, match="call stack exhausted") as info:
            mod.exported_function(name).call(*args)
        assert len(info.value.wasm_backtrace) > 10
    assert mod.exported_function("ok").call() == [5]


# -- the instance objects -------------------------------------------------------------------


def test_memory_global_table_objects(rt):
    mod = rt.instantiate(rt.compile(wat("""(module
        (memory (export "mem") 1 3)
        (global (export "g") (mut i64) (i64.const -5))
        (global (export "pi") f64 (f64.const 3.5))
        (table (export "t") 2 10 funcref)
        (func $f (export "f") (result i32) (i32.const 42))
        (elem (i32.const 1) $f)
        (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "size") (result i32) (memory.size))
        (func (export "getg") (result i64) (global.get 0)))""")))
    mem = mod.exported_memory("mem")
    assert mem.size == 65536
    mem.write(100, b"\x07\x08")
    assert mod.exported_function("load").call(101) == [8]
    assert bytes(mem.buffer()[100:102]) == b"\x07\x08"
    with pytest.raises(IndexError):
        mem.read(65535, 2)
    assert mod.exported_function("grow").call(1) == [1]
    assert mem.size == 2 * 65536 and mod.exported_function("size").call() == [2]
    assert mem.grow(1) == 2 and mod.exported_function("size").call() == [3]
    assert mod.exported_function("grow").call(1) == [0xFFFF_FFFF]  # past the maximum
    assert mod.exported_function("load").call(3 * 65536 - 1) == [0]

    g = mod.exported_global("g")
    assert (g.type, g.mutable, g.value) == (I64, True, -5)
    g.set(77)
    assert mod.exported_function("getg").call() == [77]
    pi = mod.exported_global("pi")
    assert pi.value == 3.5
    with pytest.raises(AttributeError):
        pi.set(0)

    t = mod.exported_table("t")
    assert t.size() == 2 and t.get(0) == 0 and t.get(1) != 0
    assert t.grow(3, t.get(1)) == 2 and t.size() == 5 and t.get(4) == t.get(1)
    with pytest.raises(IndexError):
        t.get(5)


def test_memory_limit_pages_applies():
    with wazaot.Runtime(wazaot.RuntimeConfig(memory_limit_pages=2)) as rt:
        mod = rt.instantiate(rt.compile(wat("""(module (memory 1)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))""")))
        assert mod.exported_function("grow").call(1) == [1]
        assert mod.exported_function("grow").call(1) == [0xFFFF_FFFF]


def test_functions_of_one_instance_run_in_their_own_instance_through_another_table(rt):
    a = rt.instantiate(rt.compile(wat("""(module
        (memory 1) (data (i32.const 0) "A")
        (table (export "t") 1 funcref) (elem (i32.const 0) $read)
        (func $read (result i32) (i32.load8_u (i32.const 0))))""")), name="a")
    b = rt.instantiate(rt.compile(wat("""(module
        (import "a" "t" (table 1 funcref))
        (memory 1) (data (i32.const 0) "B")
        (type $r (func (result i32)))
        (func (export "via_table") (result i32) (call_indirect (type $r) (i32.const 0)))
        (func (export "own") (result i32) (i32.load8_u (i32.const 0))))""")))
    assert b.exported_function("via_table").call() == [ord("A")]
    assert b.exported_function("own").call() == [ord("B")]
    assert a.name == "a"


def test_threads_run_separate_instances(rt):
    cm = rt.compile(wat("""(module
        (func (export "sum") (param i64) (result i64) (local i64)
          (block (loop (br_if 1 (i64.eqz (local.get 0)))
            (local.set 1 (i64.add (local.get 1) (local.get 0)))
            (local.set 0 (i64.sub (local.get 0) (i64.const 1))) (br 0)))
          (local.get 1)))"""))
    results = {}

    def work(k):
        f = rt.instantiate(cm).exported_function("sum")
        results[k] = [f.call(100_000 + k)[0] for _ in range(20)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for k in range(4):
        n = 100_000 + k
        assert results[k] == [n * (n + 1) // 2] * 20


def test_closed_module_cannot_be_called(rt):
    mod = rt.instantiate(rt.compile(wat('(module (func (export "f")))')), name="m")
    f = mod.exported_function("f")
    mod.close()
    assert rt.module("m") is None
    with pytest.raises(RuntimeError, match="closed"):
        f.call()


# -- layouts and resources ------------------------------------------------------------------


def test_context_offsets_match_the_c_structs():
    for cls, struct in ((Exec, "wazaot_exec_ctx"), (ModuleCtx, "wazaot_module_ctx"),
                        (Table, "wazaot_table"), (FuncRef, "wazaot_funcref")):  # fmt: skip
        for name, value in vars(cls).items():
            if name.isupper() and name not in ("HEADER_SIZE", "SIZE", "NUM_ARGS"):
                assert ffi.offsetof(struct, name.lower()) == value, (struct, name)
    assert ffi.sizeof("wazaot_module_ctx") == ModuleCtx.HEADER_SIZE
    assert ffi.sizeof("wazaot_funcref") == FuncRef.SIZE


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_compiling_and_closing_modules_keeps_memory_flat():
    wasm = wat("""(module (memory 1) (func (export "f") (param i32) (result i32)
        (i32.add (local.get 0) (i32.load (local.get 0)))))""")
    with wazaot.Runtime() as rt:
        for _ in range(100):
            rt.compile(wasm).close()
        before = _rss_kib()
        for _ in range(1000):
            rt.compile(wasm).close()
        grown = _rss_kib() - before
    assert grown < 8 * 1024, f"RSS grew by {grown} KiB over 1,000 compile/close cycles"


def test_funcref_values_from_python_are_checked(rt):
    mod = rt.instantiate(rt.compile(wat("""(module
        (type $v (func (result i32)))
        (table (export "t") 2 funcref)
        (global (export "g") (mut funcref) (ref.null func))
        (func $seven (export "seven") (result i32) (i32.const 7))
        (func (export "ref") (result funcref) (ref.func $seven))
        (func (export "call") (param i32) (result i32) (call_indirect (type $v) (local.get 0)))
        (func (export "take") (param funcref) (result i32) (ref.is_null (local.get 0)))
        (elem declare func $seven))""")))
    t, g = mod.exported_table("t"), mod.exported_global("g")
    bogus = 0xDEAD_BEEF_0000
    with pytest.raises(ValueError, match="not a funcref"):
        t.set(0, bogus)
    with pytest.raises(ValueError, match="not a funcref"):
        t.grow(1, bogus)
    with pytest.raises(ValueError, match="not a funcref"):
        g.set(bogus)
    with pytest.raises(ValueError, match="not a funcref"):
        mod.exported_function("take").call(bogus)
    ref = mod.exported_function("ref").call()[0]
    t.set(1, ref)  # a real funcref is accepted and callable
    assert mod.exported_function("call").call(1) == [7]
    assert mod.exported_function("take").call(ref) == [0]
    assert mod.exported_function("take").call(0) == [1]

    rt.new_host_module_builder("h").function(
        "bad", lambda caller: bogus, results=[ValueType.FUNCREF]).instantiate()  # fmt: skip
    user = rt.instantiate(rt.compile(wat("""(module
        (import "h" "bad" (func $bad (result funcref)))
        (func (export "f") (result i32) (ref.is_null (call $bad))))""")))
    with pytest.raises(ValueError, match="not a funcref"):
        user.exported_function("f").call()


# -- processor features -----------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/cpuinfo")
def test_cpuid_agrees_with_the_kernel():
    from wazaot.amd64.cpu import host_features

    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    features = host_features()
    assert features.lzcnt == ("abm" in flags)
    assert features.tzcnt == ("bmi1" in flags)
    assert features.popcnt == ("popcnt" in flags)
    assert features.sse41 == ("sse4_1" in flags)


def test_bit_counting_fallbacks_pass_the_spec_scripts(monkeypatch):
    """Without LZCNT/TZCNT/POPCNT (old processors), clz/ctz/popcnt use bsr/bsf and a
    bit-twiddling count; the spec's integer scripts must still pass."""
    from spec.harness import Outcome, run_file, spectest_dir

    from wazaot.amd64 import cpu

    if not (spectest_dir() / "i32.json").exists():
        pytest.skip("the spec suite is absent (set WAZAOT_SPECTEST_DIR)")
    old = cpu.Features(lzcnt=False, tzcnt=False, popcnt=False, sse41=True)
    monkeypatch.setattr(cpu, "host_features", lambda: old)
    with wazaot.Runtime() as runtime:
        listing = runtime.compile(wat("""(module (func (export "f") (param i32) (result i32)
            (i32.clz (local.get 0))))"""))
        from disasm_tools.listing import function_listing

        text = function_listing(listing, 0)
        assert "bsr" in text and "lzcnt" not in text
    for name in ("i32.json", "i64.json"):
        report = run_file(spectest_dir() / name)
        assert not report.failures, report.failures[:3]
        assert report.counts[("assert_return", Outcome.PASSED)] > 300


def test_failed_instantiation_keeps_what_it_wrote_into_imported_tables_alive(rt):
    import gc

    rt.instantiate(rt.compile(wat("""(module
        (table (export "t") 2 funcref) (type $v (func (result i32)))
        (func (export "call0") (result i32) (call_indirect (type $v) (i32.const 0))))""")),
        name="owner")  # fmt: skip
    failing = rt.compile(wat("""(module
        (import "owner" "t" (table 2 funcref))
        (memory 1)
        (func $f (result i32) (i32.add (i32.load (i32.const 0)) (i32.const 40)))
        (elem (i32.const 0) $f)
        (data (i32.const 0) "\\02")
        (data (i32.const 70000) "out of bounds"))"""))
    with pytest.raises(Trap, match="out of bounds memory access"):
        rt.instantiate(failing)
    del failing
    gc.collect()
    # The element written before the trap still calls the failed instance's code,
    # which still reads its own memory.
    assert rt.module("owner").exported_function("call0").call() == [42]


def test_i32_values_from_python_are_checked_and_stored_as_32_bits(rt):
    rt.new_host_module_builder("env").function(
        "minus_one", lambda caller: -1, results=[I32]).instantiate()  # fmt: skip
    mod = rt.instantiate(rt.compile(wat("""(module
        (import "env" "minus_one" (func $m (result i32)))
        (func (export "host") (result f64) (f64.convert_i32_u (call $m)))
        (func (export "arg") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))
        (func (export "conv") (param i32) (result f64) (f64.convert_i32_u (local.get 0))))""")))
    assert decode_f64(mod.exported_function("host").call()[0]) == 4294967295.0
    assert mod.exported_function("arg").call(-1) == [0xFFFF_FFFF]
    assert decode_f64(mod.exported_function("conv").call(0xFFFF_FFFF)[0]) == 4294967295.0
    with pytest.raises(OverflowError):  # checked, never truncated (API.md "Values")
        mod.exported_function("conv").call(2**40 + 5)


def test_lazy_local_reads_survive_local_tee_of_a_pending_compare(rt):
    # Reduced from a differential-fuzzing mismatch (binaryen -ttf seed 78).
    wasm = wat("""(module
      (global $g2 (mut i32) (i32.const 77))
      (func (export "f") (param i32) (result i32)
        local.get 0
        i32.const -28380
        block (result i32)
          local.get 0 i32.const -114 i32.eq
          local.tee 0
          global.get $g2
          local.tee 0
          i32.const 34094
          select
        end
        select))""")
    f = rt.instantiate(rt.compile(wasm)).exported_function("f")
    assert f(0) == -28380 and f(5) == -28380 and f(-114) == -114


@pytest.mark.parametrize("pages", [1, 3])
def test_accesses_at_the_end_of_memory_take_the_exact_bounds_check(pages: int) -> None:
    """x86-64 compares an address with the memory limit (size - 15) first: the last 15
    bytes, and every address after growth, go through the exact check out of line."""
    size = pages * 65536
    rt = wazaot.Runtime()
    mod = rt.instantiate(rt.compile(wat(f"""(module
      (memory (export "mem") {pages})
      (func (export "i32") (param i32) (result i32) (i32.load offset=2 (local.get 0)))
      (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "v128") (param i32) (result v128) (v128.load (local.get 0)))
      (func (export "store") (param i32 i64) (i64.store offset=8 (local.get 0) (local.get 1)))
      (func (export "grow") (result i32) (memory.grow (i32.const 1))))""")))
    f = mod.exported_function
    mem = mod.exported_memory("mem")
    mem.write(size - 16, bytes(range(1, 17)))
    assert f("byte").call(size - 1) == [16]
    assert f("i32").call(size - 6) == [int.from_bytes(bytes([13, 14, 15, 16]), "little")]
    assert f("v128").call(size - 16) == [int.from_bytes(bytes(range(1, 17)), "little")]
    f("store").call(size - 16, -1)
    assert mem.read(size - 8, 8) == b"\xff" * 8
    for name, address in (("byte", size), ("i32", size - 5), ("v128", size - 15),
                          ("i32", 0xFFFF_FFFF), ("byte", 0xFFFF_FFFF)):  # fmt: skip
        with pytest.raises(Trap, match="out of bounds memory access"):
            f(name).call(address)
    with pytest.raises(Trap, match="out of bounds memory access"):
        f("store").call(size - 15, 1)
    assert mem.read(size - 8, 8) == b"\xff" * 8  # the trapping store wrote nothing
    assert f("grow").call() == [pages]
    assert f("v128").call(size - 15) == [int.from_bytes(mem.read(size - 15, 16), "little")]
    assert mem.read(size - 15, 16) == bytes(range(2, 9)) + b"\xff" * 8 + b"\0"
    assert f("byte").call(size + 65535) == [0]
    with pytest.raises(Trap, match="out of bounds memory access"):
        f("byte").call(size + 65536)
