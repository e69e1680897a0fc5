"""Compile time, run time and call overhead of wazaot, side by side with wasmtime.

    PYTHONPATH=. python3 bench/compile_and_run.py [--quick] [--repeat N] [--section S ...]

Three sections, each a table with the wazaot figure, the wasmtime figure measured in
the same run, and the ratio wazaot / wasmtime (above 1: wazaot is slower):

1. ``compile``: ``Runtime.compile`` (decode + validate + native code generation) against
   ``wasmtime.Module(engine, bytes)`` (Cranelift), for a few spec modules of different
   sizes, a generated module with about 1 MB of code (the generator of
   ``bench/decode_speed.py``) and the kernels of section 2. The wazaot time is split
   into decode + validate (timed on its own) and code generation (the difference).
2. ``run``: the compute kernels of ``bench/kernels/*.wat``, exported as ``run``; both
   runtimes must return the same result (a mismatch is reported as an error), then the
   native call alone is timed, best of N (compile and instantiate excluded).
3. ``calls``: Python -> wasm calls of an identity function (``Function.call`` against
   wasmtime-py's ``func(store, x)``) and wasm -> Python calls of an imported host
   function from a wasm loop.

A failure in wazaot (compile, instantiate, trap, wrong result) is printed in the table
in place of the figure and listed again at the end; the script goes on and exits 1.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
KERNEL_DIR = BENCH / "kernels"
SPEC_DIR = Path(
    os.environ.get("WAZAOT_SPECTEST_DIR", REPO.parent / "shared" / "spectest" / "core2")
)
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import wasmtime  # noqa: E402
from decode_speed import generate_module  # noqa: E402

import wazaot  # noqa: E402
from wazaot.api import ValueType, encode_value  # noqa: E402
from wazaot.wasm.decoder import decode_module  # noqa: E402
from wazaot.wasm.validator import validate_module  # noqa: E402

# Spec modules of different sizes (none uses SIMD, which wazaot does not compile yet).
SPEC_MODULES = [
    "fac.0.wasm",
    "i64.0.wasm",
    "conversions.0.wasm",
    "call_indirect.0.wasm",
    "left-to-right.0.wasm",
    "names.2.wasm",
    "br_table.0.wasm",
]


@dataclass
class Kernel:
    name: str
    what: str
    args: tuple[int, ...]  # wasm values (Python ints), full run
    quick_args: tuple[int, ...]
    wasm: bytes = b""


# Parameters chosen for about 0.3 s per run in wasmtime on a 2-core x86-64 machine.
KERNELS = [
    Kernel("fib", "recursive fib(n), calls", (37,), (31,)),
    Kernel("sieve", "primes < n, byte flags", (1_000_000, 120), (1_000_000, 8)),
    Kernel("crc32", "bitwise CRC-32 of len bytes", (65_536, 400), (65_536, 25)),
    Kernel("collatz", "i64 Collatz steps 1..n", (1_200_000,), (100_000,)),
    Kernel("matmul", "f64 n x n matmul", (200, 30), (120, 6)),
    Kernel("mandelbrot", "f64 escape times", (800, 600), (250, 300)),
    Kernel("bytes", "byte copy + FNV-1a", (65_536, 1400), (65_536, 80)),
    Kernel("memcopy", "memory.copy/fill 1 MiB", (1 << 20, 10_000), (1 << 20, 800)),
    Kernel("indirect", "call_indirect, 8 targets", (40_000_000,), (3_000_000,)),
    Kernel("switch", "br_table dispatch", (60_000_000,), (6_000_000,)),
]

CALLS_WAT = """
(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (func (export "nop"))
  (func (export "id") (param i32) (result i32) (local.get 0))
  (func (export "host_loop") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $f (local.get $acc)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
"""


# -- helpers ------------------------------------------------------------------------


@dataclass
class Errors:
    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, exc: BaseException | str) -> str:
        if isinstance(exc, BaseException):
            text = f"{type(exc).__name__}: {exc}"
            detail = "".join(traceback.format_exception(exc)).rstrip()
        else:
            text = detail = exc
        self.items.append((where, detail))
        return text.splitlines()[0] if text else "error"

    def report(self, what: str = "failures") -> int:
        """Print the failures in full; the exit status (1 if any)."""
        if not self.items:
            return 0
        print(f"\n{len(self.items)} {what}:")
        for where, detail in self.items:
            print(f"--- {where}\n{detail}")
        return 1


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def fmt_ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs <= 0:
        return "-"
    return f"{ours / theirs:.2f}x"


def ratio_summary(ratios: Sequence[float], noun: str, digits: int) -> str:
    """'geometric mean Gx over N nouns (min ..., max ...)' for wazaot/wasmtime ratios."""
    if not ratios:
        return f"no {noun} measured"
    mean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    return (
        f"geometric mean {mean:.{digits}f}x over {len(ratios)} {noun} "
        f"(min {min(ratios):.{digits}f}x, max {max(ratios):.{digits}f}x)"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> None:
    """Print ``rows`` under ``headers``; the first ``left`` columns are left-aligned."""
    keep = [i for i in range(len(headers)) if any(str(r[i]) for r in [headers, *rows])]
    headers = [headers[i] for i in keep]
    rows = [[r[i] for i in keep] for r in rows]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            out.append(f"{c:<{w}}" if i < left else f"{c:>{w}}")
        return "  ".join(out).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def load_kernels() -> list[Kernel]:
    for k in KERNELS:
        k.wasm = wasmtime.wat2wasm((KERNEL_DIR / f"{k.name}.wat").read_text())
    return KERNELS


# -- section 1: compile time --------------------------------------------------------


def wazaot_compile_time(data: bytes, repeat: int) -> float:
    rt = wazaot.Runtime()
    try:
        best = math.inf
        for _ in range(repeat):
            start = time.perf_counter()
            cm = rt.compile(data)
            best = min(best, time.perf_counter() - start)
            close = getattr(cm, "close", None)
            if callable(close):
                close()
        return best
    finally:
        rt.close()


def decode_validate_time(data: bytes, repeat: int) -> float:
    def run() -> None:
        validate_module(decode_module(data))

    return best_of(repeat, run)


def section_compile(inputs: list[tuple[str, bytes, int]], errors: Errors) -> None:
    print("== 1. Compile time: wazaot Runtime.compile vs wasmtime.Module (Cranelift) ==")
    engine = wasmtime.Engine()
    serial_config = wasmtime.Config()
    serial_config.parallel_compilation = False
    serial = wasmtime.Engine(serial_config)
    warm = wasmtime.wat2wasm('(module (func (export "f") (result i32) (i32.const 1)))')
    wasmtime.Module(engine, warm)  # warm up: first-use imports and setup
    wasmtime.Module(serial, warm)
    wazaot_compile_time(warm, 1)
    rows = []
    ratios = []
    for label, data, repeat in inputs:
        wz = dv = None
        note = ""
        try:
            wz = wazaot_compile_time(data, repeat)
            dv = decode_validate_time(data, repeat)
        except Exception as exc:  # reported in the table
            note = errors.add(f"compile {label}", exc)
        wt = best_of(repeat, lambda d=data: wasmtime.Module(engine, d))
        wt1 = best_of(repeat, lambda d=data: wasmtime.Module(serial, d))
        codegen = wz - dv if wz is not None and dv is not None else None
        if wz is not None:
            ratios.append(wz / wt)
            kbs = f"{len(data) / wz / 1e3:.0f}"
        else:
            kbs = "-"
        rows.append(
            [
                label,
                f"{len(data):,}",
                fmt_time(wz) if note == "" else "ERROR",
                fmt_time(dv),
                fmt_time(codegen),
                kbs,
                fmt_time(wt),
                fmt_ratio(wz, wt),
                fmt_time(wt1),
                fmt_ratio(wz, wt1),
                f"{repeat}",
                note,
            ]
        )
    table(
        [
            "module",
            "bytes",
            "wazaot",
            "dec+val",
            "codegen",
            "KB/s",
            "wasmtime",
            "ratio",
            "wt 1 thread",
            "ratio 1t",
            "N",
            "",
        ],  # fmt: skip
        rows,
    )
    print(
        f"summary: compile time wazaot/wasmtime {ratio_summary(ratios, 'modules', 1)}; "
        f"{len(inputs) - len(ratios)} failed"
    )
    print(
        "  codegen = wazaot - dec+val (each best of N); KB/s = module bytes / wazaot time;\n"
        "  wasmtime compiles functions in parallel on all cores (the default, used for the\n"
        "  summary); 'wt 1 thread' has Config.parallel_compilation = False, like wazaot."
    )
    print()


# -- section 2: kernels -------------------------------------------------------------


def section_run(kernels: list[Kernel], quick: bool, repeat: int, errors: Errors) -> None:
    print(f"== 2. Run time of kernels: native call only, best of {repeat} ==")
    engine = wasmtime.Engine()
    rows = []
    ratios = []
    for k in kernels:
        args = k.quick_args if quick else k.args
        arg_text = ",".join(str(a) for a in args)
        # wasmtime: the reference result and time
        store = wasmtime.Store(engine)
        inst = wasmtime.Instance(store, wasmtime.Module(engine, k.wasm), [])
        wt_fn = inst.exports(store)["run"]
        assert isinstance(wt_fn, wasmtime.Func)
        expected = wt_fn(store, *args)
        wt = best_of(repeat, lambda f=wt_fn, s=store, a=args: f(s, *a))
        # wazaot
        wz = None
        note = ""
        rt = wazaot.Runtime()
        try:
            mod = rt.instantiate(rt.compile(k.wasm))
            fn = mod.exported_function("run")
            d = fn.definition
            raw = [encode_value(t, a) for t, a in zip(d.param_types, args)]
            want = [encode_value(t, v) for t, v in zip(d.result_types, [expected])]
            call = fn.call
            best = math.inf
            for _ in range(repeat):
                start = time.perf_counter()
                got = call(*raw)
                best = min(best, time.perf_counter() - start)
                if got != want:  # every run, bit for bit (floats too)
                    raise AssertionError(
                        f"wrong result: run({arg_text}) = {got} (raw), wasmtime says "
                        f"{want} (raw) = {expected!r}"
                    )
            wz = best
            ratios.append(wz / wt)
        except Exception as exc:  # reported in the table
            note = errors.add(f"kernel {k.name}({arg_text})", exc)
        finally:
            rt.close()
        result_text = f"{expected:.6g}" if isinstance(expected, float) else f"{expected}"
        rows.append(
            [
                k.name,
                k.what,
                arg_text,
                result_text,
                fmt_time(wz) if not note else "ERROR",
                fmt_time(wt),
                fmt_ratio(wz, wt),
                note,
            ]
        )
    table(["kernel", "what", "args", "result", "wazaot", "wasmtime", "ratio", ""], rows, left=3)
    print(
        f"summary: run time wazaot/wasmtime {ratio_summary(ratios, 'kernels', 2)}; "
        f"{len(kernels) - len(ratios)} failed"
    )
    print()


# -- section 3: call overhead -------------------------------------------------------


def section_calls(quick: bool, repeat: int, errors: Errors) -> None:
    n_py = 10_000 if quick else 50_000
    n_host = 10_000 if quick else 50_000
    print(
        f"== 3. Call overhead: {n_py:,} Python->wasm calls, {n_host:,} wasm->Python calls, "
        f"best of {repeat} =="
    )
    wasm = wasmtime.wat2wasm(CALLS_WAT)

    # wasmtime
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    i32 = wasmtime.ValType.i32()
    host = wasmtime.Func(store, wasmtime.FuncType([i32], [i32]), lambda x: x + 1)
    exports = wasmtime.Instance(store, wasmtime.Module(engine, wasm), [host]).exports(store)
    wt_nop, wt_id, wt_loop = exports["nop"], exports["id"], exports["host_loop"]
    assert isinstance(wt_nop, wasmtime.Func) and isinstance(wt_id, wasmtime.Func)
    assert isinstance(wt_loop, wasmtime.Func)

    def wt_nop_calls() -> None:
        for _ in range(n_py):
            wt_nop(store)

    def wt_id_calls() -> None:
        for i in range(n_py):
            wt_id(store, i)

    assert wt_loop(store, n_host) == n_host
    wt_times = {
        "nop": best_of(repeat, wt_nop_calls),
        "id": best_of(repeat, wt_id_calls),
        "host": best_of(repeat, lambda: wt_loop(store, n_host)),
    }

    # wazaot
    wz_times: dict[str, float | None] = {"nop": None, "id": None, "id_py": None, "host": None}
    notes: dict[str, str] = {}
    rt = wazaot.Runtime()
    try:
        rt.new_host_module_builder("env").function(
            "f",
            lambda caller, x: (x + 1) & 0xFFFFFFFF,
            params=[ValueType.I32],
            results=[ValueType.I32],
        ).instantiate()
        mod = rt.instantiate(rt.compile(wasm))
        nop = mod.exported_function("nop").call
        ident_fn = mod.exported_function("id")
        ident = ident_fn.call
        loop = mod.exported_function("host_loop").call
        if ident(123) != [123] or ident_fn(-5) != -5:
            raise AssertionError(f"id(123) = {ident(123)}, id(-5) = {ident_fn(-5)}")
        if loop(n_host) != [n_host]:
            raise AssertionError(f"host_loop({n_host}) = {loop(n_host)}, expected [{n_host}]")

        def wz_nop_calls() -> None:
            for _ in range(n_py):
                nop()

        def wz_id_calls() -> None:
            for i in range(n_py):
                ident(i)

        def wz_id_py_calls() -> None:
            for i in range(n_py):
                ident_fn(i)

        wz_times["nop"] = best_of(repeat, wz_nop_calls)
        wz_times["id"] = best_of(repeat, wz_id_calls)
        wz_times["id_py"] = best_of(repeat, wz_id_py_calls)
        wz_times["host"] = best_of(repeat, lambda: loop(n_host))
    except Exception as exc:  # reported in the table
        notes["all"] = errors.add("call overhead", exc)
    finally:
        rt.close()

    rows = []
    ratios = []
    cases = [
        ("py->wasm nop()", "nop", "nop", n_py, "f.call() vs f(store)"),
        ("py->wasm id(i32)", "id", "id", n_py, "f.call(raw) vs f(store, x)"),
        ("py->wasm id(i32), Pythonic", "id_py", "id", n_py, "f(x) vs f(store, x)"),
        ("wasm->py host f(i32)", "host", "host", n_host, "fn(caller, raw) vs Func"),
    ]
    for label, wz_key, wt_key, n, how in cases:
        wz, wt = wz_times[wz_key], wt_times[wt_key]
        if wz is not None:
            ratios.append(wz / wt)
        rows.append(
            [
                label,
                how,
                f"{wz / n * 1e9:,.0f} ns" if wz is not None else "ERROR",
                f"{n / wz:,.0f}/s" if wz is not None else "-",
                f"{wt / n * 1e9:,.0f} ns",
                f"{n / wt:,.0f}/s",
                fmt_ratio(wz, wt),
                notes.get("all", ""),
            ]
        )
    table(
        ["call", "how", "wazaot", "wazaot rate", "wasmtime", "wasmtime rate", "ratio", ""],
        rows,
        left=2,
    )
    print(
        f"summary: per-call time wazaot/wasmtime {ratio_summary(ratios, 'cases', 2)}; "
        "below 1: wazaot's calls are cheaper"
    )
    print()


# -- main ---------------------------------------------------------------------------


def compile_inputs(kernels: list[Kernel], quick: bool, repeat: int) -> list[tuple[str, bytes, int]]:
    inputs: list[tuple[str, bytes, int]] = []
    if SPEC_DIR.is_dir():
        for name in SPEC_MODULES:
            path = SPEC_DIR / name
            if path.is_file():
                inputs.append((f"spec {name}", path.read_bytes(), repeat))
    else:
        print(f"(spec suite not found in {SPEC_DIR}; set WAZAOT_SPECTEST_DIR)\n")
    size = (128 << 10) if quick else (1 << 20)
    generated = generate_module(size)
    inputs.append((f"generated {len(generated) / 1e6:.2f} MB", generated, 1))
    for k in kernels:
        inputs.append((f"kernel {k.name}", k.wasm, repeat))
    return inputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs (about 30 s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, best kept")
    parser.add_argument(
        "--section",
        action="append",
        choices=["compile", "run", "calls"],
        help="run only these sections (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    sections = args.section or ["compile", "run", "calls"]
    repeat = max(1, args.repeat)

    start = time.perf_counter()
    print(
        f"wazaot vs wasmtime {version('wasmtime')}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
        f"{', --quick' if args.quick else ''}; ratio = wazaot / wasmtime\n"
    )
    errors = Errors()
    kernels = load_kernels()
    if "compile" in sections:
        section_compile(compile_inputs(kernels, args.quick, repeat), errors)
    if "run" in sections:
        section_run(kernels, args.quick, repeat, errors)
    if "calls" in sections:
        section_calls(args.quick, repeat, errors)
    print(f"total {time.perf_counter() - start:.0f} s")
    return errors.report("wazaot failure(s)")


if __name__ == "__main__":
    sys.exit(main())
