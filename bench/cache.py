"""Cold compile against warm load from the compilation cache.

    PYTHONPATH=. python3 bench/cache.py [--code-kb N] [--repeat N] [--quick]

For a generated module with about N KB of code section (default 100; the generator
of ``bench/decode_speed.py``), best of ``--repeat`` (default 5):

- ``cold compile``: ``Runtime.compile`` with an empty cache directory (decode,
  validate, code generation, and writing the entry);
- ``no cache``: ``Runtime.compile`` without a cache directory, for reference;
- ``warm load``: ``Runtime.compile`` in a new Runtime, entry in the cache;
- ``deserialize``: ``Runtime.deserialize`` of ``CompiledModule.serialize()``;
- ``warm load, new process``: the first ``Runtime.compile`` of a fresh interpreter
  (wazaot already imported), which also hashes wazaot's sources for the key once.

Then the targets, each ``met`` or ``MISSED``: warm load at least 20x faster than the
cold compile, and at least 20 MB/s of code section. ``--quick`` (20 KB, best of 2)
only checks that the script runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for p in (REPO, BENCH):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from decode_speed import generate_module  # noqa: E402

import wazaot  # noqa: E402
from wazaot.wasm.decoder import decode_module  # noqa: E402

TARGET_SPEEDUP = 20.0
TARGET_MBPS = 20.0

_CHILD = """
import sys, time, wazaot
wasm = open(sys.argv[2], "rb").read()
rt = wazaot.Runtime(wazaot.RuntimeConfig(cache_dir=sys.argv[1]))
start = time.perf_counter()
rt.compile(wasm)
print(time.perf_counter() - start)
"""


def best_of(repeat: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(repeat))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code-kb", type=int, default=100, help="code section size (KB)")
    parser.add_argument("--repeat", type=int, default=5, help="best of N (default 5)")
    parser.add_argument("--quick", action="store_true", help="20 KB, best of 2")
    args = parser.parse_args(argv)
    if args.quick:
        args.code_kb, args.repeat = 20, 2

    wasm = generate_module(args.code_kb * 1000)
    module = decode_module(wasm)
    code_section = module.codes[-1].end_offset - module.codes[0].offset
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1 << 30))

        def cold() -> float:
            config = wazaot.RuntimeConfig(cache_dir=Path(tmp) / f"cold{next(counter)}")
            with wazaot.Runtime(config) as rt:
                return timed(lambda: rt.compile(wasm))

        def no_cache() -> float:
            with wazaot.Runtime() as rt:
                return timed(lambda: rt.compile(wasm))

        warm_dir = Path(tmp) / "warm"
        with wazaot.Runtime(wazaot.RuntimeConfig(cache_dir=warm_dir)) as rt:
            cm = rt.compile(wasm)
            machine_code = len(cm.code.object_code.code)
            artifact = cm.serialize()

        def warm() -> float:
            with wazaot.Runtime(wazaot.RuntimeConfig(cache_dir=warm_dir)) as rt:
                return timed(lambda: rt.compile(wasm))

        def deserialize() -> float:
            with wazaot.Runtime() as rt:
                return timed(lambda: rt.deserialize(artifact))

        wasm_path = Path(tmp) / "m.wasm"
        wasm_path.write_bytes(wasm)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))

        def new_process() -> float:
            out = subprocess.run([sys.executable, "-c", _CHILD, str(warm_dir), str(wasm_path)],
                                 env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
            return float(out)

        rows = [
            ("cold compile", best_of(args.repeat, cold)),
            ("no cache", best_of(args.repeat, no_cache)),
            ("warm load", best_of(args.repeat, warm)),
            ("deserialize", best_of(args.repeat, deserialize)),
            ("warm load, new process", best_of(args.repeat, new_process)),
        ]
    times = dict(rows)
    print(f"module: {len(wasm)} bytes, code section {code_section} bytes, "
          f"{len(module.codes)} functions, {machine_code} bytes of machine code; "
          f"artifact {len(artifact)} bytes; best of {args.repeat}")  # fmt: skip
    for label, seconds in rows:
        rate = code_section / seconds / 1e6
        print(f"  {label:<24} {seconds * 1e3:9.2f} ms  {rate:8.1f} MB/s of code section")
    speedup = times["cold compile"] / times["warm load"]
    mbps = code_section / times["warm load"] / 1e6
    print("targets:")
    print(f"  cold compile / warm load = {speedup:7.1f}x     (target >= {TARGET_SPEEDUP:.0f}x) "
          f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}")  # fmt: skip
    print(f"  warm load                = {mbps:7.1f} MB/s  (target >= {TARGET_MBPS:.0f} MB/s) "
          f"{'met' if mbps >= TARGET_MBPS else 'MISSED'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
