"""What a function listener costs per call, against a wasm -> Python host call.

A wasm loop calls a small wasm function N times, compiled once without listeners and
once with a no-op listener on that function; the difference per call is the cost of
listening (two notifications: ``before`` and ``after``). The same loop calling an
identity host function gives the cost of one host call, measured in the same run.
The target: a no-op listener costs at most about 3 host calls.

    PYTHONPATH=. python3 bench/listener_cost.py
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import wasmtime  # noqa: E402

import wazaot  # noqa: E402

WAT = """(module
  (import "env" "h" (func $h (param i32) (result i32)))
  (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "wasm_loop") (param $n i32) (result i32) (local $acc i32)
    (loop $next
      (local.set $acc (call $g (local.get $acc)))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
  (func (export "host_loop") (param $n i32) (result i32) (local $acc i32)
    (loop $next
      (local.set $acc (call $h (local.get $acc)))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))"""

N = 20_000


class NoOp:
    def before(self, ctx: Any, mod: Any, definition: Any, params: Any, it: Any) -> Any:
        return ctx

    def after(self, ctx: Any, mod: Any, definition: Any, error: Any, results: Any) -> None:
        pass


class OnlyG:
    def new_listener(self, definition: Any) -> Any:
        return NoOp() if definition.name == "g" else None


def loops(factory: Any) -> tuple[Any, Any, wazaot.Runtime]:
    rt = wazaot.Runtime(wazaot.RuntimeConfig(listener_factory=factory))
    rt.new_host_module_builder("env").function(
        "h", lambda caller, x: x + 1 & 0xFFFF_FFFF,
        params=[wazaot.ValueType.I32], results=[wazaot.ValueType.I32],
    ).instantiate()  # fmt: skip
    mod = rt.instantiate(rt.compile(wasmtime.wat2wasm(WAT)))
    return mod.exported_function("wasm_loop"), mod.exported_function("host_loop"), rt


def per_call(f: Any, repeat: int = 7) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        f.call(N)
        best = min(best, time.perf_counter() - start)
    return best / N


def main() -> int:
    plain_loop, host_loop, rt1 = loops(None)
    listened_loop, _, rt2 = loops(OnlyG())
    plain, listened, host = per_call(plain_loop), per_call(listened_loop), per_call(host_loop)
    rt1.close()
    rt2.close()
    listener = listened - plain
    host_call = host - plain
    print(f"wasm call, no listener       {plain * 1e9:10.1f} ns")
    print(f"wasm call, no-op listener    {listened * 1e9:10.1f} ns  (+{listener * 1e9:,.0f} ns)")
    print(f"wasm -> Python host call     {host_call * 1e9:10.1f} ns")
    print(f"listener cost / host call  = {listener / host_call:.2f}x  (target <= ~3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
