"""The cost of crossing the Python <-> wasm boundary, wazaot beside wasmtime-py and cffi.

    PYTHONPATH=. python3 bench/boundary.py [--quick] [--repeat N] [--json]

From one run it prints, per call or per operation:

1. the bare cffi call: Python calling a trivial native function (``mov rax, rdi; ret``
   mapped executable, cast to ``int64_t(*)(int64_t)``; libc ``labs`` on other hosts);
2. the bare cffi callback: native code calling a Python ``ffi.callback`` once (a stub
   ``f(cb, x)`` that tail-jumps to ``cb(x)``); the whole round trip and the cost it adds
   to the bare call;
3. Python -> wasm calls of an exported identity ``(param i32) (result i32)``: wazaot's
   Pythonic ``f(x)`` and raw ``f.call(x)``, wasmtime-py's ``f(store, x)``;
4. wasm -> Python host calls: (a wasm loop of N calls of an imported identity host
   function - the same loop calling a wasm identity function) / N;
5. ``memory.copy`` and ``memory.fill`` of 16 bytes: (a wasm loop of N operations - the
   same loop without them) / N;

then the wazaot targets (``f(x)`` and ``f.call(x)`` within 3.5x of the bare cffi call,
a host call within 4x of the bare cffi callback) and the wazaot / wasmtime ratios.

Every figure is the best of several runs of an adaptively sized batch (a few tens of ms
each; ``--quick``: tiny batches, for a smoke test). Calls from Python run ten to a
loop iteration, so the ``for`` loop adds under 2 ns per call. Only wazaot's public API
is used. A wazaot failure is printed in place of its figure; the script exits 1.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from importlib.metadata import version
from itertools import repeat as forever
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (REPO, BENCH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import cffi  # noqa: E402
import wasmtime  # noqa: E402
from compile_and_run import table  # noqa: E402  (the benchmarks' one table printer)

import wazaot  # noqa: E402

TARGETS = {  # wazaot figure / cffi baseline, at most
    "f(x) / bare cffi call": 3.5,
    "f.call(x) / bare cffi call": 3.5,
    "host call / bare cffi callback": 4.0,
}

# One module for every wasm figure. $w and the host import $h are both identities, so
# host_loop and wasm_loop differ only in where the call goes; copy_loop, fill_loop and
# empty_loop differ only in the bulk memory instruction (16 bytes to an address that
# moves with the counter, so no compiler can fold the stores; the `and` is in the cost).
BOUNDARY_WAT = """
(module
  (import "env" "h" (func $h (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $w (param i32) (result i32) (local.get 0))
  (func (export "id") (param i32) (result i32) (local.get 0))
  (func (export "host_loop") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $h (i32.add (local.get $acc) (i32.const 1))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func (export "wasm_loop") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $w (i32.add (local.get $acc) (i32.const 1))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func (export "copy_loop") (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (memory.copy
          (i32.and (local.get $n) (i32.const 0xff0)) (i32.const 0x1000) (i32.const 16))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func (export "fill_loop") (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (memory.fill
          (i32.and (local.get $n) (i32.const 0xff0)) (local.get $n) (i32.const 16))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func (export "empty_loop") (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))))
"""

ARG = 7  # the argument of every identity call


# -- timing -------------------------------------------------------------------------


class Timer:
    """Best-of-``repeat`` timing of ``run(n)`` with ``n`` grown until a run takes
    ``target`` seconds."""

    def __init__(self, target: float, repeat: int, start_n: int) -> None:
        self.target = target
        self.repeat = repeat
        self.start_n = start_n

    @staticmethod
    def once(run: Callable[[int], object], n: int) -> float:
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            start = time.perf_counter()
            run(n)
            return time.perf_counter() - start
        finally:
            if gc_was_enabled:
                gc.enable()

    def size(self, run: Callable[[int], object], step: int = 10) -> int:
        """The smallest multiple of ``step`` (from ``start_n``) whose run takes ``target``."""
        n = max(step, self.start_n // step * step)
        while True:
            t = self.once(run, n)
            if t >= self.target or n >= 1 << 30:
                return n
            grow = 2.0 if t <= 0 else min(10.0, max(1.2, 1.1 * self.target / t))
            n = max(n + step, int(n * grow) // step * step)

    def best(self, run: Callable[[int], object], n: int) -> float:
        """Seconds for ``run(n)``, best of ``repeat``."""
        return min(self.once(run, n) for _ in range(self.repeat))

    def per_call(self, run: Callable[[int], object], step: int = 10) -> float:
        """Seconds per unit of ``run(n)``, sized adaptively, best of ``repeat``."""
        n = self.size(run, step)
        return self.best(run, n) / n


def ten_calls(fn: Callable[..., Any], *args: Any) -> Callable[[int], None]:
    """``run(n)``: ``fn(*args)`` n times (n a multiple of 10), ten per loop iteration."""
    if len(args) == 1:
        (a,) = args

        def run1(n: int) -> None:
            for _ in forever(None, n // 10):
                fn(a)
                fn(a)
                fn(a)
                fn(a)
                fn(a)
                fn(a)
                fn(a)
                fn(a)
                fn(a)
                fn(a)

        return run1
    (a, b) = args

    def run2(n: int) -> None:
        for _ in forever(None, n // 10):
            fn(a, b)
            fn(a, b)
            fn(a, b)
            fn(a, b)
            fn(a, b)
            fn(a, b)
            fn(a, b)
            fn(a, b)
            fn(a, b)
            fn(a, b)

    return run2


# -- the cffi baselines ----------------------------------------------------------


def _machine() -> str:
    m = platform.machine().lower()
    if m in ("x86_64", "amd64") and os.name != "nt":
        return "x86_64"
    if m in ("arm64", "aarch64") and os.name != "nt":
        return "arm64"
    return m


# int64_t id(int64_t x) and int64_t tail(int64_t (*cb)(int64_t), int64_t x) { return cb(x); }
_IDENTITY = {
    "x86_64": bytes.fromhex("4889f8c3"),  # mov rax, rdi; ret
    "arm64": bytes.fromhex("c0035fd6"),  # ret (x0 is both argument and result)
}
_TAIL_CALL = {
    "x86_64": bytes.fromhex("4889f8 4889f7 ffe0"),  # mov rax, rdi; mov rdi, rsi; jmp rax
    "arm64": bytes.fromhex("e20300aa e00301aa 40001fd6"),  # mov x2, x0; mov x0, x1; br x2
}


class NativeStubs:
    """A trivial native function and a stub that calls a cffi callback, with cffi types."""

    def __init__(self) -> None:
        self.ffi = cffi.FFI()
        self._keep: list[Any] = []
        arch = _machine()
        self.how_call = "libc labs(x), int64_t(*)(int64_t)"
        self.is_labs = True
        self.identity: Any = None
        self.tail: Any = None
        if arch in _IDENTITY:
            try:
                self.identity = self.ffi.cast("int64_t(*)(int64_t)", self._map(_IDENTITY[arch]))
                self.tail = self.ffi.cast(
                    "int64_t(*)(int64_t(*)(int64_t), int64_t)", self._map(_TAIL_CALL[arch])
                )
                self.is_labs = False
                self.how_call = (
                    "`mov rax, rdi; ret`, int64_t(*)(int64_t)"
                    if arch == "x86_64"
                    else "`ret`, int64_t(*)(int64_t)"
                )
            except Exception:  # no executable memory: fall back to libc
                self.identity = self.tail = None
                self.is_labs = True
        if self.identity is None:
            self.ffi.cdef("long labs(long);")
            self.identity = self.ffi.dlopen(None).labs
        self.callback = self.ffi.callback("int64_t(int64_t)", _py_identity)

    def _map(self, code: bytes) -> int:
        """Map ``code`` executable; return its address (kept mapped while ``self`` lives)."""
        try:
            from wazaot.native.execmem import CodeMemory
        except ImportError:  # the engine moved: plain mmap
            import mmap

            prot = mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC
            m = mmap.mmap(-1, mmap.PAGESIZE, prot=prot)
            m.write(code)
            self._keep.append(m)
            return int(self.ffi.cast("uintptr_t", self.ffi.from_buffer(m)))
        mem = CodeMemory.from_code(code)
        self._keep.append(mem)
        return mem.address

    def check(self) -> None:
        got = self.identity(-ARG)
        want = ARG if self.is_labs else -ARG
        if got != want:
            raise AssertionError(f"native identity({-ARG}) = {got}")
        if self.tail is not None and self.tail(self.callback, ARG) != ARG:
            raise AssertionError(f"callback stub returned {self.tail(self.callback, ARG)}")


def _py_identity(x: int) -> int:
    return x


# -- the runtimes -------------------------------------------------------------------


def wasm_loop_costs(
    timer: Timer, calls: dict[str, Callable[[int], object]], base: str, others: Sequence[str]
) -> dict[str, float]:
    """Per-iteration seconds of ``calls[k](n)`` minus ``calls[base](n)`` for k in ``others``
    (the call from Python cancels out), n sized on the slowest of ``others``; and the
    per-iteration time of ``base`` itself, sized on its own so that the call from Python
    is negligible."""
    n = max(timer.size(calls[k], step=1) for k in others)
    base_t = timer.best(calls[base], n)
    out = {k: (timer.best(calls[k], n) - base_t) / n for k in others}
    out[base] = timer.per_call(calls[base], step=1)
    out["n_" + base] = n
    return out


def measure_wazaot(wasm: bytes, timer: Timer) -> dict[str, float]:
    out: dict[str, float] = {}
    rt = wazaot.Runtime()
    try:
        rt.new_host_module_builder("env").function(
            "h",
            lambda caller, x: x,
            params=[wazaot.ValueType.I32],
            results=[wazaot.ValueType.I32],
        ).instantiate()
        mod = rt.instantiate(rt.compile(wasm), name="boundary")
        f = mod.exported_function("id")
        if f(ARG) != ARG or f.call(ARG) != [ARG] or f(-ARG) != -ARG:
            raise AssertionError(f"id({ARG}) = {f(ARG)}, raw {f.call(ARG)}, id(-7) = {f(-ARG)}")
        loops = {name: mod.exported_function(name).call for name in _LOOPS}
        for name in ("host_loop", "wasm_loop"):
            if loops[name](1000) != [1000]:
                raise AssertionError(f"{name}(1000) = {loops[name](1000)}, expected [1000]")
        out["call_py"] = timer.per_call(ten_calls(f, ARG))
        out["call_raw"] = timer.per_call(ten_calls(f.call, ARG))
        out.update(_loop_figures(timer, loops))
    finally:
        rt.close()
    return out


def measure_wasmtime(wasm: bytes, timer: Timer) -> dict[str, float]:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    i32 = wasmtime.ValType.i32()
    host = wasmtime.Func(store, wasmtime.FuncType([i32], [i32]), lambda x: x)
    exports = wasmtime.Instance(store, wasmtime.Module(engine, wasm), [host]).exports(store)
    f = exports["id"]
    assert isinstance(f, wasmtime.Func)
    assert f(store, ARG) == ARG
    loops = {}
    for name in _LOOPS:
        fn = exports[name]
        assert isinstance(fn, wasmtime.Func)
        loops[name] = lambda n, fn=fn: fn(store, n)
    assert loops["host_loop"](1000) == 1000
    out = {"call_py": timer.per_call(ten_calls(f, store, ARG))}
    out.update(_loop_figures(timer, loops))
    return out


_LOOPS = ("host_loop", "wasm_loop", "copy_loop", "fill_loop", "empty_loop")


def _loop_figures(timer: Timer, loops: dict[str, Callable[[int], object]]) -> dict[str, float]:
    out: dict[str, float] = {}
    calls = wasm_loop_costs(timer, loops, "wasm_loop", ["host_loop"])
    out["host_call"] = calls["host_loop"]
    out["wasm_loop_iter"] = calls["wasm_loop"]
    out["n_host"] = calls["n_wasm_loop"]
    mem = wasm_loop_costs(timer, loops, "empty_loop", ["copy_loop", "fill_loop"])
    out["memory_copy16"] = mem["copy_loop"]
    out["memory_fill16"] = mem["fill_loop"]
    out["empty_loop_iter"] = mem["empty_loop"]
    out["n_memory"] = mem["n_empty_loop"]
    return out


# -- output -------------------------------------------------------------------------


def fmt_ns(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ns = seconds * 1e9
    if abs(ns) >= 1000:
        return f"{ns:,.0f} ns"
    return f"{ns:.1f} ns"


def fmt_ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "-"
    r = a / b
    return f"{r:,.0f}x" if abs(r) >= 100 else f"{r:.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny batches (smoke test)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure, best kept")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat or (2 if args.quick else 5))
    timer = Timer(target=0.002 if args.quick else 0.03, repeat=repeat, start_n=100)

    start = time.perf_counter()
    errors: list[tuple[str, str]] = []
    wasm = wasmtime.wat2wasm(BOUNDARY_WAT)

    stubs = NativeStubs()
    stubs.check()
    bare_call = timer.per_call(ten_calls(stubs.identity, ARG))
    round_trip = added = None
    if stubs.tail is not None:
        round_trip = timer.per_call(ten_calls(stubs.tail, stubs.callback, ARG))
        added = round_trip - bare_call

    wt = measure_wasmtime(wasm, timer)
    wz: dict[str, float] = {}
    try:
        wz = measure_wazaot(wasm, timer)
    except Exception as exc:  # reported below
        errors.append(("wazaot", "".join(traceback.format_exception(exc)).rstrip()))
    elapsed = time.perf_counter() - start

    def g(key: str) -> float | None:
        return wz.get(key)

    ratios = {
        "f(x) / bare cffi call": _div(g("call_py"), bare_call),
        "f.call(x) / bare cffi call": _div(g("call_raw"), bare_call),
        "host call / bare cffi callback": _div(g("host_call"), added),
    }
    vs_wasmtime = {
        "f(x) vs f(store, x)": _div(g("call_py"), wt["call_py"]),
        "f.call(x) vs f(store, x)": _div(g("call_raw"), wt["call_py"]),
        "host call": _div(g("host_call"), wt["host_call"]),
        "memory.copy 16 B": _div(g("memory_copy16"), wt["memory_copy16"]),
        "memory.fill 16 B": _div(g("memory_fill16"), wt["memory_fill16"]),
    }

    if args.json:
        doc = {
            "wasmtime": version("wasmtime"),
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            "quick": args.quick,
            "repeat": repeat,
            "seconds": elapsed,
            "ns": {
                "bare_cffi_call": bare_call * 1e9,
                "cffi_callback_round_trip": _ns(round_trip),
                "bare_cffi_callback": _ns(added),
                "wazaot": {k: (v if k.startswith("n_") else v * 1e9) for k, v in wz.items()},
                "wasmtime": {k: (v if k.startswith("n_") else v * 1e9) for k, v in wt.items()},
            },
            "targets": {
                k: {"ratio": v, "target": TARGETS[k], "met": v is not None and v <= TARGETS[k]}
                for k, v in ratios.items()
            },
            "wazaot_vs_wasmtime": vs_wasmtime,
            "errors": [detail for _, detail in errors],
        }
        print(json.dumps(doc, indent=2))
        return 1 if errors else 0

    print(
        f"Python <-> wasm boundary: wazaot vs wasmtime-py {version('wasmtime')}, "
        f"Python {sys.version.split()[0]}, {platform.machine()}, {os.cpu_count()} CPUs"
        f"{', --quick' if args.quick else ''}; per call or operation, best of {repeat}\n"
    )
    err = "ERROR" if errors else "-"

    def wzf(key: str) -> str:
        return fmt_ns(wz[key]) if key in wz else err

    def both(label: str, how: str, key: str) -> list[str]:
        return [label, how, wzf(key), fmt_ns(wt[key]), fmt_ratio(g(key), wt[key])]

    cb_how = "py -> C stub -> py callback -> C -> py"
    rows = [
        ["bare cffi call", stubs.how_call, fmt_ns(bare_call), "", ""],
        ["cffi callback round trip", cb_how, fmt_ns(round_trip), "", ""],
        ["bare cffi callback", "round trip - bare cffi call", fmt_ns(added), "", ""],
        both("py->wasm f(x)", "Function(x) | f(store, x)", "call_py"),
        [
            "py->wasm f.call(x)",
            "Function.call(raw) | f(store, x)",
            wzf("call_raw"),
            fmt_ns(wt["call_py"]),
            fmt_ratio(g("call_raw"), wt["call_py"]),
        ],
        both("wasm->py host call", "(host loop - wasm loop) / N", "host_call"),
        both("  wasm->wasm call loop", "per iteration", "wasm_loop_iter"),
        both("memory.copy 16 B", "(copy loop - empty loop) / N", "memory_copy16"),
        both("memory.fill 16 B", "(fill loop - empty loop) / N", "memory_fill16"),
        both("  empty loop", "per iteration", "empty_loop_iter"),
    ]
    table(["what", "how (wazaot | wasmtime)", "wazaot", "wasmtime", "wz/wt"], rows, left=2)
    loops_n = ""
    if wz:
        loops_n = f"wazaot N = {wz['n_host']:,.0f} / {wz['n_memory']:,.0f}, "
    print(
        f"  wasm loops: {loops_n}wasmtime N = {wt['n_host']:,.0f} / {wt['n_memory']:,.0f} "
        "(host calls / memory ops)"
    )
    print()
    print("targets (wazaot / cffi baseline):")
    width = max(len(k) for k in TARGETS)
    for key, value in ratios.items():
        target = TARGETS[key]
        if value is None:
            verdict, shown = ("ERROR" if errors else "not measured"), "-"
        else:
            verdict, shown = ("met" if value <= target else "MISSED"), f"{value:.2f}x"
        print(f"  {key:<{width}} = {shown:>8}  (target <= {target:g}x) {verdict}")
    print("wazaot / wasmtime (below 1: wazaot is cheaper):")
    width = max(len(k) for k in vs_wasmtime)
    for key, value in vs_wasmtime.items():
        print(f"  {key:<{width}} = {'-' if value is None else fmt_ratio(value, 1.0):>8}")
    print(f"\ntotal {elapsed:.1f} s")
    for where, detail in errors:
        print(f"\n--- {where} failed:\n{detail}")
    return 1 if errors else 0


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0 or math.isnan(a):
        return None
    return a / b


def _ns(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e9


if __name__ == "__main__":
    sys.exit(main())
