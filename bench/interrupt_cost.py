"""What the interrupt checks cost: each kernel with and without them, in one run.

Generated code tests the interrupt flag at every loop header (a compare with memory
and a branch to an out-of-line trap; function entries use the stack-limit check they
already have). This compiles every kernel of ``bench/kernels`` twice, once normally
and once with the loop-header checks left out, runs the two alternately (best of N
each) and prints the ratio; the target is under 3% on the geometric mean.

    PYTHONPATH=. python3 bench/interrupt_cost.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
for _path in (BENCH.parent, BENCH):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from compile_and_run import load_kernels, table  # noqa: E402

import wazaot  # noqa: E402
from wazaot.lower import isel  # noqa: E402


def _compile(rt: wazaot.Runtime, wasm: bytes, checks: bool) -> object:
    """The kernel's ``run`` function, compiled with or without loop-header checks."""
    original = isel.Lowering.loop_header
    if not checks:
        isel.Lowering.loop_header = lambda self: None  # type: ignore[method-assign]
    try:
        return rt.instantiate(rt.compile(wasm)).exported_function("run")
    finally:
        isel.Lowering.loop_header = original  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure, best kept")
    args = parser.parse_args(argv)
    rows, ratios = [], []
    with wazaot.Runtime() as rt:
        for k in load_kernels():
            params = k.quick_args if args.quick else k.args
            with_checks, without = _compile(rt, k.wasm, True), _compile(rt, k.wasm, False)
            best = {True: math.inf, False: math.inf}
            for _ in range(args.repeat):
                for checks, f in ((True, with_checks), (False, without)):
                    start = time.perf_counter()
                    f.call(*params)  # type: ignore[attr-defined]
                    best[checks] = min(best[checks], time.perf_counter() - start)
            ratio = best[True] / best[False]
            ratios.append(ratio)
            rows.append([k.name, f"{best[False] * 1e3:.1f} ms", f"{best[True] * 1e3:.1f} ms",
                         f"{(ratio - 1) * 100:+.1f}%"])  # fmt: skip
    table(["kernel", "without checks", "with checks", "cost"], rows)
    mean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print(f"geometric mean cost of the interrupt checks: {(mean - 1) * 100:+.1f}% (target < 3%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
