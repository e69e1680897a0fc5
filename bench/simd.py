"""SIMD kernels: wazaot against wasmtime on C loops that clang auto-vectorises.

    PYTHONPATH=. python3 bench/simd.py [--quick] [--repeat N] [--only saxpy,dot_f32]
    PYTHONPATH=. python3 bench/simd.py --build   # rebuild bench/simd/*.wasm with clang first

The kernels are C (``bench/simd/*.c``) built with ``clang --target=wasm32-wasi
-msimd128 -O3 -nostdlib -Wl,--no-entry`` into self-contained modules (no imports),
committed beside their sources so that the benchmark runs without clang. Each exports
``setup()``, which fills its arrays, and ``run(reps)``, which repeats the loop and
returns a checksum of its results.

For each kernel the script counts the SIMD instructions in the module (it must have
some: the loop was vectorised), runs ``setup`` and ``run`` in both runtimes and
demands the same checksum, then times ``run`` alone (``setup`` before each run,
untimed; best of N; compile and instantiate excluded). It prints per kernel the wazaot
time, the wasmtime time and the ratio wazaot / wasmtime (above 1: wazaot is slower),
and their geometric mean. ``$WAZAOT_X86_FEATURES=-avx`` times wazaot's SSE code.

A failure in wazaot (``UnsupportedError`` for an instruction it cannot compile yet, a
trap, a different checksum) is printed in the table in place of the figure and listed
at the end; the script goes on and exits 1.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SIMD_DIR = BENCH / "simd"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import wasmtime  # noqa: E402
from compile_and_run import Errors, fmt_ratio, fmt_time, ratio_summary, table  # noqa: E402

import wazaot  # noqa: E402
from wazaot.wasm.decoder import decode_module  # noqa: E402
from wazaot.wasm.opcodes import NAMES, PREFIX_FD  # noqa: E402

CLANG = ["clang", "--target=wasm32-wasi", "-msimd128", "-O3", "-nostdlib", "-Wl,--no-entry"]


@dataclass
class Kernel:
    name: str
    what: str
    reps: int  # about 0.2 s in wasmtime on a 2-core x86-64 machine with AVX2
    quick_reps: int
    cflags: tuple[str, ...] = ()


KERNELS = [
    Kernel("saxpy", "y = a x + b y, f32 (16K)", 70_000, 5_000),
    Kernel("dot_f32", "f32 dot product (16K), -ffast-math", 45_000, 3_000, ("-ffast-math",)),
    Kernel("dot_i16", "i16 dot product into i32 (32K)", 55_000, 4_000),
    Kernel("sum_u8", "sum of u8 bytes (64K)", 30_000, 2_000),
    Kernel("count_eq", "count bytes equal to c (64K)", 25_000, 2_000),
    Kernel("matmul_f32", "f32 64 x 64 matmul", 8_000, 600),
    Kernel("rgb2gray", "RGB u8 to gray u8 (32K pixels)", 2_000, 150),
    Kernel("minmax_i32", "i32 min and max (32K)", 40_000, 3_000),
]


def build(kernels: list[Kernel]) -> None:
    """Rebuild the kernels' modules from their C sources."""
    if shutil.which("clang") is None:
        raise SystemExit("--build needs clang, lld and wasi-libc (Debian: clang lld wasi-libc "
                         "libclang-rt-14-dev-wasm32)")  # fmt: skip
    for k in kernels:
        src, out = SIMD_DIR / f"{k.name}.c", SIMD_DIR / f"{k.name}.wasm"
        subprocess.run([*CLANG, *k.cflags, str(src), "-o", str(out)], check=True)
        print(f"built {out.relative_to(REPO)} ({out.stat().st_size} bytes)")


def simd_instructions(wasm: bytes) -> dict[str, int]:
    """The SIMD instructions of a module's code and how many of each."""
    counts: dict[str, int] = {}
    for code in decode_module(wasm).codes:
        for op, _imm, _offset in code.body:
            if op >= PREFIX_FD:
                counts[NAMES[op]] = counts.get(NAMES[op], 0) + 1
    return counts


def best_run(who: str, setup: Callable[[], object], run: Callable[[], int],
             repeat: int) -> tuple[int, float]:  # fmt: skip
    """``run()``'s checksum (low 32 bits, the same every time) and its best time over
    ``repeat`` runs, each after ``setup()`` (not timed)."""
    best, result = math.inf, None
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - start)
        if result is not None and value & 0xFFFFFFFF != result:
            raise AssertionError(f"{who}'s checksum changed between runs")
        result = value & 0xFFFFFFFF
    assert result is not None
    return result, best


def time_wasmtime(wasm: bytes, reps: int, repeat: int) -> tuple[int, float]:
    store = wasmtime.Store()
    exports = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), []).exports(store)
    setup, run = exports["setup"], exports["run"]
    return best_run("wasmtime", lambda: setup(store), lambda: run(store, reps), repeat)


def time_wazaot(rt: wazaot.Runtime, wasm: bytes, reps: int, repeat: int) -> tuple[int, float]:
    mod = rt.instantiate(rt.compile(wasm))
    setup, run = mod.exported_function("setup"), mod.exported_function("run")
    return best_run("wazaot", setup.call, lambda: run.call(reps)[0], repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--only", help="kernel names, comma-separated")
    parser.add_argument("--build", action="store_true", help="rebuild the modules with clang")
    args = parser.parse_args(argv)

    kernels = KERNELS
    if args.only:
        wanted = set(args.only.split(","))
        kernels = [k for k in KERNELS if k.name in wanted]
        if unknown := wanted - {k.name for k in kernels}:
            parser.error(f"unknown kernels: {', '.join(sorted(unknown))}")
    if args.build:
        build(kernels)

    errors = Errors()
    rows, ratios = [], []
    with wazaot.Runtime() as rt:
        for k in kernels:
            wasm = (SIMD_DIR / f"{k.name}.wasm").read_bytes()
            reps = k.quick_reps if args.quick else k.reps
            ops = simd_instructions(wasm)
            if not ops:
                errors.add(k.name, "no SIMD instructions in the module (not vectorised)")
            want, theirs = time_wasmtime(wasm, reps, args.repeat)
            ours: float | None = None
            try:
                got, ours = time_wazaot(rt, wasm, reps, args.repeat)
                if got != want:
                    ours = None
                    raise AssertionError(f"checksum {got:#x}, wasmtime's {want:#x}")
            except Exception as e:
                shown = errors.add(k.name, e)
                rows.append([k.name, k.what, str(sum(ops.values())), f"ERROR: {shown}",
                             fmt_time(theirs), "-"])
                continue
            ratios.append(ours / theirs)
            rows.append([k.name, k.what, str(sum(ops.values())), fmt_time(ours),
                         fmt_time(theirs), fmt_ratio(ours, theirs)])
    print(f"SIMD kernels, run(reps) alone, best of {args.repeat} "
          f"(wasmtime {version('wasmtime')})")
    table(["kernel", "what", "simd ops", "wazaot", "wasmtime", "ratio"], rows, left=2)
    print(ratio_summary(ratios, "kernels", 2))
    return errors.report()


if __name__ == "__main__":
    sys.exit(main())
