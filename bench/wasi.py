"""WASI output speed: a C program writing 100,000 short lines, one ``fd_write`` each,
under wazaot and under wasmtime-py, both with stdout to a file.

    PYTHONPATH=. python3 bench/wasi.py [--lines N] [--repeat N]

Prints the run time of ``_start`` (compile and instantiate excluded; best of N) for
each runtime, the time per ``fd_write``, and the ratio wazaot / wasmtime (above 1:
wazaot is slower). Both files must hold the same bytes. The program is
``tests/wasi/programs/bench.c`` (built by ``tests/wasi/programs/build.sh``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import wasmtime

import wazaot
from wazaot import wasi

PROGRAM = Path(__file__).resolve().parents[1] / "tests" / "wasi" / "programs" / "bench.wasm"


def run_wazaot(wasm: bytes, lines: int, out: str) -> float:
    with wazaot.Runtime() as rt, open(out, "wb") as f:
        wasi.instantiate(rt, wasi.WasiConfig(args=["bench", str(lines)], stdout=f))
        mod = rt.instantiate(rt.compile(wasm))
        start = mod.exported_function("_start")
        t = time.perf_counter()
        start.call()
        return time.perf_counter() - t


def run_wasmtime(wasm: bytes, lines: int, out: str) -> float:
    cfg = wasmtime.WasiConfig()
    cfg.argv = ["bench", str(lines)]
    cfg.stdout_file = out
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(cfg)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    start = linker.instantiate(store, wasmtime.Module(engine, wasm)).exports(store)["_start"]
    assert isinstance(start, wasmtime.Func)
    t = time.perf_counter()
    start(store)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wasm = PROGRAM.read_bytes()
    with tempfile.TemporaryDirectory(prefix="wazaot-bench-wasi-") as tmp:
        ours_file, ref_file = os.path.join(tmp, "wazaot.out"), os.path.join(tmp, "wasmtime.out")
        ours = min(run_wazaot(wasm, args.lines, ours_file) for _ in range(args.repeat))
        ref = min(run_wasmtime(wasm, args.lines, ref_file) for _ in range(args.repeat))
        same = Path(ours_file).read_bytes() == Path(ref_file).read_bytes()
        size = os.path.getsize(ours_file)
    n = args.lines
    print(f"{n} lines ({size} bytes), one fd_write each, stdout to a file; best of {args.repeat}")
    print(f"  wazaot    {ours * 1e3:8.1f} ms   {ours / max(n, 1) * 1e6:6.2f} us per fd_write")
    print(f"  wasmtime  {ref * 1e3:8.1f} ms   {ref / max(n, 1) * 1e6:6.2f} us per fd_write")
    print(f"  ratio wazaot / wasmtime: {ours / ref:.2f}x")
    if not same:
        print("  the outputs differ!", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
